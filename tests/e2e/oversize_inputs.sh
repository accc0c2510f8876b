# Inputs that ask for too much: each must be rejected with a message naming the value and the
# limit before memory is allocated for it, so the process stays small (peak RSS under 200 MiB)
# and fast.
. "$(dirname "$0")/lib/common.sh"
require_h5py
cd "$WORK"

# check NAME EXPECTED_TEXT [STATUS] < SCRIPT: runs the script and checks the exit status
# (default 2, a configuration error), the message and the peak memory.
check() {
  local name=$1 text=$2 expected=${3:-2}
  cat > "$name.lua"
  local rc
  /usr/bin/time -f "%M" -o "$name.rss" "$DUET_BIN" run "$name.lua" --out "$name.h5" -q \
    > "$name.out" 2>&1
  rc=$?
  local rss_kb
  rss_kb=$(tail -n 1 "$name.rss")
  if [ "$rc" -ne "$expected" ]; then
    fail "$name: exit status $rc, expected $expected: $(cat "$name.out")"
  elif ! grep -qF -- "$text" "$name.out"; then
    fail "$name: the message lacks '$text': $(cat "$name.out")"
  elif [ "$rss_kb" -gt 204800 ]; then
    fail "$name: peak RSS $rss_kb KiB before the rejection"
  else
    pass "$name: rejected with peak RSS $rss_kb KiB: $(cat "$name.out")"
  fi
}

check million_domains "option 'domains' must be an integer between 2 and 1024, got 1000000" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic { domains = 1000000 },
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check enormous_iterations "option 'iterations' must be an integer between 1 and 100000" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 1e12 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check enormous_budget "exceed the limit of 1000000000" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 100000, samples = 1024 }, trials = 100000,
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check results_too_large "more than the limit of 4 GiB" <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x",
  backend = duet.backend.synthetic { domains = 1024, items = 100 },
  budget = { points = 100, iterations = 10000, samples = 1024 }, trials = 10,
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
LUA

check too_many_tasks "'tasks' has 100000 entries, more than the limit of 256" <<'LUA'
local duet = require "duet"
local tasks = {}
for i = 1, 100000 do tasks[i] = duet.task { name = "t" .. i } end
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 3 }, tasks = tasks, methods = { duet.method.uniform {} } }
LUA

# A pool file whose text dataset claims 10^12 bytes (HDF5 allocates no storage for it).
"$DUET_BIN" data import --preset tiny --raw "$DUET_SOURCE_DIR/tests/fixtures/raw" -o pool.h5 \
  > import.txt 2>&1 || fail "importing the fixture pool: $(cat import.txt)"
"$PYTHON" - <<'PY' || fail "cannot make the oversized pool"
import h5py
with h5py.File("pool.h5", "r+") as f:
    split = f["domains"][list(f["domains"].keys())[0]]["train"]
    del split["text"]
    split.create_dataset("text", shape=(10**12,), dtype="u1")
PY
check absurd_pool "declares more data than the file holds" 1 <<'LUA'
local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.embedded { pool = "pool.h5" },
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a", eval = { "kjv" } } }, methods = { duet.method.uniform {} } }
LUA
finish
