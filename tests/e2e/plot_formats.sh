# `duet plot` writes a non-empty image of the requested format, with its data table and gnuplot
# script beside it, for every figure kind; bad requests fail with exit status 2.
. "$(dirname "$0")/lib/common.sh"
cd "$WORK"
cat > p.lua <<'LUA'
local duet = require "duet"
return duet.experiment {
  name = "p", seed = 2,
  backend = duet.backend.synthetic { domains = 3, items = 200 },
  tasks = { duet.task { name = "one" }, duet.task { name = "two" } },
  methods = { duet.method.uniform {}, duet.method.random_search {} },
  budget = { points = 50, iterations = 5 }, trials = 3,
}
LUA
"$DUET_BIN" run p.lua --out p.h5 -q || fail "run"

# magic FILE: prints the first bytes that identify PNG, SVG and PDF files.
is_format() {
  case "$2" in
    png) head -c 8 "$1" | od -An -tx1 | tr -d ' \n' | grep -q '^89504e470d0a1a0a' ;;
    svg) head -c 400 "$1" | grep -q '<svg' ;;
    pdf) head -c 5 "$1" | grep -q '%PDF-' ;;
  esac
}
for figure in best regret mixture ablation estimator kerror; do
  for ext in png svg pdf; do
    out="fig-$figure.$ext"
    if ! "$DUET_BIN" plot p.h5 --figure "$figure" -o "$out" 2>err.txt; then
      fail "$figure as $ext: $(cat err.txt)"
    elif [ ! -s "$out" ] || ! is_format "$out" "$ext"; then
      fail "$figure as $ext: $out is empty or not a $ext file"
    elif [ ! -s "fig-$figure.dat" ] || [ ! -s "fig-$figure.gp" ]; then
      fail "$figure as $ext: data table or script missing"
    else
      pass "$figure as $ext"
    fi
  done
done
# The kept script redraws the figure by itself.
rm -f fig-best.png && "$DUET_BIN" plot p.h5 -o fig-best.png 2>/dev/null && rm fig-best.png \
  && gnuplot fig-best.gp && [ -s fig-best.png ] && pass "gnuplot redraws from the kept script" \
  || fail "gnuplot could not redraw from fig-best.gp"
# The data table holds the mean over the 3 trials at the last iteration.
grep -A5 'task one, method uniform' fig-best.dat | tail -1 | awk '{exit !($6 == 3)}' \
  && pass "table counts 3 trials at the last iteration" || fail "trial count in the table"
"$DUET_BIN" plot p.h5 -o fig.jpeg 2>err.txt; [ $? -eq 2 ] && grep -q "png, .svg or .pdf" err.txt \
  && pass "unknown image format refused" || fail "unknown format: $(cat err.txt)"
"$DUET_BIN" plot p.h5 --figure pie 2>/dev/null; [ $? -eq 2 ] && pass "unknown figure refused" || fail "unknown figure"
"$DUET_BIN" plot missing.h5 2>err.txt; [ $? -ne 0 ] && grep -q "missing.h5" err.txt \
  && pass "missing file named" || fail "missing file: $(cat err.txt)"
"$DUET_BIN" plot p.h5 --figure ablation --reference nosuch -o abl.png 2>err.txt
[ $? -eq 2 ] && grep -q "reference nosuch: task one has no method with this label" err.txt \
  && [ ! -e abl.png ] && pass "unknown ablation reference refused" || fail "unknown reference: $(cat err.txt)"
finish
