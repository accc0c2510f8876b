#!/usr/bin/env bash
# Stops the daemons that start-cluster.sh started under SCRATCH (default /tmp/duet-slurm), by
# their pid files. munged is left running, since other programs may use it.
scratch=${1:-/tmp/duet-slurm}
for daemon in slurmd slurmctld; do
  pidfile=$scratch/run/$daemon.pid
  [ -s "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
done
exit 0
