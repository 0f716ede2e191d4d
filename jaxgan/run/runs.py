"""Reading a training run back from its workdir: its saved config and any
of its checkpoints, for the commands that use a trained run (evaluate,
sample)."""

import json
import os
import ml_collections

from jaxgan.configs import default
from jaxgan.core.errors import ConfigError
from jaxgan.core.keys import run_keys
from jaxgan.datasets import data
from jaxgan.run import assemble, checkpoints, config_validation

CHECKPOINT_CHOICES = 'latest | best | 0 (the untrained generator) | a step'


def saved_config(workdir: str) -> dict:
  """workdir/config.json as saved, or a clear error if there is none."""
  path = os.path.join(workdir, 'config.json')
  if not os.path.exists(path):
    raise ConfigError(f'--workdir={workdir!r} holds no training run: '
                      f'{path} does not exist.')
  with open(path) as f:
    return json.load(f)


def load_config(workdir: str) -> ml_collections.ConfigDict:
  """workdir/config.json over configs/default.py, checked."""
  return config_from_saved(saved_config(workdir))


def config_from_saved(saved: dict) -> ml_collections.ConfigDict:
  """A saved config over configs/default.py (so runs saved before a field
  existed read it at its default; JSON's lists become the default's
  tuples), checked."""
  config = default.get_config()
  config.update(saved)
  config_validation.validate(config)
  return config


def load_state(workdir: str, config: ml_collections.ConfigDict,
               checkpoint: str = 'latest'):
  """(g_model, d_model, state) of checkpoint `checkpoint` of the run."""
  spec = data.dataset_spec(config.data)
  g_model, d_model = assemble.build_models(config, spec)
  state, _ = assemble.initial_state_and_step(config, g_model, d_model,
                                             spec.image_shape,
                                             run_keys(config.seed).init,
                                             abstract=checkpoint != '0')
  if checkpoint == '0':
    return g_model, d_model, state  # The run's own step-0 initialisation.
  if checkpoint == 'best':
    manager = checkpoints.make_manager(workdir, 1, checkpoints.BEST_DIR)
    step = manager.latest_step()
    if step is None:
      raise ConfigError(
          f'--checkpoint=best, but {manager.directory} holds no checkpoint: '
          f'the run kept none (it needs train.eval_every > 0).')
  else:
    manager = checkpoints.make_manager(workdir, None)
    available = manager.all_steps()
    if checkpoint == 'latest':
      if not available:
        raise ConfigError(f'{manager.directory} holds no checkpoint yet.')
      step = max(available)
    else:
      try:
        step = int(checkpoint)
      except ValueError:
        step = -1
      if step not in available:
        raise ConfigError(
            f'--checkpoint={checkpoint!r} is not available; valid choices: '
            f'{CHECKPOINT_CHOICES}; saved steps: '
            f'{", ".join(map(str, sorted(available))) or "none"}.')
  state = checkpoints.restore(manager, state, step)
  manager.close()
  return g_model, d_model, state
