# Check helpers for the end-to-end scripts: pass and fail count named checks, and summary
# prints the closing "N passed, N failed" line and returns non-zero when any check failed.
failures=0
passes=0
pass() { echo "ok: $1"; passes=$((passes + 1)); }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }
summary() {
  echo "$passes passed, $failures failed"
  [ "$failures" = 0 ]
}
