# Kills runs with SIGKILL at random moments, checks that `duet info` reads what was left, resumes
# them, and compares every dataset with an uninterrupted run of the same seed: they must be
# identical. DUET_KILLS sets how many kills (default 4).
. "$(dirname "$0")/lib/common.sh"
require_h5py
kills=${DUET_KILLS:-4}
cat > "$WORK/slow.lua" <<'LUA'
local duet = require "duet"
return duet.experiment {
  name = "slow", seed = 11,
  backend = duet.backend.synthetic { domains = 3, items = 300, delay = 0.004 },
  tasks = { duet.task { name = "a" }, duet.task { name = "b", noise = 0.1 } },
  methods = { duet.method.uniform { samples = 2 }, duet.method.random_search {},
              duet.method.random_search { name = "sharp", alpha = 0.3 } },
  budget = { points = 60, iterations = 12 },
  trials = 2,
  warm_start = { design = "dirichlet", count = 2 },
}
LUA
cd "$WORK"
"$DUET_BIN" run slow.lua --out reference.h5 -q || fail "uninterrupted run"
start=$(date +%s%N)
"$DUET_BIN" run slow.lua --out timing.h5 -q
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "an uninterrupted run takes ${elapsed_ms} ms"
for i in $(seq 1 "$kills"); do
  at_ms=$(( 50 + RANDOM % (elapsed_ms > 100 ? elapsed_ms - 60 : 40) ))
  rm -f killed.h5 killed.h5.journal
  "$DUET_BIN" run slow.lua --out killed.h5 -q --snapshot-seconds 0.05 &
  pid=$!
  sleep "$(printf '0.%03d' "$at_ms")" 2>/dev/null || sleep "$(awk "BEGIN{print $at_ms/1000}")"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if [ ! -e killed.h5 ]; then
    echo "kill $i at ${at_ms} ms came before the first snapshot; nothing to resume"
    continue
  fi
  "$DUET_BIN" info killed.h5 > info.txt 2>&1 || fail "kill $i at ${at_ms} ms: duet info could not read the file: $(cat info.txt)"
  "$DUET_BIN" run slow.lua --out killed.h5 -q --resume --snapshot-seconds 0.05 || fail "kill $i: resume failed"
  if "$PYTHON" "$DUET_SOURCE_DIR/tests/e2e/lib/compare_results.py" reference.h5 killed.h5; then
    pass "kill $i at ${at_ms} ms: resumed results equal the uninterrupted run"
  else
    fail "kill $i at ${at_ms} ms: resumed results differ"
  fi
done
# Resuming a complete file runs nothing and leaves the file byte for byte as it was.
sum_before=$(cksum < reference.h5)
"$DUET_BIN" run slow.lua --out reference.h5 --resume 2>err.txt || fail "resume of a complete file: $(cat err.txt)"
grep -q "complete; nothing to run" err.txt && [ "$(cksum < reference.h5)" = "$sum_before" ] \
  && pass "resume of a complete file leaves it untouched" \
  || fail "resume of a complete file changed it or said: $(cat err.txt)"
# Resuming with another configuration is refused with exit status 2.
"$DUET_BIN" run slow.lua --out reference.h5 -q --resume --seed 12 2>err.txt
[ $? -eq 2 ] && grep -q "another configuration: seed = 11 (now seed = 12)" err.txt \
  && pass "resume with another seed refused, naming the seed" \
  || fail "resume with another seed: $(cat err.txt)"
finish
