"""Drawing from a generator: latent noise, the run's fixed sample inputs,
and images, in one batch or many."""

import functools
from typing import Dict, Optional

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgan.core import checks
from jaxgan.core.errors import ConfigError
from jaxgan.core.keys import run_keys
from jaxgan.datasets.images import to_uint8
from jaxgan.step.state import GANState

NOISE_DISTRIBUTIONS = ('normal', 'uniform')


def latent_noise(key: jax.Array, batch_size: int, noise_dim: int,
                 distribution: str) -> jnp.ndarray:
  """z ~ N(0, I) or U[-1, 1]^noise_dim (the DCGAN paper's choice)."""
  if distribution == 'normal':
    return jax.random.normal(key, (batch_size, noise_dim))
  if distribution == 'uniform':
    return jax.random.uniform(key, (batch_size, noise_dim), minval=-1.0,
                              maxval=1.0)
  raise ConfigError(checks.unknown('model.noise_distribution', distribution,
                                   NOISE_DISTRIBUTIONS))


def check_config(config: ml_collections.ConfigDict) -> None:
  checks.choice(config, 'model.noise_distribution', NOISE_DISTRIBUTIONS)
  checks.integer(config, 'train.num_sample_images', 1)


def sample_inputs(config: ml_collections.ConfigDict, num: int):
  """The run's fixed noise for sample grids (from its seed's sample key),
  and for conditional models labels: image i is of class i mod
  num_classes. The same every time, so grids over training compare."""
  z = latent_noise(run_keys(config.seed).sample, num, config.model.noise_dim,
                   config.model.noise_distribution)
  num_classes = config.model.num_classes
  labels = class_labels('cycle', num, num_classes) if num_classes else None
  return z, labels


def generate(g_model: nn.Module, state: GANState, z: jnp.ndarray,
             labels: Optional[jnp.ndarray] = None) -> jnp.ndarray:
  """Samples in [-1, 1], in inference mode (BatchNorm running averages, EMA
  params where kept)."""
  return g_model.apply({'params': state.sampling_params(),
                        'batch_stats': state.g_batch_stats}, z, labels,
                       train=False).astype(jnp.float32)


def class_labels(spec: str, num: int, num_classes: int,
                 seed: int = 0) -> np.ndarray:
  """Labels for `num` conditional samples: 'cycle' (image i is of class
  i mod num_classes, a balanced set), 'random' (uniform), or a
  comma-separated list of classes cycled through ('3' = all threes)."""
  if spec == 'cycle':
    return np.arange(num, dtype=np.int32) % num_classes
  if spec == 'random':
    return np.random.default_rng(seed).integers(
        0, num_classes, num).astype(np.int32)
  try:
    chosen = [int(part) for part in spec.split(',')]
  except ValueError:
    chosen = []
  if not chosen or any(not 0 <= c < num_classes for c in chosen):
    raise ConfigError(
        f'--labels={spec!r} is invalid: expected cycle, random, or a '
        f'comma-separated list of classes in 0..{num_classes - 1}.')
  return np.resize(np.asarray(chosen, np.int32), num)


@functools.lru_cache(maxsize=None)
def _batch_generator(g_model: nn.Module, noise_dim: int,
                     noise_distribution: str, batch_size: int):
  def batch(state, key, b, labels):
    z = latent_noise(jax.random.fold_in(key, b), batch_size, noise_dim,
                     noise_distribution)
    return generate(g_model, state, z, labels)
  return jax.jit(batch)


def generate_uint8(g_model: nn.Module, state: GANState, noise_dim: int,
                   noise_distribution: str, num: int, key: jax.Array,
                   labels: Optional[np.ndarray] = None,
                   batch_size: int = 500) -> np.ndarray:
  """`num` images from G in inference mode (EMA params where kept), in
  batches of one compiled shape; the noise of batch b is drawn from
  fold_in(key, b), so the first images do not depend on `num`."""
  batch = _batch_generator(g_model, noise_dim, noise_distribution, batch_size)
  out = []
  for b, start in enumerate(range(0, num, batch_size)):
    y = None
    if labels is not None:
      y = np.resize(np.asarray(labels[start:start + batch_size], np.int32),
                    batch_size)
    images = np.asarray(batch(state, key, b, y))
    out.append(to_uint8(images[:min(batch_size, num - start)]))
  return np.concatenate(out)


def draw_samples(config: ml_collections.ConfigDict, g_model: nn.Module,
                 state: GANState, num: int, seed: int,
                 labels: str = 'cycle') -> Dict[str, np.ndarray]:
  """{'images': uint8 (num, H, W, C)} and, for conditional models,
  'labels' (chosen by `labels`: cycle | random | classes)."""
  num_classes = config.model.num_classes
  y = class_labels(labels, num, num_classes, seed) if num_classes else None
  images = generate_uint8(g_model, state, config.model.noise_dim,
                          config.model.noise_distribution, num,
                          jax.random.key(seed), y)
  return {'images': images} if y is None else {'images': images, 'labels': y}
