# The fork executor gives the same results as the inline executor, with a Lua-declared executor
# and with --jobs, and a run interrupted with SIGINT resumes to the same numbers.
. "$(dirname "$0")/lib/common.sh"
require_h5py
cd "$WORK"
cat > f.lua <<'LUA'
local duet = require "duet"
return duet.experiment {
  name = "f", seed = 4,
  backend = duet.backend.synthetic { domains = 4, items = 500, delay = 0.01 },
  tasks = { duet.task { name = "a" }, duet.task { name = "b", noise = 0.2 } },
  methods = { duet.method.duet { samples = 2 }, duet.method.uniform { samples = 3 },
              duet.method.random_search {} },
  budget = { points = 80, iterations = 8 }, trials = 3,
  warm_start = { design = "dirichlet", count = 3 },
}
LUA
compare="$PYTHON $DUET_SOURCE_DIR/tests/e2e/lib/compare_results.py"
"$DUET_BIN" run f.lua --out inline.h5 -q --executor inline || fail "inline run"
"$DUET_BIN" run f.lua --out jobs3.h5 -q --jobs 3 || fail "fork run"
$compare inline.h5 jobs3.h5 && pass "--jobs 3 equals inline" || fail "--jobs 3 differs from inline"
sed 's/trials = 3,/trials = 3, executor = duet.executor.fork { jobs = 2 },/' f.lua > g.lua
"$DUET_BIN" run g.lua --out lua.h5 -q || fail "run with a Lua executor"
$compare inline.h5 lua.h5 && pass "duet.executor.fork equals inline" || fail "Lua executor differs"
"$DUET_BIN" run f.lua --out int.h5 -q --jobs 2 &
pid=$!
sleep 0.7
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -ne 0 ] && pass "interrupted run exits with status $rc" || fail "interrupted run exited 0"
"$DUET_BIN" run f.lua --out int.h5 -q --jobs 2 --resume || fail "resume after interrupt"
$compare inline.h5 int.h5 && pass "interrupted and resumed run equals inline" || fail "resumed run differs"
[ -z "$(pgrep -f 'duet run f.lua' || true)" ] && pass "no evaluation process left behind" \
  || fail "evaluation processes left behind"
finish
