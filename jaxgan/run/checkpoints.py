"""Orbax checkpoints of GANState: workdir/checkpoints (the latest few) and
workdir/best_checkpoint (the best by an evaluation metric).

Orbax writes each step to a temporary directory and renames it when
complete, so a crash or a full disk mid-save never touches the checkpoints
before it. Orbax does not notice a damaged file, though (a flipped byte
restores as a wrong value), so every saved step also gets a manifest of its
files' sizes and SHA-256 sums, checked before it is restored.
"""

import glob
import hashlib
import os
import shutil
import time
from typing import List, Optional

from absl import logging
import jax
import orbax.checkpoint as ocp

from jaxgan.core import files, parallel
from jaxgan.core.errors import CheckpointError
from jaxgan.step.state import GANState

BEST_DIR = 'best_checkpoint'
# Beside `checkpoints`: steps that failed to restore, moved by a fallback.
DAMAGED_DIR = 'damaged_checkpoints'
MANIFEST = 'jaxgan_checksums.json'
# What restoring another step means to each command.
FALLBACK_HINT = ('--restore_fallback (jaxgan.main) resumes from the newest '
                 'intact checkpoint, moving this one aside; --checkpoint=STEP '
                 '(jaxgan.evaluate, jaxgan.sample) picks another')


def saved_steps(workdir: str, subdir: str = 'checkpoints') -> List[int]:
  """The finished checkpoints' steps in workdir/subdir, ascending, read from
  the folder names: a reader that opens no manager creates no folder."""
  directory = os.path.join(workdir, subdir)
  if not os.path.isdir(directory):
    return []
  return sorted(int(name) for name in os.listdir(directory) if name.isdigit())


def make_manager(workdir: str, max_to_keep: Optional[int],
                 subdir: str = 'checkpoints',
                 remove_partial_saves: bool = False) -> ocp.CheckpointManager:
  """`remove_partial_saves`: delete the temporary directories of saves a
  crash cut short; only for the run that writes the checkpoints, never for a
  reader that may run beside it."""
  # Synchronous saves: the train step donates its state buffers, so the
  # state must be fully on disk before the next step may overwrite them.
  return ocp.CheckpointManager(
      os.path.join(os.path.abspath(workdir), subdir),
      options=ocp.CheckpointManagerOptions(
          max_to_keep=max_to_keep, create=True,
          enable_async_checkpointing=False,
          cleanup_tmp_directories=remove_partial_saves))


def step_dir(manager: ocp.CheckpointManager, step: int) -> str:
  return os.path.join(str(manager.directory), str(step))


def save(manager: ocp.CheckpointManager, state: GANState) -> int:
  """Saves `state` unless its step is saved already; every process of a
  multi-host run takes part. A failed save (a full disk) removes its partial
  files and raises CheckpointError; the earlier checkpoints are intact."""
  step = int(parallel.to_host(state.step))
  if manager.latest_step() != step:
    _save_step(manager, step, state)
  return step


def _save_step(manager: ocp.CheckpointManager, step: int,
               state: GANState) -> None:
  try:
    manager.save(step, args=ocp.args.StandardSave(state))
    manager.wait_until_finished()
  except Exception as e:  # pylint: disable=broad-except
    # Orbax reports I/O failures as ValueError/OSError from TensorStore.
    for partial in glob.glob(step_dir(manager, step) + '.orbax-checkpoint-tmp*'):
      shutil.rmtree(partial, ignore_errors=True)
    full = 'No space left on device' in str(e) or getattr(e, 'errno', 0) == 28
    intact = [s for s in manager.all_steps() if s != step]
    raise CheckpointError(
        f'Saving checkpoint step {step} in {manager.directory} failed: '
        f'{_first_line(e)}'
        + (' The disk is full: free space, then' if full else ' Fix that, then')
        + ' rerun the same command to resume. The checkpoints saved before it '
        f'are intact (latest: step {max(intact) if intact else "none"}).'
    ) from e
  if jax.process_index() == 0:
    write_manifest(step_dir(manager, step))


def _first_line(error: BaseException) -> str:
  lines = str(error).strip().splitlines() or [type(error).__name__]
  line = lines[0]
  return line if line.endswith('.') else line + '.'


def _files_under(directory: str):
  for root, _, names in os.walk(directory):
    for name in names:
      path = os.path.join(root, name)
      rel = os.path.relpath(path, directory)
      if rel != MANIFEST:
        yield rel, path


def _sha256(path: str) -> str:
  with open(path, 'rb') as f:
    return hashlib.file_digest(f, 'sha256').hexdigest()


def write_manifest(directory: str) -> None:
  """Records the size and SHA-256 of every file of a saved step."""
  files.write_json(
      os.path.join(directory, MANIFEST),
      {rel: {'bytes': os.path.getsize(path), 'sha256': _sha256(path)}
       for rel, path in _files_under(directory)})


