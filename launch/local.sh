#!/usr/bin/env bash
# N jaxgan processes on this machine, joined by jax.distributed with the
# coordinator on 127.0.0.1: the multi-host code path (per-process data
# feeding, collectives, Orbax saving from every process, logs from process
# 0 only), testable on a laptop CPU.
#
#   launch/local.sh --config=configs/dcgan_mnist.py --workdir=runs/two_procs \
#       --config.data.source=bundled
#
# Every argument goes to `python -m jaxgan.main`, in every process.
# Variables:
#   NUM_PROCESSES        processes to start (default 2)
#   DEVICES_PER_PROCESS  virtual CPU devices in each (default 1; sets
#                        XLA_FLAGS=--xla_force_host_platform_device_count)
#   PORT                 coordinator port on 127.0.0.1 (default 29500)
#   PYTHON               interpreter with jaxgan installed (default python)
#   LOG_DIR              where processes 1..N-1 write their output
#                        (default: a new temp dir); process 0 prints here
# Exit status: the first non-zero status of any process, else 0.
set -euo pipefail
cd "$(dirname "$0")/.."

NUM_PROCESSES="${NUM_PROCESSES:-2}"
DEVICES_PER_PROCESS="${DEVICES_PER_PROCESS:-1}"
PORT="${PORT:-29500}"
PYTHON="${PYTHON:-python}"
LOG_DIR="${LOG_DIR:-$(mktemp -d -t jaxgan-local-XXXXXX)}"
mkdir -p "$LOG_DIR"

pids=()
stop_all() { kill -TERM "${pids[@]}" 2>/dev/null || true; }
# Ctrl-C or a scheduler's TERM reaches every process: each saves and exits.
trap stop_all INT TERM

for ((i = 0; i < NUM_PROCESSES; i++)); do
  command=(env JAX_PLATFORMS="${JAX_PLATFORMS:-cpu}"
           XLA_FLAGS="--xla_force_host_platform_device_count=$DEVICES_PER_PROCESS ${XLA_FLAGS:-}"
           "$PYTHON" -m jaxgan.main "$@"
           --coordinator_address="127.0.0.1:$PORT"
           --num_processes="$NUM_PROCESSES" --process_id="$i")
  if ((i == 0)); then
    "${command[@]}" &
  else
    "${command[@]}" >"$LOG_DIR/process_$i.log" 2>&1 &
  fi
  pids+=($!)
done
echo "launch/local.sh: $NUM_PROCESSES processes (${pids[*]}); logs of 1..$((NUM_PROCESSES - 1)) in $LOG_DIR" >&2

status=0
for pid in "${pids[@]}"; do
  wait "$pid" || { code=$?; ((status == 0)) && status=$code; }
done
exit "$status"
