"""The real images of a step: batch i of an epoch-wise shuffle of the
whole dataset, which lives on the device (no input pipeline to wait on),
gathered by index so that a resumed run sees the same batches."""

from typing import Dict, Tuple

import jax
import jax.numpy as jnp

from jaxgan.images import to_unit_range

Data = Dict[str, jnp.ndarray]  # {'images': uint8 (N,H,W,C), 'labels': int32 (N,)}


def real_batch(data: Data, data_key: jax.Array, batch_index: jnp.ndarray,
               batch_size: int, place=lambda x: x
               ) -> Tuple[jnp.ndarray, jnp.ndarray]:
  """Images in [-1, 1] and labels of batch `batch_index` of an epoch-wise
  shuffle, without replacement.

  Epoch e visits the images in the order permutation(fold_in(data_key, e));
  the trailing N % batch_size images of each epoch's order are skipped.
  `place` shards the batch's indices, so that each device gathers only its
  own share of the batch from its replica of the data.
  """
  num_images = data['images'].shape[0]
  batches_per_epoch = num_images // batch_size
  epoch = batch_index // batches_per_epoch
  order = jax.random.permutation(jax.random.fold_in(data_key, epoch), num_images)
  start = (batch_index % batches_per_epoch) * batch_size
  indices = place(jax.lax.dynamic_slice_in_dim(order, start, batch_size))
  return (to_unit_range(jnp.take(data['images'], indices, axis=0)),
          jnp.take(data['labels'], indices, axis=0))
