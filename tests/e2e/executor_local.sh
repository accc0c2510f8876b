#!/usr/bin/env bash
# The local executor: results equal the inline executor's for the same seed, and every kind of
# worker failure (crash, garbage result, no result, NaN feedback, hang) is retried, then stops
# the run with a resumable results file or is skipped, as on_failure says. An interrupt stops
# the running workers.
set -u
DUET_BIN=${DUET_BIN:?set DUET_BIN to the duet program}
DUET_SOURCE_DIR=${DUET_SOURCE_DIR:?set DUET_SOURCE_DIR to the source tree}
PY=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
script=$DUET_SOURCE_DIR/tests/e2e/lib/executor_experiment.lua
compare=$DUET_SOURCE_DIR/tests/e2e/lib/compare_results.py
source "$DUET_SOURCE_DIR/tests/e2e/lib/checks.sh"
if ! $PY -c 'import h5py, numpy' 2>/dev/null; then
  echo "SKIP: $PY lacks h5py or numpy (apt-get install python3-h5py)"
  exit 0
fi

# Worker wrappers: each receives the job directory as its last argument.
cat > "$work/crash_first.sh" <<'SH'
#!/usr/bin/env bash
# Crashes on the first attempt of every job, then evaluates normally.
dir=${!#}
if grep -q '^attempt = 1$' "$dir/manifest"; then kill -SEGV $$; fi
exec "$DUET_BIN" worker "$dir"
SH
cat > "$work/garbage.sh" <<'SH'
#!/usr/bin/env bash
printf 'protocol = 1\nstatus = ok\nfeedback = not-a-number\n' > "${!#}/result"
SH
cat > "$work/no_result.sh" <<'SH'
#!/usr/bin/env bash
echo "pretending to work" >&2
exit 0
SH
cat > "$work/nan.sh" <<'SH'
#!/usr/bin/env bash
printf 'protocol = 1\nstatus = ok\nfeedback = nan\nvalue = nan\nseconds = 0\n' > "${!#}/result"
SH
cat > "$work/hang.sh" <<'SH'
#!/usr/bin/env bash
sleep 300
SH
cat > "$work/fail_one.sh" <<'SH'
#!/usr/bin/env bash
# Always fails the second sample of iteration 2 of every trial of random_search.
dir=${!#}
if grep -q '^job = .*method random_search, .*iteration 2, sample 2$' "$dir/manifest"; then
  echo "injected failure" >&2
  exit 4
fi
exec "$DUET_BIN" worker "$dir"
SH
chmod +x "$work"/*.sh

run() { # run OUT [extra duet run arguments...]; environment selects the executor settings
  local out=$1
  shift
  "$DUET_BIN" run -q "$script" --out "$work/$out" "$@" > "$work/$out.log" 2>&1
}

# 1. Inline reference and the local executor with 3 workers.
DUET_TEST_JOBS=1 run inline.h5 --executor inline || fail "inline run: $(cat "$work/inline.h5.log")"
run local.h5 || fail "local run: $(cat "$work/local.h5.log")"
if $PY "$compare" "$work/inline.h5" "$work/local.h5" > "$work/cmp.txt"; then
  pass "local executor with 3 workers equals inline"
else
  fail "local executor differs from inline: $(cat "$work/cmp.txt")"
fi
run flags.h5 --executor local --jobs 2 || fail "--executor local --jobs 2: $(cat "$work/flags.h5.log")"
$PY "$compare" "$work/inline.h5" "$work/flags.h5" > /dev/null && pass "--jobs 2 equals inline" ||
  fail "--jobs 2 differs from inline"
[ ! -e "$work/local.h5.jobs" ] && pass "successful job directories and their folder removed" ||
  fail "job directories left: $(ls -R "$work/local.h5.jobs" | head)"

# 2. A crash on the first attempt is retried and the results stay equal.
DUET_TEST_WORKER="$work/crash_first.sh" DUET_TEST_RETRIES=1 run crash.h5 ||
  fail "retry after crash: $(tail -3 "$work/crash.h5.log")"
$PY "$compare" "$work/inline.h5" "$work/crash.h5" > /dev/null && pass "crash retried, results equal" ||
  fail "crash retried, results differ"
grep -q "retrying .*killed by signal 11" "$work/crash.h5.log" && pass "retry logged with the signal" ||
  fail "no retry message: $(head -3 "$work/crash.h5.log")"

# 3. Each broken worker stops the run with exit status 1 and a message naming the failure.
check_stop() { # name wrapper expected-message
  DUET_TEST_WORKER="$work/$2" DUET_TEST_RETRIES=1 run "$1.h5"
  local code=$?
  [ "$code" = 1 ] && pass "$1: exit status 1" || fail "$1: exit status $code"
  grep -q "$3" "$work/$1.h5.log" && pass "$1: message says '$3'" ||
    fail "$1: message lacks '$3': $(cat "$work/$1.h5.log")"
  grep -q "after 2 attempts" "$work/$1.h5.log" && pass "$1: retried once" ||
    fail "$1: not retried once: $(cat "$work/$1.h5.log")"
  [ -f "$work/$1.h5" ] && pass "$1: results file kept" || fail "$1: no results file"
}
check_stop garbage garbage.sh "is not a number"
check_stop no_result no_result.sh "wrote no result file (worker exit status 0); its last stderr line: pretending"
check_stop nan nan.sh "feedback = 'nan' is not a finite number"
failed_dir=$(grep -o 'job directory [^ ]*' "$work/nan.h5.log" | head -1 | cut -d' ' -f3)
[ -f "$failed_dir/manifest" ] && [ -f "$failed_dir/result.1" ] && [ -f "$failed_dir/result" ] &&
  pass "failed job directory kept with both attempts' results" || fail "failed job directory $failed_dir incomplete"
grep -q "random_search\|uniform" "$(dirname "$(dirname "$failed_dir")")/failures.log" &&
  pass "failures.log names the evaluation" || fail "failures.log missing"

# 4. A stopped run resumes with a working worker to the same results as inline.
run garbage.h5 --resume || fail "resume after a stop: $(cat "$work/garbage.h5.log")"
$PY "$compare" "$work/inline.h5" "$work/garbage.h5" > /dev/null && pass "resumed run equals inline" ||
  fail "resumed run differs from inline"

# 5. A hanging worker is killed after the timeout plus the grace period.
start=$(date +%s)
DUET_TEST_WORKER="$work/hang.sh" DUET_TEST_RETRIES=0 DUET_TEST_TIMEOUT=1 DUET_TEST_JOBS=1 run hang.h5
code=$?
took=$(( $(date +%s) - start ))
[ "$code" = 1 ] && pass "hang: exit status 1" || fail "hang: exit status $code"
[ "$took" -lt 30 ] && pass "hang: stopped after ${took}s" || fail "hang: took ${took}s"
grep -q "killed by signal 9" "$work/hang.h5.log" && pass "hang: worker killed" ||
  fail "hang: $(cat "$work/hang.h5.log")"

# 6. on_failure = "skip": the failing samples are NaN, the other sample is the iteration's feedback.
DUET_TEST_WORKER="$work/fail_one.sh" DUET_TEST_RETRIES=1 DUET_TEST_ON_FAILURE=skip run skip.h5 ||
  fail "skip run: $(cat "$work/skip.h5.log")"
$PY - "$work/inline.h5" "$work/skip.h5" <<'PY' && pass "skip: NaN only where evaluations failed" || fail "skip check"
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
ok = True
for method in ("uniform", "random_search"):
    for trial in ("0", "1"):
        g, h = a["tasks/bump/methods/%s/trials/%s" % (method, trial)], b["tasks/bump/methods/%s/trials/%s" % (method, trial)]
        sa, sb = g["samples"][()], h["samples"][()]
        expect = sa.copy()
        if method == "random_search":
            expect[1, 1] = np.nan
        if not np.array_equal(expect, sb, equal_nan=True):
            print(method, trial, "samples", sa, sb); ok = False
        fb = h["feedback"][()]
        want = np.nanmax(expect, axis=1)
        if not np.array_equal(fb, want):
            print(method, trial, "feedback", fb, want); ok = False
sys.exit(0 if ok else 1)
PY
grep -q 'skipping the evaluation of task bump, method random_search, trial 0, iteration 2, sample 2' \
  "$work/skip.h5.log" && pass "skip: warning names the evaluation" || fail "skip: $(cat "$work/skip.h5.log")"

# 7. SIGINT stops the run, the running workers are stopped, and the file resumes.
DUET_TEST_WORKER="$work/hang.sh" "$DUET_BIN" run -q "$script" --out "$work/int.h5" > "$work/int.log" 2>&1 &
pid=$!
for _ in $(seq 50); do pgrep -f "$work/hang.sh" > /dev/null && break; sleep 0.1; done
pgrep -f "$work/hang.sh" > /dev/null && pass "interrupt: workers running" || fail "interrupt: no worker started"
kill -INT $pid
wait $pid
code=$?
[ "$code" = 1 ] && pass "interrupt: exit status 1" || fail "interrupt: exit status $code"
sleep 0.2
pgrep -f "$work/hang.sh" > /dev/null && fail "interrupt: workers still running" || pass "interrupt: workers stopped"
grep -q "interrupted" "$work/int.log" && pass "interrupt: message" || fail "interrupt: $(cat "$work/int.log")"
run int.h5 --resume || fail "resume after interrupt: $(cat "$work/int.h5.log")"
$PY "$compare" "$work/inline.h5" "$work/int.h5" > /dev/null && pass "interrupted run resumes to inline's results" ||
  fail "interrupted run differs after resume"

summary
