"""jaxgan from Python: train a config, load a run, sample, evaluate.

  from jaxgan import api
  config = api.get_config('dcgan_mnist')
  config.train.num_steps = 200
  api.train(config, 'runs/dcgan')
  run = api.load_run('runs/dcgan')
  digits = run.sample(64)            # uint8 (64, 28, 28, 1)
  scores = run.evaluate(1000)        # metrics next to the real-data row
  fid = run.evaluate(1000, features='inception')['metrics']['fid']

Progress shows without any flag parsing (`verbosity`: 0 warnings only,
1 a progress bar and jaxgan's own lines, 2 every library's INFO log too);
the command line tools (`python -m jaxgan.main` ...) are thin wrappers over
this. Configs come locked: a mistyped field raises, naming the near ones.
"""

import dataclasses
from typing import Dict, Optional

from absl import flags
from absl import logging
import jax
from jax.sharding import Mesh
import ml_collections
import numpy as np

from jaxgan.core import cli, config_files
from jaxgan.run import progress, runs
from jaxgan.step import sampling
from jaxgan.step.state import GANState


def get_config(name_or_path: str) -> ml_collections.ConfigDict:
  """An experiment config by name ('dcgan_mnist') or file path, locked as
  the command line's are: setting a field it does not have raises
  AttributeError with the near names ('Did you mean "num_steps"')."""
  config = config_files.load(name_or_path)
  config.lock()
  return config


def train(config: ml_collections.ConfigDict, workdir: str, *,
          mesh: Optional[Mesh] = None, restore_fallback: bool = False,
          force: bool = False, verbosity: int = 1) -> GANState:
  """Trains (or resumes) `config` in `workdir` and, where
  config.report.at_end, writes its report; returns the final state. See
  `jaxgan.run.train.train_and_evaluate` for the options; `verbosity` as in the
  module's docstring."""
  _show_progress(verbosity)
  from jaxgan import report  # pylint: disable=g-import-not-at-top
  from jaxgan.run import train as train_lib  # pylint: disable=g-import-not-at-top
  state = train_lib.train_and_evaluate(config, workdir, mesh,
                                       restore_fallback=restore_fallback,
                                       force=force,
                                       progress_bar=(verbosity == 1 and
                                                     progress.interactive()))
  if config.report.at_end and jax.process_index() == 0:
    report.write_report_after_training(workdir)
  return state


@dataclasses.dataclass
class Run:
  """A trained run read back from its workdir: its config, models and the
  state of one checkpoint."""
  workdir: str
  config: ml_collections.ConfigDict
  g_model: object
  d_model: object
  state: GANState

  @property
  def step(self) -> int:
    return int(self.state.step)

  def sample(self, num: int, seed: int = 0,
             labels: str = 'cycle') -> np.ndarray:
    """`num` uint8 images (N, H, W, C); for conditional models of the
    classes `labels` names (cycle | random | a list such as '3' or '1,7')."""
    return sampling.draw_samples(self.config, self.g_model, self.state, num,
                                 seed, labels)['images']

  def evaluate(self, num_samples: int = 10_000, seed: int = 0,
               protocols: str = 'auto',
               features: Optional[str] = None) -> Dict[str, object]:
    """The metrics of `num_samples` samples with the real-data reference,
    and the protocols that apply (see `python -m jaxgan.evaluate`), in the
    feature space `features` (auto | classifier | inception; None: the
    run's eval.features)."""
    from jaxgan import evaluate  # pylint: disable=g-import-not-at-top
    from jaxgan.run import config_validation  # pylint: disable=g-import-not-at-top
    config = self.config
    if features is not None:
      config = config.copy_and_resolve_references()
      config.eval.features = features
      config_validation.validate(config)
    return evaluate.evaluate_state(config, self.g_model, self.d_model,
                                   self.state, num_samples, seed, protocols)


def inception_features(images_uint8: np.ndarray,
                       weights: str = '') -> np.ndarray:
  """(n, 2048) FID Inception pool features of uint8 (n, h, w, 1 or 3)
  images, as jaxgan's `fid` computes them (`weights`: see
  eval.inception_weights)."""
  from jaxgan.evaluation import inception_features as features_lib  # pylint: disable=g-import-not-at-top
  return features_lib.features_of(images_uint8, weights)


def load_run(workdir: str, checkpoint: str = 'latest',
             verbosity: int = 1) -> Run:
  """The run in `workdir` at `checkpoint` (latest | best | 0 | a step)."""
  _show_progress(verbosity)
  config = runs.load_config(workdir)
  g_model, d_model, state = runs.load_state(workdir, config, checkpoint)
  return Run(workdir, config, g_model, d_model, state)


def _show_progress(verbosity: int) -> None:
  """Where no command line set the logging (a notebook): INFO for long
  work to show its progress, the libraries' own INFO lines only at
  verbosity 2."""
  if verbosity not in (0, 1, 2):
    raise ValueError(f'verbosity={verbosity!r}: 0 (warnings only), 1 '
                     f'(progress) or 2 (every library\'s INFO log).')
  if flags.FLAGS.is_parsed():
    return
  if not verbosity:
    logging.set_verbosity(logging.WARNING)
  elif logging.get_verbosity() < logging.INFO:
    logging.set_verbosity(logging.INFO)
  cli.quiet_libraries(verbosity < 2)
