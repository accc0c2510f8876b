#!/usr/bin/env bash
# The Slurm executor on a real one-node cluster started by tests/slurm/start-cluster.sh: results
# equal the inline executor's, a crashed worker is retried, a task that Slurm reports as timed
# out is submitted again, and an interrupt cancels the running jobs. Needs root (skips
# otherwise); installs slurm-wlm and munge with apt-get when they are missing.
set -u
DUET_BIN=${DUET_BIN:?set DUET_BIN to the duet program}
DUET_SOURCE_DIR=${DUET_SOURCE_DIR:?set DUET_SOURCE_DIR to the source tree}
PY=/usr/bin/python3
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: the Slurm test starts slurmctld and slurmd and needs root"
  exit 0
fi
if ! $PY -c 'import h5py, numpy' 2>/dev/null; then
  echo "SKIP: $PY lacks h5py or numpy (apt-get install python3-h5py)"
  exit 0
fi
work=$(mktemp -d)
scratch=$work/slurm
cleanup() {
  bash "$DUET_SOURCE_DIR/tests/slurm/stop-cluster.sh" "$scratch"
  rm -rf "$work"
}
trap cleanup EXIT
if ! bash "$DUET_SOURCE_DIR/tests/slurm/start-cluster.sh" "$scratch"; then
  echo "FAIL: the Slurm cluster did not start; its logs:"
  tail -20 "$scratch"/log/*.log
  exit 1
fi
export SLURM_CONF=$scratch/slurm.conf
export DUET_TEST_EXECUTOR=slurm
script=$DUET_SOURCE_DIR/tests/e2e/lib/executor_experiment.lua
compare=$DUET_SOURCE_DIR/tests/e2e/lib/compare_results.py
source "$DUET_SOURCE_DIR/tests/e2e/lib/checks.sh"
small=(--set trials=1 --set budget.iterations=2)
run() { # run OUT [extra duet run arguments...]
  local out=$1
  shift
  "$DUET_BIN" run -q "$script" --out "$work/$out" "$@" > "$work/$out.log" 2>&1
}

cat > "$work/crash_first.sh" <<'SH'
#!/usr/bin/env bash
dir=${!#}
if grep -q '^attempt = 1$' "$dir/manifest"; then kill -SEGV $$; fi
exec "$DUET_BIN" worker "$dir"
SH
cat > "$work/hang.sh" <<'SH'
#!/usr/bin/env bash
sleep 300
SH
# squeue that reports the first ended state of array task 0 of each job as TIMEOUT, once.
mkdir -p "$work/bin"
for tool in sbatch scancel; do ln -s "$(command -v $tool)" "$work/bin/$tool"; done
cat > "$work/bin/squeue" <<SH
#!/usr/bin/env bash
$(command -v squeue) "\$@" | while IFS= read -r line; do
  case "\$line" in
    *_0\|COMPLETED)
      if [ ! -e "$work/timed_out" ]; then
        touch "$work/timed_out"
        line="\${line%|*}|TIMEOUT"
      fi ;;
  esac
  printf '%s\n' "\$line"
done
SH
chmod +x "$work"/*.sh "$work/bin/squeue"

# 1. Results equal the inline executor's.
run inline.h5 --executor inline || fail "inline run: $(cat "$work/inline.h5.log")"
run slurm.h5 || fail "slurm run: $(tail -5 "$work/slurm.h5.log")"
if $PY "$compare" "$work/inline.h5" "$work/slurm.h5" > "$work/cmp.txt"; then
  pass "Slurm executor equals inline"
else
  fail "Slurm executor differs from inline: $(cat "$work/cmp.txt")"
fi
run inline_small.h5 --executor inline "${small[@]}" || fail "small inline run"

# 2. A worker that crashes on its first attempt is retried.
DUET_TEST_WORKER="$work/crash_first.sh" run crash.h5 "${small[@]}" ||
  fail "crash retry: $(tail -5 "$work/crash.h5.log")"
$PY "$compare" "$work/inline_small.h5" "$work/crash.h5" > /dev/null &&
  pass "crashed workers retried, results equal" || fail "crash retry results differ"
grep -q "retrying .*Slurm job [0-9]*_[0-9]* ended in state FAILED" "$work/crash.h5.log" &&
  pass "retry names the Slurm state" || fail "retry message: $(head -3 "$work/crash.h5.log")"

# 3. A task reported as TIMEOUT is submitted again (requeue) without using a retry.
DUET_TEST_RETRIES=0 "$DUET_BIN" run -q "$script" --out "$work/requeue.h5" "${small[@]}" \
  --set executor.slurm_bin="$work/bin" > "$work/requeue.h5.log" 2>&1 ||
  fail "requeue run: $(tail -5 "$work/requeue.h5.log")"
grep -q "ended in state TIMEOUT; submitting .* again (requeue 1 of 2)" "$work/requeue.h5.log" &&
  pass "TIMEOUT task submitted again" || fail "no requeue: $(cat "$work/requeue.h5.log")"
$PY "$compare" "$work/inline_small.h5" "$work/requeue.h5" > /dev/null &&
  pass "requeued run equals inline" || fail "requeued run differs"

# 4. SIGINT cancels the running array tasks; the run resumes to the inline results.
DUET_TEST_WORKER="$work/hang.sh" "$DUET_BIN" run "$script" --out "$work/int.h5" \
  > "$work/int.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  squeue -h -t RUNNING -o %i | grep -q . && break
  sleep 0.1
done
squeue -h -t RUNNING -o %i | grep -q . && pass "interrupt: tasks running" || fail "interrupt: nothing ran"
kill -INT $pid
wait $pid
code=$?
[ "$code" = 1 ] && pass "interrupt: exit status 1" || fail "interrupt: exit status $code"
left=""
for _ in $(seq 50); do
  left=$(squeue -h -t PENDING,RUNNING,COMPLETING -o %i)
  [ -z "$left" ] && break
  sleep 0.1
done
[ -z "$left" ] && pass "interrupt: no task left in the queue" || fail "interrupt: still queued: $left"
pgrep -f "$work/hang.sh" > /dev/null && fail "interrupt: workers still running" || pass "interrupt: workers gone"
grep -q "cancelled 1 Slurm job array" "$work/int.log" && pass "interrupt: scancel logged" ||
  fail "interrupt: $(cat "$work/int.log")"
run int.h5 --resume || fail "resume: $(tail -5 "$work/int.h5.log")"
$PY "$compare" "$work/inline.h5" "$work/int.h5" > /dev/null && pass "resumed run equals inline" ||
  fail "resumed run differs from inline"

summary
