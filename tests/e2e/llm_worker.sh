#!/usr/bin/env bash
# The Python LLM worker: its unit tests (stdlib unittest under /usr/bin/python3), then the whole
# pipeline without a GPU: a tiny pool file with the nine domains, the duet.llm presets, the llm
# backend and the local executor running `python3 -m duet_llm worker --fake`, whose stand-in
# replaces training and evaluation.
set -u
DUET_BIN=${DUET_BIN:?set DUET_BIN to the duet program}
DUET_SOURCE_DIR=${DUET_SOURCE_DIR:?set DUET_SOURCE_DIR to the source tree}
PY=/usr/bin/python3
export PYTHONPATH=$DUET_SOURCE_DIR/python${PYTHONPATH:+:$PYTHONPATH}
source "$DUET_SOURCE_DIR/tests/e2e/lib/checks.sh"

if (cd "$DUET_SOURCE_DIR/python" && $PY -m unittest discover -s tests -t . 2>&1 | tail -3); then
  pass "python unit tests"
else
  fail "python unit tests"
fi
if ! $PY -c 'import h5py, numpy' 2>/dev/null; then
  echo "SKIP: the pipeline part needs h5py and numpy under $PY"
  summary
  exit
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$PY - "$work/pool.h5" <<'PY' || fail "writing the pool"
import sys
from duet_llm import export
domains = []
for k, name in enumerate(export.DOMAINS):
    n = 30 + 5 * k
    domains.append((name, ["%s/%d" % (name, i) for i in range(n)], ["p"] * n, ["r"] * n))
export.write_pool(sys.argv[1], domains)
PY
cat > "$work/llm.lua" <<LUA
local duet = require "duet"
local llm = duet.llm
return duet.experiment {
  name = "llm_pipeline",
  seed = 3,
  backend = llm.backend { model = "qwen25_7b", pool = "$work/pool.h5" },
  tasks = { llm.task "truthfulqa", llm.task "pubmedqa_headqa" },
  methods = { duet.method.uniform {}, duet.method.random_search {} },
  budget = { points = 40, iterations = 2, samples = 1 },
  trials = 2,
  executor = llm.processes { worker = { "$PY", "-m", "duet_llm", "worker", "--fake" }, jobs = 2 },
}
LUA
"$DUET_BIN" run -q "$work/llm.lua" --out "$work/a.h5" > "$work/a.log" 2>&1 &&
  pass "llm experiment through the Python worker" || fail "llm run: $(tail -5 "$work/a.log")"
"$DUET_BIN" run -q "$work/llm.lua" --out "$work/b.h5" --jobs 1 > "$work/b.log" 2>&1 ||
  fail "llm run with --jobs 1: $(tail -5 "$work/b.log")"
$PY "$DUET_SOURCE_DIR/tests/e2e/lib/compare_results.py" "$work/a.h5" "$work/b.h5" > /dev/null &&
  pass "2 workers and 1 worker give equal results" || fail "results depend on --jobs"
$PY - "$work/a.h5" <<'PY' && pass "pools and feedback as the presets say" || fail "results content"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
names = lambda t: [x.decode() if isinstance(x, bytes) else x for x in f["tasks/%s/domains" % t][()]]
ok = True
if len(names("truthfulqa")) != 9 or "truthfulqa" not in names("truthfulqa"):
    print("truthfulqa pool", names("truthfulqa")); ok = False
if sorted(set(names("truthfulqa")) - set(names("pubmedqa_headqa"))) != ["headqa_en", "pubmedqa"]:
    print("pubmedqa_headqa pool", names("pubmedqa_headqa")); ok = False
fb = f["tasks/pubmedqa_headqa/methods/uniform/trials/0/feedback"][()]
if not np.all(np.isfinite(fb)):
    print("feedback", fb); ok = False
sys.exit(0 if ok else 1)
PY
"$DUET_BIN" run -q "$work/llm.lua" --out "$work/c.h5" --executor inline > "$work/c.log" 2>&1
code=$?
[ "$code" = 2 ] && grep -q "the llm backend runs through a worker executor" "$work/c.log" &&
  pass "inline evaluation is refused with a clear message" || fail "inline: status $code, $(cat "$work/c.log")"
# --check opens the backend. With the tiny pool where the script expects it and a budget that
# fits its 450 items, the experiment validates. Without a pool, --check names the missing file.
mkdir -p "$work/data/llm" && cp "$work/pool.h5" "$work/data/llm/pool.h5"
"$DUET_BIN" run --check "$DUET_SOURCE_DIR/experiments/llm/truthfulqa_small.lua" --data "$work/data" \
  --set budget.points=100 \
  > /dev/null 2> "$work/check.log" &&
  pass "experiments/llm/truthfulqa_small.lua validates" \
  || fail "experiments/llm/truthfulqa_small.lua does not validate: $(cat "$work/check.log")"
"$DUET_BIN" run --check "$DUET_SOURCE_DIR/experiments/llm/truthfulqa_small.lua" --data "$work/none" \
  > /dev/null 2> "$work/check.log"
[ $? -eq 2 ] && grep -q "cannot open the pool file $work/none/llm/pool.h5" "$work/check.log" \
  && pass "--check names a missing pool file" || fail "--check without a pool: $(cat "$work/check.log")"

summary
