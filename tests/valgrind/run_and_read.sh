# Runs tests/valgrind/tiny.lua and reads its results back (duet info), both under the Valgrind
# command given as arguments; exits non-zero on any memcheck error or definite leak.
set -eu
: "${DUET_BIN:?set DUET_BIN to the duet program}"
: "${DUET_SOURCE_DIR:?set DUET_SOURCE_DIR to the source tree}"
work=$(mktemp -d "${TMPDIR:-/tmp}/duet-valgrind-XXXXXX")
trap 'rm -rf "$work"' EXIT
"$@" "$DUET_BIN" run "$DUET_SOURCE_DIR/tests/valgrind/tiny.lua" --out "$work/tiny.h5" -q
"$@" "$DUET_BIN" info "$work/tiny.h5" > "$work/info.txt"
grep -q "complete" "$work/info.txt"
echo "valgrind: run and info clean"
