# Runs DUET on the embedded backend over a pool imported from the committed fixture, with the
# influence, remove_harmful, less and logdet selectors, then checks with h5py that each run is
# complete, that every draw has M = 10 items (fewer than the 80% of the smallest domain that remove_harmful keeps), and that the influence selector's effective sample
# size stays below each domain's training size. A second run must reuse the cached scores.
. "$(dirname "$0")/lib/common.sh"
require_h5py
cd "$WORK"
"$DUET_BIN" data import --preset tiny --raw "$DUET_SOURCE_DIR/tests/fixtures/raw" -o tiny.h5 \
  >/dev/null 2>&1 || fail "importing the fixture pool"
cat > selectors.lua <<'LUA'
local duet = require "duet"
return duet.experiment {
  name = "embedded_selectors", seed = 5,
  backend = duet.backend.embedded { pool = "tiny.h5", buckets = 63, orders = 2, max_chars = 60,
                                    eval_size = 10, max_iter = 5 },
  tasks = { duet.task(duet.embedded.tasks.b) },
  methods = {
    duet.method.duet { name = "influence", restarts = 1, candidates = 256 },
    duet.method.duet_rh { name = "remove_harmful", restarts = 1, candidates = 256 },
    duet.method.duet_less { name = "less", restarts = 1, candidates = 256 },
    duet.method.duet_logdet { name = "logdet", restarts = 1, candidates = 256 },
  },
  budget = { points = 10, iterations = 3, samples = 2 },
  trials = 1,
}
LUA
if "$DUET_BIN" run selectors.lua --data "$WORK" --out first.h5 >first.log 2>&1; then
  pass "run with four selectors finished"
else
  cat first.log >&2
  fail "run with four selectors failed"
fi
grep -q "computed influence scores" first.log && pass "first run computed influence scores" \
  || fail "first run did not log computed influence scores"
[ -e tiny.scores.h5 ] && pass "scores file beside the pool" || fail "no tiny.scores.h5"
"$PYTHON" - first.h5 tiny.h5 <<'PY' || fail "results checks"
import sys
import h5py
import numpy as np
results, pool = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
task = results["tasks/jargon"]
domains = [d.decode() if isinstance(d, bytes) else d for d in task["domains"][()]]
sizes = np.array([len(pool["domains"][d]["train"]["offsets"]) - 1 for d in domains])
bad = 0
for label in ("influence", "remove_harmful", "less", "logdet"):
    trial = task["methods"][label]["trials"]["0"]
    counts, ess = trial["counts"][()], trial["ess"][()]
    if trial.attrs["complete"] != 1 or counts.shape[0] != 3:
        print(f"FAIL: {label}: trial incomplete or not 3 iterations"); bad += 1
    if not (counts.sum(axis=1) == 10).all():
        print(f"FAIL: {label}: draws without 10 items: {counts.sum(axis=1)}"); bad += 1
    if not np.isfinite(trial["feedback"][()]).all():
        print(f"FAIL: {label}: non-finite feedback"); bad += 1
    print(f"ok: {label}: ess per domain {np.round(ess[0], 1).tolist()} of sizes {sizes.tolist()}")
ess = task["methods"]["influence"]["trials"]["0"]["ess"][()]
if not (ess < sizes).all() or not (ess > 0).all():
    print("FAIL: influence selector's ESS not in (0, domain size)"); bad += 1
sys.exit(1 if bad else 0)
PY
if "$DUET_BIN" run selectors.lua --data "$WORK" --out second.h5 >second.log 2>&1; then
  grep -q "reused cached influence scores" second.log && ! grep -q "computed" second.log \
    && pass "second run reused the cached scores" || fail "second run did not reuse the scores"
else
  cat second.log >&2
  fail "second run failed"
fi
finish
