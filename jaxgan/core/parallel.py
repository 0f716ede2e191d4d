"""Where a run computes: a 1-D `data` mesh over every device of every host,
its two shardings, and the multi-host start-up.

Data parallelism is XLA's: the train step is one jitted program whose state
is replicated and whose batch is sharded over the mesh, so BatchNorm
normalises over the global batch and N devices compute what one device
computes at the same global batch (to float32 round-off).
"""

import os
from typing import Optional, Sequence

from absl import logging
import jax
from jax.sharding import Mesh, NamedSharding, PartitionSpec
import numpy as np

from jaxgan.core.errors import ConfigError

DATA_AXIS = 'data'


def cluster_environment() -> Optional[str]:
  """The multi-process cluster this process was started in, if any, that
  jax.distributed.initialize() configures itself from."""
  # Inside an srun step (as JAX's own detection needs); not the batch shell.
  if int(os.environ.get('SLURM_NTASKS', '1')) > 1 and all(
      name in os.environ for name in ('SLURM_PROCID', 'SLURM_STEP_NODELIST')):
    return f'SLURM ({os.environ["SLURM_NTASKS"]} tasks)'
  hosts = os.environ.get('TPU_WORKER_HOSTNAMES', '')
  if len([h for h in hosts.split(',') if h]) > 1:
    return f'Cloud TPU pod slice ({hosts.count(",") + 1} workers)'
  return None


def initialize(coordinator_address: str = '', num_processes: int = 0,
               process_id: int = -1) -> None:
  """jax.distributed.initialize() when more than one process is configured:
  explicitly (all three arguments, as launch/local.sh passes them) or by a
  detected SLURM job or TPU pod slice. A single process does nothing, so
  the same command runs on a laptop and on a pod. Call before any device
  is used."""
  explicit = bool(coordinator_address) or num_processes > 0
  if explicit:
    if not coordinator_address or num_processes < 1 or not (
        0 <= process_id < num_processes):
      raise ConfigError(
          f'Multi-process flags --coordinator_address={coordinator_address!r} '
          f'--num_processes={num_processes} --process_id={process_id} are '
          f'inconsistent: give all three, with HOST:PORT, N >= 1 and '
          f'0 <= process_id < N (or none, on a single host, SLURM or a TPU '
          f'pod, where they are detected).')
    jax.distributed.initialize(coordinator_address, num_processes, process_id)
  elif cluster := cluster_environment():
    logging.info('Detected %s: starting jax.distributed.', cluster)
    jax.distributed.initialize()


def make_mesh(devices: Optional[Sequence[jax.Device]] = None) -> Mesh:
  """The 1-D `data` mesh over `devices` (default: every device of every
  process). Its axis is Auto: XLA's partitioner places each intermediate,
  given the state's and the batch's shardings."""
  auto = (jax.sharding.AxisType.Auto,)
  if devices is None:
    return jax.make_mesh((jax.device_count(),), (DATA_AXIS,),
                         axis_types=auto)
  return Mesh(np.asarray(devices), (DATA_AXIS,), axis_types=auto)


def replicated(mesh: Mesh) -> NamedSharding:
  """Params, optimizer states, keys and the in-memory dataset."""
  return NamedSharding(mesh, PartitionSpec())


def batch_sharded(mesh: Mesh) -> NamedSharding:
  """A batch split along its first axis over the `data` axis."""
  return NamedSharding(mesh, PartitionSpec(DATA_AXIS))


def check_batch_size(batch_size: int, mesh: Mesh) -> None:
  if batch_size % mesh.size:
    raise ConfigError(
        f'data.batch_size={batch_size} is not divisible by the device count '
        f'{mesh.size}; the global batch is split evenly over the devices, so '
        f'use a multiple of {mesh.size}.')


def replicate_host_data(tree, mesh: Mesh):
  """Arrays every process holds in full (the loaded dataset), as global
  arrays replicated on every device of the mesh."""
  sharding = replicated(mesh)
  return jax.tree.map(
      lambda x: jax.make_array_from_process_local_data(sharding, np.asarray(x)),
      tree)


def to_host(tree):
  """A replicated global tree as numpy, on any process (multi-host arrays
  are not fully addressable, but each process holds whole replicas)."""
  return jax.tree.map(
      lambda x: np.asarray(x if getattr(x, 'is_fully_addressable', True)
                           else x.addressable_data(0)), tree)


def sync(name: str) -> None:
  """Waits until every process gets here (a no-op in a single process):
  for file changes the lead process makes that all of them then read."""
  if jax.process_count() > 1:
    from jax.experimental import multihost_utils  # pylint: disable=g-import-not-at-top
    multihost_utils.sync_global_devices(name)
