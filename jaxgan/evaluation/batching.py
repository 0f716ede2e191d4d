"""Applying a jitted function to many images in batches of one shape."""

from typing import Callable

import jax
import numpy as np


def map_batches(fn: Callable, batch_size: int, *arrays: np.ndarray):
  """fn(*batch) over consecutive batches of `arrays` (same length), the last
  zero-padded so fn compiles once; its outputs (an array or a tuple of
  arrays) concatenated over the batches, padding dropped."""
  n = arrays[0].shape[0]
  outputs = []
  for start in range(0, n, batch_size):
    chunk = [a[start:start + batch_size] for a in arrays]
    pad = batch_size - chunk[0].shape[0]
    if pad:
      chunk = [np.concatenate([c, np.zeros((pad,) + c.shape[1:], c.dtype)])
               for c in chunk]
    out = jax.device_get(fn(*chunk))
    outputs.append(jax.tree.map(lambda x: np.asarray(x)[:batch_size - pad],
                                out))
  return jax.tree.map(lambda *xs: np.concatenate(xs), *outputs)
