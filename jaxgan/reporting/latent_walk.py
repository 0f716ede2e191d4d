"""Walking in the latent space (Vijaya Lakshmi & Ganaraju, section 6.1):
images along paths between random latent points. Smooth, semantic changes along a path show a
learned manifold; sharp jumps are a sign of memorisation."""

from typing import List, Tuple

import flax.linen as nn
import jax
import numpy as np

from jaxgan.core.errors import ConfigError
from jaxgan.datasets import images
from jaxgan.step import sampling
from jaxgan.step.state import GANState

INTERPOLATIONS = ('slerp', 'linear')


def interpolate(z0: np.ndarray, z1: np.ndarray, num_points: int,
                method: str) -> np.ndarray:
  """(num_points, dim) from z0 to z1, both included, float32.

  slerp: spherical interpolation (Shoemake 1985; White 2016 for GAN
  latents). Points on the straight line between two Gaussian samples have a
  smaller norm than samples do, so G sees atypical inputs midway; the
  great-circle path keeps the norm in range. It falls back to the line for
  (anti)parallel endpoints, where the circle is undefined.
  """
  if method not in INTERPOLATIONS:
    raise ConfigError(f'Unknown --interpolation={method!r}; valid choices: '
                      f'{", ".join(INTERPOLATIONS)}.')
  z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
  t = np.linspace(0.0, 1.0, num_points)[:, None]
  line = (1 - t) * z0 + t * z1
  if method == 'linear':
    return line.astype(np.float32)
  cos = z0 @ z1 / (np.linalg.norm(z0) * np.linalg.norm(z1))
  omega = np.arccos(np.clip(cos, -1.0, 1.0))
  if np.sin(omega) < 1e-6:
    return line.astype(np.float32)
  arc = (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)
  return arc.astype(np.float32)


def walk(g_model: nn.Module, state: GANState, noise_dim: int,
         noise_distribution: str, num_classes: int, key: jax.Array,
         num_rows: int, num_points: int, method: str
         ) -> Tuple[np.ndarray, List[int]]:
  """A uint8 grid of walks, one per row, and each row's class (conditional
  models: one row per class, all along the same path, so a row shows the
  class and the columns the style the path varies; else None)."""
  if num_rows < 1 or num_points < 2:
    raise ConfigError(f'A latent walk needs at least 1 row and 2 points; got '
                      f'{num_rows} rows of {num_points} points.')
  if num_classes:
    num_rows = num_classes
    ends = np.asarray(sampling.latent_noise(key, 2, noise_dim,
                                            noise_distribution))
    z = np.tile(interpolate(ends[0], ends[1], num_points, method),
                (num_classes, 1))
    labels = np.repeat(np.arange(num_classes, dtype=np.int32), num_points)
    row_classes = list(range(num_classes))
  else:
    ends = np.asarray(sampling.latent_noise(key, 2 * num_rows, noise_dim,
                                            noise_distribution))
    z = np.concatenate([interpolate(ends[2 * r], ends[2 * r + 1], num_points,
                                    method) for r in range(num_rows)])
    labels = None
    row_classes = [None] * num_rows
  generated = jax.jit(lambda s, z, y: sampling.generate(g_model, s, z, y))(
      state, z, labels)
  return (images.make_grid(np.asarray(generated), cols=num_points),
          row_classes)
