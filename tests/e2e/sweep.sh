# `duet sweep`: one results file per point of a grid (or a sweep declared in the script),
# complete points skipped on a rerun, a file of another configuration refused, and the
# per-point values really applied (checked in the files with h5py).
. "$(dirname "$0")/lib/common.sh"
require_h5py
cd "$WORK"
cat > s.lua <<'LUA'
local duet = require "duet"
return duet.experiment {
  name = "s", seed = 1,
  backend = duet.backend.synthetic { domains = 3, items = 200 },
  tasks = { duet.task { name = "t" } },
  methods = { duet.method.random_search {} },
  budget = { points = 40, iterations = 3 }, trials = 2,
  sweep = { grid = { ["methods.random_search.samples"] = { 1, 3 } }, seeds = { 5, 6 } },
}
LUA
"$DUET_BIN" sweep s.lua --out-dir out -q || fail "declared sweep"
n=$(ls out/*.h5 2>/dev/null | wc -l)
[ "$n" -eq 4 ] && pass "declared sweep wrote 4 files" || fail "declared sweep wrote $n files"
"$PYTHON" - <<'PY' || fail "point values in the files"
import glob, h5py, sys
bad = 0
for path in sorted(glob.glob("out/*.h5")):
    with h5py.File(path) as f:
        k = int(f["tasks/t/methods/random_search"].attrs["samples"])
        seed = f.attrs["seed"]
        seed = seed.decode() if isinstance(seed, bytes) else seed
        if "samples=%d" % k not in path or "seed=%s" % seed not in path:
            print("mismatch", path, k, seed); bad = 1
sys.exit(bad)
PY
"$DUET_BIN" sweep s.lua --out-dir out 2>err.txt && grep -q "0 run, 4 already complete" err.txt \
  && pass "rerun skips complete points" || fail "rerun: $(cat err.txt)"
"$DUET_BIN" sweep s.lua --out-dir out --set budget.iterations=4 -q 2>err.txt
[ $? -eq 1 ] && grep -q "another configuration" err.txt && pass "other configuration refused" \
  || fail "other configuration: $(cat err.txt)"
"$DUET_BIN" sweep s.lua --out-dir grid --grid budget.iterations=2,3 --grid trials=1,2 --seeds 1..3 --dry-run > dry.txt
[ "$(wc -l < dry.txt)" -eq 12 ] && pass "grid of 2 x 2 x 3 seeds lists 12 points" || fail "dry run: $(cat dry.txt)"
"$DUET_BIN" sweep s.lua --list budget.iterations=2,3 --list trials=1 --dry-run 2>err.txt
[ $? -eq 2 ] && pass "unequal list axes refused" || fail "unequal lists: $(cat err.txt)"
# A misspelled key stops the sweep before any point runs, with one message per distinct error.
"$DUET_BIN" sweep s.lua --out-dir typo --grid budget.iteratons=2,3 --seeds 1..2 2>err.txt
rc=$?
[ "$rc" -eq 2 ] && [ ! -e typo ] && grep -q "4 of 4 points have an invalid configuration; nothing was run" err.txt \
  && [ "$(grep -c "unknown" err.txt)" -eq 2 ] && pass "misspelled grid key refused before running" \
  || fail "misspelled grid key: status $rc, $(cat err.txt)"
"$DUET_BIN" sweep s.lua --grid budget.iteratons=2,3 --dry-run > /dev/null 2>err.txt
[ $? -eq 2 ] && pass "dry run checks every point" || fail "dry run with a misspelled key: $(cat err.txt)"
finish
