# Runs a small experiment and reads its results file back with h5py, checking every field
# against facts of the experiment and against independent recomputation (counts / M, best of k,
# running best, regret from a largest-remainder rounding computed in Python).
. "$(dirname "$0")/lib/common.sh"
require_h5py
cat > "$WORK/small.lua" <<'LUA'
local duet = require "duet"
return duet.experiment {
  name = "small", seed = 3,
  backend = duet.backend.synthetic { domains = 4, items = 500 },
  tasks = { duet.task { name = "known", optimum = { 0.4, 0.3, 0.2, 0.1 }, width = 0.3,
                        height = 1, quality = 0.2, noise = 0.05 } },
  methods = { duet.method.uniform {}, duet.method.random_search { samples = 3 } },
  budget = { points = 101, iterations = 6, samples = 1 },
  trials = 3,
}
LUA
cd "$WORK"
if "$DUET_BIN" run small.lua --out "$WORK/small.h5" -q --set trials=3; then
  pass "run finished"
else
  fail "run failed"
fi
"$PYTHON" "$DUET_SOURCE_DIR/tests/e2e/lib/check_results.py" "$WORK/small.h5" "$WORK/small.lua" \
  points=101 iterations=6 trials=3 optimum=0.4,0.3,0.2,0.1 width=0.3 height=1 quality=0.2 \
  || fail "results file checks"
[ -e "$WORK/small.h5.journal" ] && fail "journal left behind after a complete run"

# The same script and seed give the same numbers; another seed gives others.
"$DUET_BIN" run small.lua --out "$WORK/again.h5" -q || fail "second run"
"$DUET_BIN" run small.lua --out "$WORK/other.h5" -q --seed 4 || fail "run with another seed"
"$PYTHON" "$DUET_SOURCE_DIR/tests/e2e/lib/compare_results.py" "$WORK/small.h5" "$WORK/again.h5" \
  && pass "same seed, identical datasets" || fail "same seed gave different datasets"
if "$PYTHON" "$DUET_SOURCE_DIR/tests/e2e/lib/compare_results.py" "$WORK/small.h5" "$WORK/other.h5" >/dev/null; then
  fail "another seed gave identical datasets"
else
  pass "another seed, different datasets"
fi
# duet info reads it.
"$DUET_BIN" info "$WORK/small.h5" | grep -q "complete, 6 of 6 trials complete" \
  && pass "info reports completeness" || fail "info output"
# duet info keeps complete trials apart from a trial stopped in progress: the Lua method raises
# an error at iteration 3 of its first trial, after both uniform trials have finished.
cat > "$WORK/stops.lua" <<'LUA'
local duet = require "duet"
return duet.experiment {
  name = "stops", seed = 3,
  backend = duet.backend.synthetic { domains = 3, items = 300 },
  tasks = { duet.task { name = "a" } },
  methods = {
    duet.method.uniform {},
    duet.method.lua {
      name = "stopper",
      init = function(env) return { n = env.n } end,
      propose = function(state, t, rng)
        if t == 3 then error("stopping on purpose") end
        return rng:dirichlet(state.n, 1)
      end,
      observe = function(state, obs) end,
    },
  },
  budget = { points = 60, iterations = 5 }, trials = 2,
}
LUA
"$DUET_BIN" run stops.lua --out "$WORK/stops.h5" -q 2> err.txt && fail "the stopping method did not stop the run"
"$DUET_BIN" info "$WORK/stops.h5" > info.txt
grep -E "^ +uniform .* 2/2 .*\(2 complete trials\)$" info.txt > /dev/null \
  && grep -E "^ +stopper .* 0/2 .* - best so far [0-9.e+-]+ over 1 trial in progress$" info.txt > /dev/null \
  && pass "info separates complete trials from one in progress" \
  || fail "info of a stopped run: $(cat info.txt) $(cat err.txt)"
"$DUET_BIN" table "$WORK/stops.h5" --format tsv | awk -F'\t' '$2 == "stopper" { print $5 }' > n.txt
[ "$(cat n.txt)" = "0" ] && pass "table counts no trial in progress" \
  || fail "table of a stopped run counts $(cat n.txt) trials for the stopped method"
# A rerun never replaces a file silently: results only with --force, other files never.
sum=$(cksum < "$WORK/small.h5")
"$DUET_BIN" run small.lua --out "$WORK/small.h5" -q 2> err.txt
rc=$?
[ "$rc" -eq 2 ] && grep -q "already holds results (6 of 6 trials of its tasks and methods complete); add --resume" err.txt \
  && [ "$(cksum < "$WORK/small.h5")" = "$sum" ] && pass "rerun without --force keeps the results" \
  || fail "rerun without --force: status $rc, $(cat err.txt)"
printf 'notes of an experiment\n' > "$WORK/notes.txt"
for force in "" --force; do
  "$DUET_BIN" run small.lua --out "$WORK/notes.txt" -q $force 2> err.txt
  rc=$?
  [ "$rc" -eq 2 ] && grep -q "notes.txt exists and is not a readable duet results file" err.txt \
    && [ "$(cat "$WORK/notes.txt")" = "notes of an experiment" ] \
    && pass "a text file at --out is kept ${force:-without --force}" \
    || fail "text file at --out ${force}: status $rc, $(cat err.txt)"
done
"$DUET_BIN" run small.lua --out "$WORK/small.h5" -q --force --seed 9 || fail "rerun with --force"
"$DUET_BIN" info "$WORK/small.h5" | grep -q "(seed 9)" && pass "--force replaces the results" \
  || fail "--force did not replace the results: $("$DUET_BIN" info "$WORK/small.h5" | head -3)"
# A file that crashes the HDF5 library is reported as damaged by every reader, in place of a crash.
damaged="$DUET_SOURCE_DIR/tests/fuzz/corpus/results/crash_hdf5_btree2_header"
cp "$damaged" "$WORK/damaged.h5"
for cmd in "run small.lua --resume --out $WORK/damaged.h5 -q" "info $WORK/damaged.h5" \
           "table $WORK/damaged.h5" "plot $WORK/damaged.h5 -o $WORK/damaged.png"; do
  # shellcheck disable=SC2086
  "$DUET_BIN" $cmd > /dev/null 2> err.txt
  rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && grep -q "damaged.h5 is damaged" err.txt; then
    pass "duet ${cmd%% *} reports the damaged file (status $rc)"
  else
    fail "duet ${cmd%% *} on a damaged file: status $rc, $(cat err.txt)"
  fi
done
cmp -s "$damaged" "$WORK/damaged.h5" && pass "the damaged file is left unchanged" \
  || fail "a reader changed the damaged file"
finish
