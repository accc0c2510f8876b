# Shared helpers for the end-to-end tests. ctest sets DUET_BIN, DUET_SOURCE_DIR and
# DUET_BUILD_DIR; a test may also be run by hand with those set.
set -u
: "${DUET_BIN:?set DUET_BIN to the duet program}"
: "${DUET_SOURCE_DIR:?set DUET_SOURCE_DIR to the source tree}"
PYTHON=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/duet-e2e-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

pass() {
  echo "ok: $*"
}

finish() {
  if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
  exit 0
}

# Fails unless the Python interpreter with h5py and numpy is present.
require_h5py() {
  if ! "$PYTHON" -c 'import h5py, numpy' 2>/dev/null; then
    echo "FAIL: $PYTHON with h5py and numpy is required (apt-get install python3-h5py)" >&2
    exit 1
  fi
}
