# Malformed experiment scripts: each must be rejected before any work starts, with exit status 2
# and a message that starts with the script's name and the line of the offending value.
. "$(dirname "$0")/lib/common.sh"

# check NAME EXPECTED_LOCATION EXPECTED_TEXT [duet run options...] < script
check() {
  local name=$1 location=$2 text=$3
  shift 3
  local script="$WORK/$name.lua"
  cat > "$script"
  local out rc
  out=$(cd "$WORK" && "$DUET_BIN" run "$name.lua" --out "$WORK/$name.h5" -q "$@" 2>&1)
  rc=$?
  if [ "$rc" -ne 2 ]; then
    fail "$name: exit status $rc, expected 2 (output: $out)"
  elif ! grep -qF -- "$location" <<<"$out"; then
    fail "$name: message does not name '$location': $out"
  elif ! grep -qF -- "$text" <<<"$out"; then
    fail "$name: message lacks '$text': $out"
  elif [ -e "$WORK/$name.h5" ]; then
    fail "$name: a results file was written for a rejected script"
  else
    pass "$name"
  fi
}

check unknown_key "unknown_key.lua:2:" "unknown option 'iteratons'; did you mean 'iterations'?" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iteratons = 3 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check wrong_type "wrong_type.lua:2:" "option 'iterations' must be an integer" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = "ten" },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check out_of_range "out_of_range.lua:2:" "must be an integer between 1 and" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 0 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check unknown_method "unknown_method.lua:5:" "unknown method 'dueet'" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } },
  methods = { duet.method.dueet {} } }
LUA

check unknown_backend "unknown_backend.lua:2:" "unknown backend 'gpu'" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.gpu {},
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check backend_option "backend_option.lua:3:" "option 'domains' must be an integer between 2 and" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x",
  backend = duet.backend.synthetic { domains = 1 },
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check task_option "task_option.lua:4:" "option 'width' must be a number" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a", width = -1 } }, methods = { duet.method.uniform {} } }
LUA

check method_option "method_option.lua:6:" "option 'alpha' must be a number between" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } },
  methods = {
    duet.method.random_search { alpha = "big" },
  } }
LUA

check missing_budget "missing_budget.lua:2:" "'budget' must be a table" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check missing_name "missing_name.lua:2:" "option 'name' is required" <<'LUA'
local duet = require "duet"
return duet.experiment { backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check no_return "no_return.lua" "must end with \`return duet.experiment" <<'LUA'
local duet = require "duet"
local e = duet.experiment { name = "x" }
LUA

check syntax_error "syntax_error.lua:3:" "expected" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x",
  backend = duet.backend.synthetic { domains = 3 ,, },
}
LUA

check runtime_error "runtime_error.lua:2:" "attempt to call a nil value" <<'LUA'
local duet = require "duet"
local x = undefined_function()
return duet.experiment { name = "x" }
LUA

check duplicate_label "duplicate_label.lua:6:" "method label 'uniform' is already used at duplicate_label.lua:5" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } },
  methods = { duet.method.uniform {},
              duet.method.uniform {} } }
LUA

check duplicate_task "duplicate_task.lua:5:" "task name 'a' is already used" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" },
            duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check plain_table_method "plain_table_method.lua:2:" "methods[1] must be built with duet.method" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } }, methods = { { type = "uniform" } } }
LUA

check empty_methods "empty_methods.lua:2:" "'methods' is empty" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } }, methods = { } }
LUA

check bad_optimum "bad_optimum.lua:4:" "optimum is not a mixture" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic { domains = 3 },
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a", optimum = { 0.5, 0.6, 0.1 } } }, methods = { duet.method.uniform {} } }
LUA

check unknown_selector "unknown_selector.lua:5:" "unknown selector 'magic'" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } },
  methods = { duet.method.uniform { selector = "magic" } } }
LUA

check huge_domains "huge_domains.lua:2:" "option 'domains' must be an integer between 2 and 1024, got 1000000" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic { domains = 1000000 },
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check huge_budget "huge_budget.lua:2:" "evaluations in all" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {}, trials = 100000,
  budget = { points = 10, iterations = 100000, samples = 1024 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

# Overrides from the command line are reported as such.
check set_wrong_type "--set budget.iterations=many" "expected a number" --set budget.iterations=many <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check set_unknown_key "--set budget.iteratons=5" "did you mean 'iterations'" --set budget.iteratons=5 <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check set_range "--set methods.random_search.alpha=0" "option 'alpha' must be a number between" --set methods.random_search.alpha=0 <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.random_search {} } }
LUA

check set_bad_path "--set tasks.zzz.width=1" "does not name a table of the experiment; use a name (a) or a position 1..1" --set tasks.zzz.width=1 <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check set_whole_table "--set budget=3" "this is a table of options; set one of its keys instead (iterations, points)" \
  --set budget=3 <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check set_bad_selector "--set methods.duet.selector=influense" "unknown selector 'influense'" \
  --set methods.duet.selector=influense <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.duet { selector = "influence" } } }
LUA

check budget_too_large "budget_too_large.lua:2:" "exceeds the" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic { domains = 2, items = 10 },
  budget = { points = 100, iterations = 3 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check selector_needs_features "selector_needs_features.lua:4: method u_logdet" \
  "selector logdet needs item features, but backend synthetic does not provide them" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic { domains = 4 },
  budget = { points = 10, iterations = 3 }, tasks = { duet.task { name = "a" } },
  methods = { duet.method.uniform {}, duet.method.uniform { name = "u_logdet", selector = "logdet" } } }
LUA

check fixed_ratio_count "fixed_ratio_count.lua:4: method fixed on task a" \
  "ratios has 2 shares but the task's pool has 4 domains" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic { domains = 4 },
  budget = { points = 10, iterations = 3 }, tasks = { duet.task { name = "a" } },
  methods = { duet.method.uniform {}, duet.method.fixed { ratios = { 0.5, 0.5 } } } }
LUA

check fixed_ratio_sum "fixed_ratio_sum.lua:4: method fixed on task a" \
  "they sum to 2 and the smallest share is 0.5" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic { domains = 4 },
  budget = { points = 10, iterations = 3 }, tasks = { duet.task { name = "a" } },
  methods = { duet.method.uniform {}, duet.method.fixed { ratios = { 0.5, 0.5, 0.5, 0.5 } } } }
LUA

finish
