"""Drawing many images from a trained generator: batched, as uint8."""

import functools
from typing import Optional

import flax.linen as nn
import jax
import numpy as np

from jaxgan import steps
from jaxgan.images import to_uint8
from jaxgan.errors import ConfigError
from jaxgan.state import GANState


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
    z = steps.latent_noise(jax.random.fold_in(key, b), batch_size, noise_dim,
                           noise_distribution)
    return steps.generate(g_model, state, z, labels)
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
