#!/usr/bin/env bash
# Starts a one-node Slurm cluster on localhost for tests: munged, slurmctld and slurmd as root,
# without systemd or cgroups, with every file under SCRATCH (default /tmp/duet-slurm).
# Usage: start-cluster.sh [SCRATCH]. Needs root and the Debian packages slurm-wlm and munge
# (installed here with apt-get when missing). Stop it with stop-cluster.sh SCRATCH.
set -euo pipefail
scratch=${1:-/tmp/duet-slurm}
if [ "$(id -u)" != 0 ]; then
  echo "start-cluster.sh: needs root (slurmd runs jobs as root here)" >&2
  exit 77
fi
if ! command -v slurmctld > /dev/null || ! command -v munged > /dev/null; then
  echo "start-cluster.sh: installing slurm-wlm and munge" >&2
  apt-get update -qq > /dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge > /dev/null
fi
mkdir -p "$scratch"/{state,spool,log,run}
host=$(hostname -s)

# munge: a key and a socket folder owned by the munge user.
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
fi
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
chmod 755 /run/munge
if ! pgrep -x munged > /dev/null; then
  runuser -u munge -- munged
fi

conf=$scratch/slurm.conf
cat > "$conf" <<CONF
ClusterName=duettest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SchedulerParameters=sched_min_interval=0,batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldPort=6817
SlurmdPort=6818
SlurmctldPidFile=$scratch/run/slurmctld.pid
SlurmdPidFile=$scratch/run/slurmd.pid
SlurmctldLogFile=$scratch/log/slurmctld.log
SlurmdLogFile=$scratch/log/slurmd.log
StateSaveLocation=$scratch/state
SlurmdSpoolDir=$scratch/spool
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$scratch/log/jobcomp.txt
MpiDefault=none
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$conf
slurmctld -f "$conf"
slurmd -f "$conf"
for _ in $(seq 100); do
  if sinfo -h -o %T 2>/dev/null | grep -qx idle; then
    echo "start-cluster.sh: node $host idle; export SLURM_CONF=$conf"
    exit 0
  fi
  sleep 0.2
done
echo "start-cluster.sh: the node did not become idle; see $scratch/log" >&2
sinfo >&2 || true
exit 1
