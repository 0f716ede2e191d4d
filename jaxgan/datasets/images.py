"""Image pixels and grids: uint8 <-> the generator's [-1, 1], and float
batches -> one uint8 PNG."""

import math
from typing import Optional

import jax.numpy as jnp
import numpy as np
from PIL import Image

from jaxgan.core import files
from jaxgan.core.errors import ConfigError


def to_unit_range(images_uint8: jnp.ndarray) -> jnp.ndarray:
  """uint8 [0, 255] -> float32 [-1, 1], the range of the generator's tanh."""
  return images_uint8.astype(jnp.float32) / 127.5 - 1.0


def to_uint8(images: np.ndarray) -> np.ndarray:
  """[-1, 1] floats -> uint8 0..255, rounded; uint8 input is returned as is."""
  images = np.asarray(images)
  if images.dtype == np.uint8:
    return images
  return np.clip(np.round((images.astype(np.float32) + 1.0) * 127.5), 0,
                 255).astype(np.uint8)


def make_grid(images: np.ndarray, padding: int = 2,
              cols: Optional[int] = None) -> np.ndarray:
  """(N, H, W, C) in [-1, 1] (or uint8) -> uint8 (rows*(H+p)+p,
  cols*(W+p)+p, C); `cols` defaults to a square grid."""
  pixels = to_uint8(images)
  n, h, w, c = pixels.shape
  cols = cols or math.ceil(math.sqrt(n))
  rows = math.ceil(n / cols)
  grid = np.zeros((rows * (h + padding) + padding,
                   cols * (w + padding) + padding, c), np.uint8)
  for i in range(n):
    r, col = divmod(i, cols)
    y, x = padding + r * (h + padding), padding + col * (w + padding)
    grid[y:y + h, x:x + w] = pixels[i]
  return grid


def save_png(path: str, grid: np.ndarray) -> None:
  """Writes atomically (temp file + rename), so a crash leaves no half PNG."""
  image = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
  with files.atomic_write(path) as tmp:
    image.save(tmp, format='PNG')


def split_grid(grid: np.ndarray, height: int, width: int, padding: int = 0,
               name: str = 'the grid') -> np.ndarray:
  """uint8 (rows*(H+p)+p, cols*(W+p)+p, C) -> (rows*cols, H, W, C), row by
  row: the inverse of make_grid (whose empty trailing cells come back too)."""
  rows, rest_y = divmod(grid.shape[0] - padding, height + padding)
  cols, rest_x = divmod(grid.shape[1] - padding, width + padding)
  if rows < 1 or cols < 1 or rest_y or rest_x:
    raise ConfigError(
        f'{name} is {grid.shape[1]}x{grid.shape[0]} pixels, not a grid of '
        f'{width}x{height} cells {padding} pixels apart and around '
        f'(--padding={padding}).')
  return np.stack([
      grid[padding + r * (height + padding):][:height,
           padding + c * (width + padding):][:, :width]
      for r in range(rows) for c in range(cols)])