def verify(directory: str) -> None:
  """Raises CheckpointError if a file of the step's manifest is missing or
  differs. A step without a manifest (a crash right after Orbax finished,
  or a checkpoint from before manifests) is left to Orbax's own checks."""
  try:
    manifest = files.read_json(os.path.join(directory, MANIFEST), default={})
  except ValueError as e:
    raise CheckpointError(f'Checkpoint {directory} is damaged: its {MANIFEST} '
                          f'is not valid JSON ({e}).') from e
  for rel, record in sorted(manifest.items()):
    file_path = os.path.join(directory, rel)
    if not os.path.exists(file_path):
      problem = 'is missing'
    elif os.path.getsize(file_path) != record['bytes']:
      problem = (f'has {os.path.getsize(file_path)} bytes, not the '
                 f'{record["bytes"]} saved')
    elif _sha256(file_path) != record['sha256']:
      problem = 'does not match its saved SHA-256 (the file was changed)'
    else:
      continue
    raise CheckpointError(f'Checkpoint {directory} is damaged: {rel} '
                          f'{problem}.')


def restore(manager: ocp.CheckpointManager, target: GANState,
            step: Optional[int] = None,
            fallback: bool = False) -> Optional[GANState]:
  """Checkpoint `step` (default: the latest) restored into `target`'s
  structure, or None when the manager has none.

  A checkpoint that fails its manifest or Orbax's restore raises
  CheckpointError naming it; with `fallback` (and no explicit `step`) it is
  moved to workdir/damaged_checkpoints and the next older one is tried.
  """
  candidates = (sorted(manager.all_steps(), reverse=True) if step is None
                else [step])
  for candidate in candidates:
    try:
      return _restore_step(manager, target, candidate)
    except CheckpointError as e:
      older = [s for s in candidates if s < candidate]
      if not (fallback and step is None):
        raise CheckpointError(
            f'{e} Older checkpoints: '
            f'{", ".join(map(str, older)) or "none"}. {FALLBACK_HINT}.'
        ) from e
      moved = _set_aside(manager, candidate)
      logging.warning('%s Moved it to %s; trying the checkpoint before it%s.',
                      e, moved, f' (step {older[0]})' if older else
                      ' (there is none: starting afresh)')
  return None


def _restore_step(manager: ocp.CheckpointManager, target: GANState,
                  step: int) -> GANState:
  directory = step_dir(manager, step)
  verify(directory)
  abstract = jax.tree.map(
      lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding),
      target)
  try:
    return manager.restore(step, args=ocp.args.StandardRestore(abstract))
  except Exception as e:  # pylint: disable=broad-except
    # Orbax raises ValueError, FileNotFoundError or bare Exception for a
    # partial directory, a missing file or another model's tree.
    raise CheckpointError(f'Checkpoint {directory} cannot be restored: '
                          f'{_first_line(e)}') from e


def _set_aside(manager: ocp.CheckpointManager, step: int) -> str:
  """Moves a damaged step out of the manager's directory (kept, not
  deleted) and makes every process's manager forget it."""
  parent = os.path.dirname(str(manager.directory).rstrip('/'))
  destination = os.path.join(parent, DAMAGED_DIR,
                             f'{step}-{time.strftime("%Y%m%d-%H%M%S")}')
  if jax.process_index() == 0:
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    shutil.move(step_dir(manager, step), destination)
  parallel.sync(f'jaxgan_set_aside_{step}')
  manager.reload()
  return destination


class BestCheckpoint:
  """Keeps the state with the best value of one evaluation metric in
  workdir/best_checkpoint, its record in workdir/eval/best.json. A new best
  is fully written before the old one is deleted."""

  def __init__(self, workdir: str, metric: str, higher_is_better: bool):
    self.metric = metric
    self.higher_is_better = higher_is_better
    self.manager = make_manager(workdir, 1, BEST_DIR,
                                remove_partial_saves=True)
    self.record_path = os.path.join(workdir, 'eval', 'best.json')
    record = files.read_json(self.record_path, default={})
    # A record of another metric (eval.best_metric changed) starts afresh.
    self.record = record if record.get('metric') == metric else None

  def is_better(self, value: float) -> bool:
    if self.record is None:
      return True
    best = self.record['value']
    return value > best if self.higher_is_better else value < best

  def update(self, state: GANState, value: float) -> bool:
    """Saves `state` if `value` beats the best so far; True if it did."""
    if not self.is_better(value):
      return False
    step = save(self.manager, state)  # Re-evaluated, same state: kept.
    self.record = {'metric': self.metric, 'value': value, 'step': step}
    files.write_json(self.record_path, self.record)
    return True

  def close(self) -> None:
    self.manager.close()
