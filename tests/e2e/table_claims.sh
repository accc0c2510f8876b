# `duet table` numbers against an independent computation with h5py, and claim checks that
# hold and fail with the matching exit status.
. "$(dirname "$0")/lib/common.sh"
require_h5py
cd "$WORK"
cat > t.lua <<'LUA'
local duet = require "duet"
return duet.experiment {
  name = "t", seed = 9,
  backend = duet.backend.synthetic { domains = 3, items = 300 },
  tasks = { duet.task { name = "up" } },
  methods = { duet.method.uniform {}, duet.method.random_search {},
              duet.method.uniform { name = "selected", selector = duet.selector.influence { rule = "tempered", tau = 0.2 } } },
  budget = { points = 60, iterations = 4 }, trials = 6,
}
LUA
"$DUET_BIN" run t.lua --out t.h5 -q || fail "run"
"$DUET_BIN" table t.h5 --format tsv --reference uniform > table.tsv || fail "table"
"$PYTHON" - <<'PY' || fail "table numbers differ from the independent computation"
import csv, h5py, math, numpy as np, sys
rows = {r["method"]: r for r in csv.DictReader(open("table.tsv"), delimiter="\t")}
bad = 0
with h5py.File("t.h5") as f:
    methods = f["tasks/up/methods"]
    ref = np.array([methods["uniform/trials/%d/best_so_far" % i][-1] for i in range(6)])
    for label in methods:
        final = np.array([methods[label]["trials/%d/best_so_far" % i][-1] for i in range(6)])
        mean, se = final.mean(), final.std(ddof=1) / math.sqrt(6)
        d = final - ref
        dmean, dse = d.mean(), d.std(ddof=1) / math.sqrt(6)
        r = rows[label]
        for name, a, b in (("mean", mean, r["mean"]), ("se", se, r["se"]),
                           ("diff", dmean, r["diff_mean"]), ("diff se", dse, r["diff_se"])):
            if not math.isclose(a, float(b), rel_tol=1e-8, abs_tol=1e-12):
                print(label, name, a, b); bad = 1
sys.exit(bad)
PY
[ $? -eq 0 ] && pass "table numbers match h5py"
"$DUET_BIN" table t.h5 --check-order uniform,selected > claim.txt && grep -q "holds" claim.txt \
  && pass "order uniform < selected holds" || fail "order claim: $(cat claim.txt)"
"$DUET_BIN" table t.h5 --check-order selected,uniform > claim.txt
[ $? -eq 1 ] && grep -q "fails" claim.txt && pass "reversed order fails with status 1" \
  || fail "reversed claim: $(cat claim.txt)"
"$DUET_BIN" table t.h5 --reference nosuch 2>/dev/null; [ $? -eq 2 ] && pass "unknown reference refused" || fail "unknown reference"
# Two files: seed 9 again with fewer iterations (trial i shares its streams with t.h5's) and
# seed 10 (no shared streams). Shared labels are shown with their file, only the seed-9 files
# pair, and a bare shared label is refused as a reference.
"$DUET_BIN" run t.lua --out same.h5 -q --set budget.iterations=3 || fail "run with 3 iterations"
"$DUET_BIN" run t.lua --out other.h5 -q --seed 10 || fail "run with seed 10"
"$DUET_BIN" table t.h5 same.h5 other.h5 --format tsv --reference "uniform [t.h5]" > three.tsv \
  || fail "table of three files"
"$PYTHON" - <<'PY' && pass "shared labels name their file; only files of one seed pair" \
  || fail "table of three files: $(cat three.tsv)"
import csv, sys
rows = {r["method"]: r for r in csv.DictReader(open("three.tsv"), delimiter="\t")}
expect = {"uniform [same.h5]": "6", "random_search [t.h5]": "6", "uniform [other.h5]": "0",
          "selected [other.h5]": "0"}
sys.exit(0 if all(rows[k]["pairs"] == v for k, v in expect.items()) and len(rows) == 9 else 1)
PY
"$DUET_BIN" table t.h5 same.h5 --reference uniform 2> err.txt > /dev/null
[ $? -eq 2 ] && grep -q "name one as it is shown, 'LABEL \[FILE\]'" err.txt \
  && pass "a label of several files is refused as the reference" || fail "shared reference: $(cat err.txt)"
finish
