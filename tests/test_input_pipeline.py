"""The two ways real batches reach the step: in memory and streamed. The
same batches either way, bit-identical training, resume, bounded memory,
and every image size from a folder and from tfds."""

import logging

import chex
import jax
import numpy as np
import pytest
import tensorflow_datasets as tfds

from jaxgan import api
from jaxgan.configs import dcgan_folder
from jaxgan.core import parallel
from jaxgan.datasets import batches, data, input_pipeline
from jaxgan.run import train
from tests.conftest import tiny_dcgan_config
from tests.test_folder_data import make_folder


def test_the_host_gathers_the_batches_the_device_gathers():
  rng = np.random.default_rng(0)
  dataset = data.Dataset(rng.integers(0, 256, (10, 4, 4, 1), np.uint8),
                         np.arange(10, dtype=np.int32), 'x', 'npz', 'x')
  mesh = parallel.make_mesh(jax.devices()[:1])
  key = jax.random.key(3)
  schedule = lambda step: iter([(step, 3), (step + 3, 3), (step + 6, 3)])
  streamed = input_pipeline.Streamed(dataset, 3, 2, mesh, schedule)
  # Steps 2..4 at 2 batches a step: batches 4..9, across epochs (3 batches
  # of 3 per epoch of 10 images).
  got = streamed(2, 3, key)
  assert int(got['first_batch']) == 4 and got['images'].shape == (6, 3, 4, 4, 1)
  for i, b in enumerate(range(4, 10)):
    indices = np.asarray(batches.batch_indices(key, b, 10, 3))
    np.testing.assert_array_equal(got['labels'][i], indices)
    np.testing.assert_array_equal(got['images'][i], dataset.images[indices])
  # Prefetched along the schedule; a call off it restarts the stream.
  assert int(streamed(5, 3, key)['first_batch']) == 10
  again = streamed(2, 3, key)
  np.testing.assert_array_equal(again['images'], got['images'])
  other = streamed(2, 3, jax.random.key(4))  # A rollback's new data key.
  assert not np.array_equal(other['labels'], got['labels'])
  streamed.close()


def test_streaming_trains_bit_identically_to_in_memory(tmp_path):
  config = tiny_dcgan_config(num_steps=5, steps_per_call=2, log_every=2,
                             checkpoint_every=2, sample_every=2)
  config.data.pipeline = 'in_memory'
  in_memory = train.train_and_evaluate(config, str(tmp_path / 'memory'))
  config.data.pipeline = 'streaming'
  streamed = train.train_and_evaluate(config, str(tmp_path / 'stream'))
  chex.assert_trees_all_equal(in_memory, streamed)


def test_auto_streams_above_the_limit(caplog):
  caplog.set_level(logging.INFO)
  dataset = data.Dataset(np.zeros((64, 64, 64, 3), np.uint8), None, 'x',
                         'npz', 'x')  # 0.75 MiB.
  assert input_pipeline.choose('auto', dataset, 1) == 'in_memory'
  dataset = data.Dataset(np.zeros((256, 64, 64, 3), np.uint8), None, 'x',
                         'npz', 'x')  # 3 MiB.
  assert input_pipeline.choose('auto', dataset, 1) == 'streaming'
  assert 'data.in_memory_limit_mb=1 is 1 MiB' in caplog.text
  assert input_pipeline.choose('in_memory', dataset, 1) == 'in_memory'


def rss_anon_bytes() -> int:
  with open('/proc/self/status') as f:
    for line in f:
      if line.startswith('RssAnon:'):
        return int(line.split()[1]) * 1024
  pytest.skip('no RssAnon in /proc/self/status')


def test_streaming_memory_stays_bounded_on_data_larger_than_it(tmp_path):
  """A 150 MiB memory-mapped split streamed whole: the process's anonymous
  memory (its own, not the page cache the map reads through) grows by far
  less than the split."""
  budget = 32 * 2**20
  count, shape = 3200, (128, 128, 3)
  path = str(tmp_path / 'images.npy')
  images = np.lib.format.open_memmap(path, 'w+', np.uint8, (count,) + shape)
  for first in range(0, count, 400):
    images[first:first + 400] = first // 400
  images.flush()
  del images
  dataset = data.Dataset(np.load(path, mmap_mode='r'), None, 'big', 'folder',
                         'big')
  assert dataset.images.nbytes > 3 * budget
  batch, fused = 16, 4  # 3 MiB a call: a few calls in flight at a time.
  calls = count // batch // fused
  schedule = lambda step: iter([(s, fused) for s in range(step, calls * fused,
                                                          fused)])
  streamed = input_pipeline.Streamed(dataset, batch, 1, parallel.make_mesh(
      jax.devices()[:1]), schedule)
  key = jax.random.key(0)
  streamed(0, fused, key)  # TensorFlow's and JAX's own start-up memory.
  before = peak = rss_anon_bytes()
  seen = 0
  for call in range(calls):
    out = streamed(call * fused, fused, key)
    seen += int(np.asarray(out['images'][:, :, 0, 0, 0]).astype(bool).sum())
    del out
    peak = max(peak, rss_anon_bytes())
  streamed.close()
  print(f'\nStreamed {dataset.images.nbytes / 2**20:.0f} MiB: anonymous '
        f'memory grew by {(peak - before) / 2**20:.1f} MiB at most.')
  assert seen > 0.8 * count  # Read most of it (all but batch 0's zeros).
  assert peak - before < budget, (peak - before) / 2**20


