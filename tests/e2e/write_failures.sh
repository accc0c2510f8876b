# Write errors while a run writes its results: a file-size limit (RLIMIT_FSIZE, so writes fail
# with EFBIG), a full tmpfs (ENOSPC; needs root to mount, skipped otherwise) and an injected
# disk error (fsync fails with EIO, through the LD_PRELOAD library failing_fsync.c). Each time the run must stop with a non-zero exit
# status and a message naming the file, leave a readable results file and a journal whose
# records all pass their checksums, and `duet run --resume` (with space back) must finish with
# every dataset equal to an uninterrupted run's.
. "$(dirname "$0")/lib/common.sh"
require_h5py
: "${DUET_FAILING_FSYNC:?set DUET_FAILING_FSYNC to the failing_fsync library (ctest does)}"
cat > "$WORK/steady.lua" <<'LUA'
local duet = require "duet"
return duet.experiment {
  name = "steady", seed = 21,
  backend = duet.backend.synthetic { domains = 10, items = 300 },
  tasks = { duet.task { name = "a", noise = 0.05 } },
  methods = { duet.method.random_search {} },
  budget = { points = 60, iterations = 1500 },
}
LUA
cd "$WORK"
"$DUET_BIN" run steady.lua --out reference.h5 -q || fail "uninterrupted run"
size_kb=$(( ($(stat -c %s reference.h5) + 1023) / 1024 ))
echo "a complete results file has ${size_kb} KiB"

# check_after_failure NAME DIR RC OUTPUT: the checks every fault shares, then resume.
check_after_failure() {
  local name=$1 dir=$2 rc=$3 out=$4
  if [ "$rc" -eq 0 ]; then
    fail "$name: the run succeeded although writes failed"
    return
  fi
  pass "$name: exit status $rc; message: $out"
  grep -q "steady.h5" <<<"$out" || fail "$name: the message does not name the file: $out"
  if "$DUET_BIN" info "$dir/steady.h5" > info.txt 2>&1; then
    pass "$name: the last snapshot is readable ($(grep -o '[0-9]* of [0-9]* iterations' info.txt))"
  else
    fail "$name: duet info cannot read the snapshot: $(cat info.txt)"
  fi
  if [ -e "$dir/steady.h5.journal" ]; then
    if summary=$("$PYTHON" "$DUET_SOURCE_DIR/tests/e2e/lib/check_journal.py" "$dir/steady.h5.journal"); then
      pass "$name: journal: $summary"
    else
      fail "$name: journal damaged: $summary"
    fi
  fi
  ls "$dir" | grep -q '\.tmp\.' && fail "$name: a temporary results file was left behind: $(ls "$dir")"
}

# check_resumed NAME DIR: resume where space is back and compare with the reference.
check_resumed() {
  local name=$1 dir=$2
  if ! "$DUET_BIN" run steady.lua --out "$dir/steady.h5" -q --resume 2>resume.txt; then
    fail "$name: resume failed: $(cat resume.txt)"
  elif "$PYTHON" "$DUET_SOURCE_DIR/tests/e2e/lib/compare_results.py" reference.h5 "$dir/steady.h5"; then
    pass "$name: the resumed results equal the uninterrupted run"
  else
    fail "$name: the resumed results differ from the uninterrupted run"
  fi
}

# 1. RLIMIT_FSIZE a little above the complete file: the snapshots fit, but the journal, about
#    670 bytes an iteration with 10 domains against 400 in the file, outgrows it.
mkdir fsize
out=$( (trap '' XFSZ; ulimit -f $((size_kb + 8)); exec "$DUET_BIN" run steady.lua --out fsize/steady.h5 -q --snapshot-seconds 1000) 2>&1)
rc=$?
check_after_failure "file size limit" fsize "$rc" "$out"
check_resumed "file size limit" fsize

# 2. A tmpfs with room for two snapshots (the old file and the new one beside it) and a little
#    journal, with frequent snapshots; the resume runs after the file system grows.
mkdir tmpfs
if mount -t tmpfs -o size=$((2 * size_kb + 24))k duet-e2e tmpfs 2>/dev/null; then
  out=$("$DUET_BIN" run steady.lua --out tmpfs/steady.h5 -q --snapshot-seconds 0.02 2>&1)
  rc=$?
  check_after_failure "full disk" tmpfs "$rc" "$out"
  mount -o remount,size=16m tmpfs || fail "full disk: cannot grow the tmpfs"
  check_resumed "full disk" tmpfs
  umount tmpfs
else
  echo "skipped the full-disk case: mounting a tmpfs needs root"
fi

# 3. An injected error: fsync fails with EIO once the first snapshot and some records are down.
mkdir eio
out=$(LD_PRELOAD=$DUET_FAILING_FSYNC DUET_FAIL_FSYNC_AFTER=200 ASAN_OPTIONS=verify_asan_link_order=0 \
      "$DUET_BIN" run steady.lua --out eio/steady.h5 -q --snapshot-seconds 1000 2>&1)
rc=$?
check_after_failure "disk error" eio "$rc" "$out"
check_resumed "disk error" eio
finish
