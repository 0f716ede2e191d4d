"""The rules of a workdir: one experiment per directory. A rerun resumes
the run it holds; another config or other data is refused (or, with
--force, the old run is moved aside, never deleted)."""

import os
import shutil
import time
from typing import Optional

from absl import logging
import jax
import ml_collections

from jaxgan.core import files, parallel
from jaxgan.core.errors import ConfigError
from jaxgan.run import checkpoints, config_validation


# Where --force moves the run a workdir held, under workdir/.
REPLACED_DIR = 'replaced'


def prepare(workdir: str, config: ml_collections.ConfigDict,
            dataset_summary: dict, write: bool = True,
            force: bool = False) -> None:
  """Creates the workdir and records the run's config and data (`write`:
  the lead process only). Refuses a workdir holding another experiment (a
  checkpointed run whose config differs in more than length and reporting,
  or whose data differs) unless `force`, which moves that run aside."""
  try:
    os.makedirs(workdir, exist_ok=True)
    probe = os.path.join(workdir, f'.write_test.{jax.process_index()}')
    with open(probe, 'w') as f:
      f.write('ok')
    os.remove(probe)
  except OSError as e:
    raise ConfigError(f'--workdir={workdir!r} is not writable: {e}.') from e
  config_path = os.path.join(workdir, 'config.json')
  data_path = os.path.join(workdir, 'data_source.json')
  other = has_checkpoint(workdir) and _other_experiment(
      workdir, files.read_json(config_path), config,
      files.read_json(data_path), dataset_summary)
  if other and not force:
    raise ConfigError(
        f'{other}\nUse a new workdir, or --force to move that run to '
        f'{os.path.join(workdir, REPLACED_DIR)}/ and start this one here.')
  if other and write:
    logging.warning('--force: moved the run that was in %s to %s.', workdir,
                    _move_run_aside(workdir))
  parallel.sync('jaxgan_prepare_workdir')
  if write:
    files.write_json(config_path, config.to_dict())
    files.write_json(data_path, dataset_summary)


def _other_experiment(workdir: str, saved_config: Optional[dict],
                      config: ml_collections.ConfigDict,
                      saved_data: Optional[dict], data_summary: dict
                      ) -> Optional[str]:
  """Why the run in `workdir` cannot be resumed with this config and data,
  or None if it can (or its records are missing, as in a copied-in run)."""
  diffs = (config_validation.resume_differences(saved_config, config)
           if saved_config is not None else [])
  if diffs:
    lines = '\n'.join(f'  {field}: {old!r} (saved) -> {new!r} (now)'
                      for field, old, new in diffs)
    return (f'--workdir={workdir!r} holds a run with a different config, '
            f'which cannot be resumed with this one:\n{lines}\nTo resume it, '
            f'use its saved config ({workdir}/config.json).')
  # source=auto may find full MNIST where it once fell back to the subset.
  if saved_data and ((saved_data['source'], saved_data['num_images']) !=
                     (data_summary['source'], data_summary['num_images'])):
    return (f'--workdir={workdir!r} was trained on {saved_data["num_images"]} '
            f'images from data.source={saved_data["source"]!r}, but this run '
            f'found {data_summary["num_images"]} from '
            f'{data_summary["source"]!r}. To continue on the same data, set '
            f'--config.data.source={saved_data["source"]}.')
  return None


def _move_run_aside(workdir: str) -> str:
  """Moves everything in `workdir` to workdir/replaced/TIME (kept, not
  deleted); returns where."""
  destination = os.path.join(workdir, REPLACED_DIR,
                             time.strftime('%Y%m%d-%H%M%S'))
  os.makedirs(destination)
  for name in os.listdir(workdir):
    if name != REPLACED_DIR:
      shutil.move(os.path.join(workdir, name), destination)
  return destination


def has_checkpoint(workdir: str) -> bool:
  """Whether the workdir holds progress to protect (a finished checkpoint)."""
  return bool(checkpoints.saved_steps(workdir))
