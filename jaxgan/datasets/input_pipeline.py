"""How the real images reach the devices: in memory or streamed.

in_memory  the whole split is put on every device once; each step gathers
           its batch there by index (batches.py). Nothing to wait on.
streaming  a host pipeline (tf.data) gathers the batches of each jitted
           call ahead of it from the host's copy of the split (a folder's
           decode cache is a memory map: only the rows read are in memory),
           each process only its own share of every batch, and the batches
           are put on the devices as one array sharded over the mesh.

Both give the step the same batches: batch i of the shuffle that
batches.batch_order defines from the data key. The host computes that order
with the same JAX function, so the two paths train bit-identically, and a
resumed run (or one rolled back onto a new data key) restarts the stream at
its step with nothing to checkpoint but the step.
"""

import dataclasses
import os
from typing import Callable, Iterator, Optional, Tuple

from absl import logging
import jax
from jax.sharding import Mesh, NamedSharding, PartitionSpec
import ml_collections
import numpy as np

from jaxgan.core import checks, parallel
from jaxgan.datasets import batches
from jaxgan.datasets.data import Dataset

PIPELINES = ('auto', 'in_memory', 'streaming')
# Calls whose batches the host gathers ahead of the devices.
PREFETCH_CALLS = 2


def check_config(config: ml_collections.ConfigDict) -> None:
  checks.choice(config, 'data.pipeline', PIPELINES)
  checks.integer(config, 'data.in_memory_limit_mb', 0)


def in_memory_limit_bytes(limit_mb: int) -> Tuple[int, str]:
  """data.in_memory_limit_mb in bytes, or for 0 a quarter of one device's
  memory (host RAM where the device reports none: CPUs); and what it is."""
  if limit_mb:
    return limit_mb * 2**20, f'data.in_memory_limit_mb={limit_mb}'
  stats = jax.local_devices()[0].memory_stats() or {}
  if stats.get('bytes_limit'):
    return stats['bytes_limit'] // 4, 'a quarter of the device memory'
  ram = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')
  return ram // 4, 'a quarter of the host memory'


def choose(pipeline: str, dataset: Dataset, limit_mb: int) -> str:
  """in_memory or streaming: data.pipeline, or for auto by the split's size."""
  if pipeline != 'auto':
    return pipeline
  size = dataset.images.nbytes
  limit, what = in_memory_limit_bytes(limit_mb)
  chosen = 'streaming' if size > limit else 'in_memory'
  logging.info('Data pipeline: %s (the images take %.0f MiB; %s is %.0f '
               'MiB).', chosen, size / 2**20, what, limit / 2**20)
  return chosen


class InMemory:
  """The whole split on every device, for every call."""

  def __init__(self, dataset: Dataset, mesh: Mesh):
    arrays = {'images': dataset.images}
    if dataset.labelled:
      arrays['labels'] = dataset.labels
    self.device_data = parallel.replicate_host_data(arrays, mesh)

  def __call__(self, step: int, count: int, data_key) -> batches.Data:
    del step, count, data_key
    return self.device_data

  def close(self) -> None:
    pass


@dataclasses.dataclass
class _Stream:
  """A running tf.data pipeline: the calls it was started for, the key, and
  its iterator over their host batches."""
  calls: Iterator[Tuple[int, int]]
  data_key: jax.Array
  iterator: Iterator
  expected: Optional[Tuple[int, int]] = None


