"""How long a run is, and when its periodic work happens.

A config's `train.num_epochs` are epochs of the dataset its source trained
on (MNIST: 60,000 training digits), whatever stands in for it here: on the
bundled 5,000-digit subset a 30-epoch recipe runs the source's 7,020 steps at
batch 256, not 30 passes over the subset (570 steps), which would train a
twelfth as long as the source did and end in illegible digits.
"""

import dataclasses
import math

import ml_collections

from jaxgan.core.errors import ConfigError
from jaxgan.datasets import data

# train.steps_per_call=0 fuses at most this many steps per call.
MAX_AUTO_STEPS_PER_CALL = 10
# train.sample_every=0 aims at this many sample grids over the run (the
# progress GIF's frames), and never fewer than 20 once a run has 400 steps.
AUTO_SAMPLE_GRIDS = 25


def epoch_size(config: ml_collections.ConfigDict, num_loaded: int) -> int:
  """Images per epoch: train.epoch_size, or for 0 the full training split of
  data.name, or for -1 the `num_loaded` images actually loaded."""
  if config.train.epoch_size > 0:
    return config.train.epoch_size
  if config.train.epoch_size == -1:
    return num_loaded
  return source_epoch_size(config)


def source_epoch_size(config: ml_collections.ConfigDict) -> int:
  """The full training split of data.name: the epoch its sources count."""
  size = data.dataset_spec(config.data).train_size
  if not size:
    raise ConfigError(
        f'train.epoch_size=0 counts epochs of the full training split of '
        f'data.name, but jaxgan does not know the size of '
        f'{config.data.name!r} (it knows {", ".join(sorted(data.DATASETS))}); '
        f'set train.epoch_size=-1 (the images loaded) or a count.')
  return size


def total_steps(config: ml_collections.ConfigDict, num_loaded: int) -> int:
  """Train steps to run: train.num_steps, or num_epochs of D's batches."""
  if config.train.num_steps > 0:
    return config.train.num_steps
  batches_per_epoch = epoch_size(config, num_loaded) // config.data.batch_size
  return steps_for_epochs(config.train.num_epochs, batches_per_epoch,
                          config.train.d_steps_per_g_step)


def steps_for_epochs(num_epochs: float, batches_per_epoch: int,
                     d_steps_per_g_step: int = 1) -> int:
  """Train steps that take num_epochs epochs of D's batches: a step with n
  critic updates takes n batches; a part-step counts as a step."""
  return max(1, math.ceil(num_epochs * batches_per_epoch /
                          d_steps_per_g_step))


def steps_per_call(train_config: ml_collections.ConfigDict) -> int:
  """Steps per jitted call: train.steps_per_call, or for 0 the largest
  count up to MAX_AUTO_STEPS_PER_CALL that divides every periodic interval
  (so logs, samples, checkpoints and evaluations keep their steps). An
  automatic sample interval (0) is left out: it is made a multiple of it."""
  if train_config.steps_per_call:
    return train_config.steps_per_call
  intervals = [train_config.log_every, train_config.sample_every,
               train_config.checkpoint_every, train_config.eval_every]
  common = math.gcd(*intervals)  # gcd(n, 0) = n: 0 is off or automatic.
  return max(d for d in range(1, MAX_AUTO_STEPS_PER_CALL + 1)
             if common % d == 0)


def sample_interval(train_config: ml_collections.ConfigDict,
                    num_steps: int) -> int:
  """train.sample_every, or for 0 about num_steps / AUTO_SAMPLE_GRIDS rounded
  down to a multiple of the steps fused per call (so fusing is unchanged)."""
  if train_config.sample_every:
    return train_config.sample_every
  fused = steps_per_call(train_config)
  every = num_steps // AUTO_SAMPLE_GRIDS // fused * fused
  return every or fused


def resolve(config: ml_collections.ConfigDict, num_steps: int
            ) -> ml_collections.ConfigDict:
  """A copy of `config` with its automatic intervals made concrete."""
  config = config.copy_and_resolve_references()
  config.train.sample_every = sample_interval(config.train, num_steps)
  return config


@dataclasses.dataclass(frozen=True)
class RunLength:
  """What a run's length means, for its first log lines."""
  num_steps: int
  epochs: float  # Of epoch_size images.
  epoch_size: int
  num_loaded: int
  dataset_name: str
  source: str
  # Whose epoch: 'loaded' | 'source' (data.name's split) | 'config'.
  counted: str = 'loaded'

  def describe(self) -> str:
    text = (f'{self.num_steps:,} steps = {self.epochs:.4g} epochs of '
            f'{self.epoch_size:,} images')
    if self.counted == 'source':
      text += f' (the size of {self.dataset_name}\'s training split)'
    elif self.counted == 'loaded':
      text += ' (the images loaded: train.epoch_size=-1)'
    if self.num_loaded != self.epoch_size:
      text += (f'; the {self.num_loaded:,} images loaded ({self.source}) stand'
               f' in for them, each seen about '
               f'{_two_digits(self.epochs * self.epoch_size / self.num_loaded)}'
               ' times')
    return text


def _two_digits(x: float) -> str:
  """x to two significant digits, as 1,200 rather than 1.2e+03."""
  if x < 10:
    return f'{x:.2g}'
  return f'{round(x, 1 - int(math.log10(x))):,.0f}'


def run_length(config: ml_collections.ConfigDict, num_loaded: int,
               source: str) -> RunLength:
  num_steps = total_steps(config, num_loaded)
  size = epoch_size(config, num_loaded)
  batches_per_epoch = max(1, size // config.data.batch_size)
  epochs = num_steps * config.train.d_steps_per_g_step / batches_per_epoch
  counted = {-1: 'loaded', 0: 'source'}.get(config.train.epoch_size, 'config')
  return RunLength(num_steps, epochs, size, num_loaded, config.data.name,
                   source, counted)
