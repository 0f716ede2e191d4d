"""The real images of a step: batch i of an epoch-wise shuffle of the whole
dataset, the same batches whichever way the data reaches the device, so a
resumed run sees the batches an unbroken one sees.

In memory, the whole dataset lives on the device and the step gathers
batch i there by index (no input pipeline to wait on). Streamed, the host
gathers the batches of one call ahead of it (input_pipeline.py) and the
step picks batch i out of them.
"""

from typing import Dict, Optional, Tuple

import jax
import jax.numpy as jnp

from jaxgan.datasets.images import to_unit_range

# In memory: {'images': uint8 (N,H,W,C), 'labels': int32 (N,)}. Streamed:
# {'images': uint8 (n,B,H,W,C), 'labels': int32 (n,B), 'first_batch': ()}:
# batches first_batch .. first_batch + n - 1. 'labels' only for labelled data.
Data = Dict[str, jnp.ndarray]


def batch_order(data_key: jax.Array, epoch, num_images: int) -> jnp.ndarray:
  """The order in which epoch `epoch` visits the images."""
  return jax.random.permutation(jax.random.fold_in(data_key, epoch),
                                num_images)


def real_batch(data: Data, data_key: jax.Array, batch_index: jnp.ndarray,
               batch_size: int, place=lambda x: x
               ) -> Tuple[jnp.ndarray, Optional[jnp.ndarray]]:
  """Images in [-1, 1] and labels (None for unlabelled data) of batch
  `batch_index` of an epoch-wise shuffle, without replacement.

  Epoch e visits the images in the order batch_order(data_key, e); the
  trailing N % batch_size images of each epoch's order are skipped.
  `place` shards the batch's indices, so that each device gathers only its
  own share of the batch from its replica of the data.
  """
  labels = data.get('labels')
  if 'first_batch' in data:  # Streamed: the host gathered it already.
    i = batch_index - data['first_batch']
    pick = lambda x: place(jax.lax.dynamic_index_in_dim(x, i, keepdims=False))
    return (to_unit_range(pick(data['images'])),
            None if labels is None else pick(labels))
  num_images = data['images'].shape[0]
  indices = place(batch_indices(data_key, batch_index, num_images, batch_size))
  return (to_unit_range(jnp.take(data['images'], indices, axis=0)),
          None if labels is None else jnp.take(labels, indices, axis=0))


def batch_indices(data_key: jax.Array, batch_index, num_images: int,
                  batch_size: int) -> jnp.ndarray:
  """Which images batch `batch_index` holds (a slice of its epoch's order)."""
  batches_per_epoch = num_images // batch_size
  epoch = batch_index // batches_per_epoch
  start = (batch_index % batches_per_epoch) * batch_size
  return jax.lax.dynamic_slice_in_dim(
      batch_order(data_key, epoch, num_images), start, batch_size)
