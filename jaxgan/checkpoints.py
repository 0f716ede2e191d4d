"""Orbax checkpoints of GANState: workdir/checkpoints (the latest few) and
workdir/best_checkpoint (the best by an evaluation metric)."""

import json
import os
from typing import Optional

import jax
import orbax.checkpoint as ocp

from jaxgan import files, parallel
from jaxgan.state import GANState

BEST_DIR = 'best_checkpoint'


def make_manager(workdir: str, max_to_keep: Optional[int],
                 subdir: str = 'checkpoints') -> ocp.CheckpointManager:
  # Synchronous saves: the train step donates its state buffers, so the
  # state must be fully on disk before the next step may overwrite them.
  return ocp.CheckpointManager(
      os.path.join(os.path.abspath(workdir), subdir),
      options=ocp.CheckpointManagerOptions(
          max_to_keep=max_to_keep, create=True,
          enable_async_checkpointing=False))


def save(manager: ocp.CheckpointManager, state: GANState) -> int:
  """Saves `state` unless its step is saved already; every process of a
  multi-host run takes part."""
  step = int(parallel.to_host(state.step))
  if manager.latest_step() != step:
    manager.save(step, args=ocp.args.StandardSave(state))
    manager.wait_until_finished()
  return step


def restore(manager: ocp.CheckpointManager, target: GANState,
            step: Optional[int] = None) -> Optional[GANState]:
  """Checkpoint `step` (default: the latest) restored into `target`'s
  structure, or None when the manager has none."""
  step = manager.latest_step() if step is None else step
  if step is None:
    return None
  abstract = jax.tree.map(
      lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding),
      target)
  return manager.restore(step, args=ocp.args.StandardRestore(abstract))


class BestCheckpoint:
  """Keeps the state with the best value of one evaluation metric in
  workdir/best_checkpoint, its record in workdir/eval/best.json. A new best
  is fully written before the old one is deleted."""

  def __init__(self, workdir: str, metric: str, higher_is_better: bool):
    self.metric = metric
    self.higher_is_better = higher_is_better
    self.manager = make_manager(workdir, 1, BEST_DIR)
    self.record_path = os.path.join(workdir, 'eval', 'best.json')
    self.record = None
    if os.path.exists(self.record_path):
      with open(self.record_path) as f:
        record = json.load(f)
      # A record of another metric (eval.best_metric changed) starts afresh.
      if record.get('metric') == metric:
        self.record = record

  def is_better(self, value: float) -> bool:
    if self.record is None:
      return True
    best = self.record['value']
    return value > best if self.higher_is_better else value < best

  def update(self, state: GANState, value: float) -> bool:
    """Saves `state` if `value` beats the best so far; True if it did."""
    if not self.is_better(value):
      return False
    step = int(parallel.to_host(state.step))
    if self.manager.latest_step() != step:  # Else re-evaluated, same state.
      self.manager.save(step, args=ocp.args.StandardSave(state))
      self.manager.wait_until_finished()
    self.record = {'metric': self.metric, 'value': value, 'step': step}
    files.write_json(self.record_path, self.record)
    return True

  def close(self) -> None:
    self.manager.close()
