#!/usr/bin/env bash
# Train on a Cloud TPU VM or pod slice: create it (or reuse it), copy this
# checkout to every worker, install jaxgan with the TPU extra there, and run
# the same command on all workers (--worker=all). jax.distributed finds the
# other workers by itself (TPU_WORKER_HOSTNAMES), so the command is the one
# you run on a laptop.
#
#   TPU_NAME=gan-v4 ZONE=us-central2-b ACCELERATOR_TYPE=v4-32 \
#   WORKDIR=/mnt/shared/runs/dcgan_mnist launch/tpu_vm.sh \
#       --config=configs/dcgan_mnist.py --config.data.batch_size=1024
#
# Arguments go to `python -m jaxgan.main` on every worker.
# Variables:
#   TPU_NAME          the TPU VM / slice name (required)
#   ZONE              its zone (required)
#   ACCELERATOR_TYPE  e.g. v4-8 (one host), v4-32 (a 4-host slice); used
#                     only when creating (default v4-8)
#   RUNTIME_VERSION   TPU VM image, used only when creating
#                     (default tpu-ubuntu2204-base)
#   PROJECT           GCP project (default: gcloud's configured one)
#   WORKDIR           the run's workdir, a path every worker sees at the
#                     same place (an NFS/Filestore mount, or a bucket mounted
#                     with gcsfuse): Orbax checkpoints are written by all
#                     workers together (required)
#   REMOTE_DIR        where the checkout goes on the workers (default ~/jaxgan)
#   SKIP_INSTALL      1: reuse the environment installed by an earlier call
# The global batch (data.batch_size) is split over every TPU core of the
# slice and must divide by their count. SIGTERM before a maintenance event
# is a preemption notice: every worker saves at the same step and exits;
# rerun this script to resume.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${TPU_NAME:?set TPU_NAME}" "${ZONE:?set ZONE}" "${WORKDIR:?set WORKDIR}"
ACCELERATOR_TYPE="${ACCELERATOR_TYPE:-v4-8}"
RUNTIME_VERSION="${RUNTIME_VERSION:-tpu-ubuntu2204-base}"
REMOTE_DIR="${REMOTE_DIR:-~/jaxgan}"
gcloud_tpu=(gcloud compute tpus tpu-vm)
location=(--zone="$ZONE")
[[ -n "${PROJECT:-}" ]] && location+=(--project="$PROJECT")

if ! "${gcloud_tpu[@]}" describe "$TPU_NAME" "${location[@]}" >/dev/null 2>&1; then
  echo "tpu_vm.sh: creating $TPU_NAME ($ACCELERATOR_TYPE) in $ZONE" >&2
  "${gcloud_tpu[@]}" create "$TPU_NAME" "${location[@]}" \
    --accelerator-type="$ACCELERATOR_TYPE" --version="$RUNTIME_VERSION"
fi

on_all_workers() {
  "${gcloud_tpu[@]}" ssh "$TPU_NAME" "${location[@]}" --worker=all \
    --command="$1"
}

# The checkout, without local environments and runs.
archive="$(mktemp -t jaxgan-XXXXXX.tar.gz)"
trap 'rm -f "$archive"' EXIT
git ls-files -z | tar --null -czf "$archive" -T -
"${gcloud_tpu[@]}" scp "${location[@]}" --worker=all "$archive" \
  "$TPU_NAME:/tmp/jaxgan.tar.gz"
on_all_workers "mkdir -p $REMOTE_DIR && tar -xzf /tmp/jaxgan.tar.gz -C $REMOTE_DIR"

if [[ "${SKIP_INSTALL:-0}" != 1 ]]; then
  on_all_workers "cd $REMOTE_DIR && python3 -m venv .venv && \
    .venv/bin/pip install -q -e '.[tpu]'"
fi

quoted_args="$(printf ' %q' "$@")"
on_all_workers "cd $REMOTE_DIR && .venv/bin/python -m jaxgan.main \
  --workdir=$(printf '%q' "$WORKDIR")$quoted_args"
