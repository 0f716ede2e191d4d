"""Applying a jitted function to many images in batches of one shape."""

import time
from typing import Callable

from absl import logging
import jax
import numpy as np

PROGRESS_SECONDS = 30.0


def map_batches(fn: Callable, batch_size: int, *arrays: np.ndarray,
                progress: str = ''):
  """fn(*batch) over consecutive batches of `arrays` (same length), the last
  zero-padded so fn compiles once; its outputs (an array or a tuple of
  arrays) concatenated over the batches, padding dropped. `progress`: what
  to call the work in a progress line every PROGRESS_SECONDS ('' = none)."""
  n = arrays[0].shape[0]
  outputs = []
  begin = last_report = time.time()
  for start in range(0, n, batch_size):
    chunk = [a[start:start + batch_size] for a in arrays]
    pad = batch_size - chunk[0].shape[0]
    if pad:
      chunk = [np.concatenate([c, np.zeros((pad,) + c.shape[1:], c.dtype)])
               for c in chunk]
    out = jax.device_get(fn(*chunk))
    outputs.append(jax.tree.map(lambda x: np.asarray(x)[:batch_size - pad],
                                out))
    done = start + batch_size - pad
    if progress and time.time() - last_report > PROGRESS_SECONDS and done < n:
      last_report = time.time()
      per_image = (last_report - begin) / done
      logging.info('%s: %d of %d images (%.0f ms an image, about %.0f s '
                   'left).', progress, done, n, 1000 * per_image,
                   per_image * (n - done))
  return jax.tree.map(lambda *xs: np.concatenate(xs), *outputs)
