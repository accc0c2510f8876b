# The fork executor gives the same results as the inline executor, with a Lua-declared executor
# and with --jobs, a run interrupted with SIGINT resumes to the same numbers, and an evaluation
# that outlasts the executor's timeout is killed, retried and then skipped or stops the run.
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
# Every evaluation sleeps 2 s, past a timeout of 0.3 s.
cat > slow.lua <<'LUA'
local duet = require "duet"
return duet.experiment {
  name = "slow", seed = 4,
  backend = duet.backend.synthetic { domains = 3, items = 100, delay = 2 },
  tasks = { duet.task { name = "a" } },
  methods = { duet.method.uniform {} },
  budget = { points = 20, iterations = 2 }, trials = 1,
  executor = duet.executor.fork { jobs = 2, timeout = 0.3, retries = 1, on_failure = "skip" },
}
LUA
start=$(date +%s%N)
"$DUET_BIN" run slow.lua --out skip.h5 2>skip.txt
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" -eq 0 ] && pass "timed-out run with on_failure skip completes" \
  || fail "timed-out run with on_failure skip: status $rc, $(cat skip.txt)"
[ "$(grep -c 'retrying an evaluation.*timed out after 0.3 s' skip.txt)" -eq 2 ] \
  && pass "each timed-out evaluation is retried once" || fail "retries: $(cat skip.txt)"
[ "$(grep -c 'skipping an evaluation.*timed out' skip.txt)" -eq 2 ] \
  && pass "each evaluation is skipped after its retry" || fail "skips: $(cat skip.txt)"
[ "$rc" -eq 0 ] && [ "$ms" -lt 3500 ] && pass "timed-out evaluations were killed (${ms} ms in all)" \
  || fail "the run took ${ms} ms: the two 2 s evaluations (4 s without the timeout) were not killed at 0.3 s"
"$PYTHON" - skip.h5 <<'PY' && pass "skipped evaluations are stored as NaN" || fail "skipped values"
import math, sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    values = []
    f.visititems(lambda name, obj: values.extend(obj[()].ravel().tolist())
                 if isinstance(obj, h5py.Dataset) and name.endswith("/feedback") else None)
    sys.exit(0 if values and all(math.isnan(v) for v in values) else 1)
PY
sed 's/on_failure = "skip"/on_failure = "stop"/' slow.lua > stop.lua
"$DUET_BIN" run stop.lua --out stop.h5 -q 2>stop.txt
rc=$?
[ "$rc" -ne 0 ] && grep -q "timed out after 0.3 s" stop.txt \
  && pass "on_failure stop ends the run with the timeout (status $rc)" \
  || fail "on_failure stop: status $rc, $(cat stop.txt)"
finish
