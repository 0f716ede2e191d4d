"""Orbax checkpoints of GANState in workdir/checkpoints."""

import os
from typing import Optional

import jax
import orbax.checkpoint as ocp

from jaxgan.state import GANState


def make_manager(workdir: str, max_to_keep: int) -> ocp.CheckpointManager:
  # Synchronous saves: the train step donates its state buffers, so the
  # state must be fully on disk before the next step may overwrite them.
  return ocp.CheckpointManager(
      os.path.join(os.path.abspath(workdir), 'checkpoints'),
      options=ocp.CheckpointManagerOptions(
          max_to_keep=max_to_keep, create=True,
          enable_async_checkpointing=False))


def save(manager: ocp.CheckpointManager, state: GANState) -> int:
  step = int(state.step)
  if manager.latest_step() != step:
    manager.save(step, args=ocp.args.StandardSave(state))
    manager.wait_until_finished()
  return step


def restore_latest(manager: ocp.CheckpointManager,
                   target: GANState) -> Optional[GANState]:
  """The latest checkpoint restored into `target`'s structure, or None."""
  step = manager.latest_step()
  if step is None:
    return None
  abstract = jax.tree.map(
      lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding),
      target)
  return manager.restore(step, args=ocp.args.StandardRestore(abstract))