def folder_config(folder, image_size, pipeline='auto'):
  config = dcgan_folder.get_config()
  config.data.data_dir, config.data.image_size = folder, image_size
  config.data.batch_size = 4
  config.data.pipeline = pipeline
  config.model.dcgan.width = 4
  config.model.noise_dim = 8
  config.train.num_steps = 2
  config.train.log_every = config.train.checkpoint_every = 1
  config.train.sample_every = 2
  config.train.num_sample_images = 4
  config.report.at_end = False
  return config


# Each size compiles its own models: two in CI (test_configs.py trains the
# folder configs at 32), every size with the slow tests.
@pytest.mark.parametrize('image_size', [
    28, 64, pytest.param(32, marks=pytest.mark.slow),
    pytest.param(128, marks=pytest.mark.slow)])
def test_a_folder_trains_and_resumes_at_every_size(tmp_path, image_size):
  """Radford et al.'s DCGAN, unconditional and conditional, on a folder
  resized to each size; a resumed run ends where an unbroken one does."""
  folder = make_folder(tmp_path / 'images', per_class=4)
  config = folder_config(folder, image_size, 'streaming')
  if image_size == 64:  # Conditional on the class subfolders.
    config.model.generator = 'radford_cdcgan_g'
    config.model.discriminator = 'radford_cdcgan_d'
    config.model.num_classes = 2
  unbroken = train.train_and_evaluate(config, str(tmp_path / 'unbroken'))
  config.train.num_steps = 1
  train.train_and_evaluate(config, str(tmp_path / 'resumed'))
  config.train.num_steps = 2
  resumed = train.train_and_evaluate(config, str(tmp_path / 'resumed'))
  chex.assert_trees_all_equal(unbroken, resumed)
  assert resumed.g_params is not None and int(resumed.step) == 2


@pytest.mark.parametrize('image_size', [
    28, pytest.param(32, marks=pytest.mark.slow),
    pytest.param(64, marks=pytest.mark.slow),
    pytest.param(128, marks=pytest.mark.slow)])
def test_any_tfds_dataset_trains_and_resumes_at_every_size(tmp_path,
                                                           image_size):
  config = folder_config('', image_size)
  config.data.source, config.data.name = 'tfds', 'oxford_flowers102'
  config.data.data_dir = str(tmp_path / 'tfds')
  config.data.allow_download = False
  with tfds.testing.mock_data(num_examples=8):
    api.train(config, str(tmp_path / 'run'))
    config.train.num_steps = 3
    state = api.train(config, str(tmp_path / 'run'))
  assert int(state.step) == 3


def run_two_processes(tmp_path, *extra):
  """multiprocess_check.py as two processes and alone; their JSON lines."""
  from tests.test_parallel import free_port, json_line, run_script  # pylint: disable=g-import-not-at-top
  coordinator = f'127.0.0.1:{free_port()}'
  workers = [run_script('multiprocess_check.py', tmp_path / f'log{i}',
                        tmp_path / 'two', coordinator, 2, i, *extra)
             for i in range(2)]
  alone = run_script('multiprocess_check.py', tmp_path / 'log', tmp_path /
                     'one', '', 0, -1, *extra)
  return [json_line(w) for w in workers], json_line(alone)


# Three processes compiling on 2 cores: with the slow tests, as the
# in-memory two-process test.
@pytest.mark.slow
def test_two_processes_stream_only_their_own_rows(tmp_path):
  (first, second), alone = run_two_processes(tmp_path, 'streaming')
  assert first['sha256'] == second['sha256']
  # Each process read only its half of every batch of 8: rows 0-3, 4-7.
  assert first['streamed_rows'] == [0, 4] and second['streamed_rows'] == [4, 8]
  assert alone['streamed_rows'] == [0, 8]
  for a, b in zip(first['g_params'], alone['g_params']):
    assert max(abs(x - y) for x, y in zip(a, b)) < 1e-5