class Streamed:
  """Each call's batches gathered on the host ahead of the call.

  `schedule(step)` yields the (step, count) of every call from `step` on, as
  the loop will make them; the stream runs ahead along it and restarts
  wherever a call departs from it (a resume, a rollback, a new data key).
  """

  def __init__(self, dataset: Dataset, batch_size: int,
               batches_per_step: int, mesh: Mesh,
               schedule: Callable[[int], Iterator[Tuple[int, int]]]):
    self.images, self.labels = dataset.images, dataset.labels
    self.num_images = dataset.images.shape[0]
    self.batch_size, self.batches_per_step = batch_size, batches_per_step
    self.schedule = schedule
    self.sharding = NamedSharding(mesh, PartitionSpec(None, parallel.DATA_AXIS))
    self.local_rows = _process_rows(self.sharding, batch_size,
                                    dataset.images.shape[1:])
    self._order_of = jax.jit(batches.batch_order, static_argnums=2)
    self._orders = {}
    self._stream: Optional[_Stream] = None
    logging.info('Streaming: process %d of %d reads rows %d-%d of each '
                 'global batch of %d.', jax.process_index(),
                 jax.process_count(), self.local_rows.start,
                 self.local_rows.stop - 1, batch_size)

  def __call__(self, step: int, count: int, data_key) -> batches.Data:
    stream = self._stream
    if (stream is None or stream.data_key is not data_key or
        stream.expected != (step, count)):
      self.close()
      stream = self._stream = self._start(step, data_key)
    images, labels = next(stream.iterator)
    stream.expected = next(stream.calls, None)
    return self._to_devices(step, images, labels)

  def close(self) -> None:
    """Stops the stream (a new call restarts it)."""
    self._stream = None

  def _start(self, step: int, data_key) -> _Stream:
    """A tf.data pipeline over the calls from `step`: each element is one
    call's host batches, gathered by tf.data's threads, PREFETCH_CALLS
    ahead of the devices, in order."""
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    tf.config.set_visible_devices([], 'GPU')  # Leave accelerators to JAX.
    self._orders = {}
    call_steps = tf.data.Dataset.from_generator(
        lambda: self.schedule(step),
        output_signature=tf.TensorSpec((2,), tf.int64))
    image_shape = (None, None) + tuple(self.images.shape[1:])

    def read(call):
      images, labels = self._read_call(int(call[0]), int(call[1]), data_key)
      return images, (labels if labels is not None else
                      np.zeros(images.shape[:2], np.int32))

    def read_in_tf(call):
      images, labels = tf.numpy_function(read, [call], (tf.uint8, tf.int32))
      images.set_shape(image_shape)
      return images, labels

    pipeline = call_steps.map(read_in_tf, num_parallel_calls=PREFETCH_CALLS,
                              deterministic=True).prefetch(PREFETCH_CALLS)
    stream = _Stream(self.schedule(step), data_key,
                     pipeline.as_numpy_iterator())
    stream.expected = next(stream.calls, None)
    return stream

  def _read_call(self, step: int, count: int, data_key):
    """This process's rows of the batches of steps step .. step+count-1:
    uint8 (n, rows, H, W, C) and int32 (n, rows) labels or None."""
    first = step * self.batches_per_step
    indices = np.stack([self._indices(b, data_key) for b in
                        range(first, first + count * self.batches_per_step)])
    rows = indices[:, self.local_rows]
    flat = rows.reshape(-1)
    # A memory map reads fastest in file order: read sorted, then reorder.
    order = np.argsort(flat, kind='stable')
    images = np.empty((flat.size,) + self.images.shape[1:], np.uint8)
    images[order] = self.images[flat[order]]
    images = images.reshape(rows.shape + self.images.shape[1:])
    labels = None if self.labels is None else self.labels[rows]
    return images, labels

  def _indices(self, batch_index: int, data_key) -> np.ndarray:
    """Batch `batch_index`'s image indices, as batches.batch_indices."""
    per_epoch = self.num_images // self.batch_size
    epoch, position = divmod(batch_index, per_epoch)
    order = self._orders.get(epoch)  # tf.data's threads share the cache.
    if order is None:
      order = parallel.to_host(self._order_of(data_key, epoch,
                                              self.num_images))
      self._orders = {epoch: order}
    start = position * self.batch_size
    return order[start:start + self.batch_size]

  def _to_devices(self, step: int, images, labels) -> batches.Data:
    global_shape = (images.shape[0], self.batch_size)  # (batches, rows).
    out = {'images': jax.make_array_from_process_local_data(
        self.sharding, images, global_shape + images.shape[2:]),
           'first_batch': np.int32(step * self.batches_per_step)}
    if self.labels is not None:
      out['labels'] = jax.make_array_from_process_local_data(
          self.sharding, labels, global_shape)
    return out


def _process_rows(sharding: NamedSharding, batch_size: int,
                  image_shape) -> slice:
  """The rows of each global batch that this process's devices hold."""
  shape = (1, batch_size) + tuple(image_shape)
  rows = [index[1] for index in
          sharding.addressable_devices_indices_map(shape).values()]
  starts = [r.start or 0 for r in rows]
  stops = [batch_size if r.stop is None else r.stop for r in rows]
  return slice(min(starts), max(stops))
