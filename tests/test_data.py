"""The data sources: tfds (mocked), IDX files, the bundled subset, auto."""

import gzip
import logging
import os
import socket
import struct

import numpy as np
import pytest
import tensorflow_datasets as tfds

from jaxgan.core.errors import ConfigError, DatasetNotFoundError
from jaxgan.datasets import data

FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'


def write_idx(path, array, compress):
  header = struct.pack('>BBBB', 0, 0, 0x08, array.ndim)
  header += struct.pack(f'>{array.ndim}I', *array.shape)
  opener = gzip.open if compress else open
  with opener(path, 'wb') as f:
    f.write(header + array.astype(np.uint8).tobytes())


def make_idx_folder(folder, num=12, compress=True):
  rng = np.random.default_rng(0)
  images = rng.integers(0, 256, (num, 28, 28), dtype=np.uint8)
  labels = rng.integers(0, 10, (num,), dtype=np.uint8)
  ext = '.gz' if compress else ''
  write_idx(os.path.join(folder, f'train-images-idx3-ubyte{ext}'), images,
            compress)
  write_idx(os.path.join(folder, f'train-labels-idx1-ubyte{ext}'), labels,
            compress)
  return images, labels


@pytest.mark.parametrize('compress', [True, False])
def test_idx_source_reads_standard_files(tmp_path, compress):
  images, labels = make_idx_folder(str(tmp_path), compress=compress)
  ds = data.load('mnist', 'idx', str(tmp_path))
  assert ds.source == 'idx' and ds.images.dtype == np.uint8
  np.testing.assert_array_equal(ds.images[..., 0], images)
  np.testing.assert_array_equal(ds.labels, labels)


def test_idx_errors_name_the_problem(tmp_path):
  with pytest.raises(ConfigError, match='needs data.data_dir'):
    data.load('mnist', 'idx', '')
  with pytest.raises(DatasetNotFoundError, match='train-images-idx3-ubyte'):
    data.load('mnist', 'idx', str(tmp_path))
  make_idx_folder(str(tmp_path), compress=False)
  path = tmp_path / 'train-images-idx3-ubyte'
  path.write_bytes(path.read_bytes()[:-10])
  with pytest.raises(ValueError, match='truncated'):
    data.load('mnist', 'idx', str(tmp_path))
  path.write_bytes(b'\x01\x02\x03\x04garbage')
  with pytest.raises(ValueError, match='not an IDX file'):
    data.load('mnist', 'idx', str(tmp_path))


@pytest.mark.skipif(not os.path.isdir(FASHION_MNIST_DIR),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_idx_reads_debian_fashion_mnist():
  ds = data.load('fashion_mnist', 'idx', FASHION_MNIST_DIR)
  assert ds.images.shape == (60000, 28, 28, 1)
  assert np.bincount(ds.labels).tolist() == [6000] * 10
  test = data.load('fashion_mnist', 'idx', FASHION_MNIST_DIR, split='test')
  assert test.images.shape == (10000, 28, 28, 1)


def test_bundled_subset_is_real_mnist():
  ds = data.load('mnist', 'bundled')
  assert ds.images.shape == (5000, 28, 28, 1) and ds.images.dtype == np.uint8
  assert np.bincount(ds.labels).tolist() == [500] * 10
  # Real digits: mostly black background, bright strokes.
  assert 0.7 < (ds.images == 0).mean() < 0.9 and ds.images.max() == 255
  with pytest.raises(ConfigError, match='only has mnist'):
    data.load('fashion_mnist', 'bundled')


def test_tfds_source_under_mock_data(tmp_path):
  with tfds.testing.mock_data(num_examples=24):
    ds = data.load('mnist', 'tfds', str(tmp_path), allow_download=False)
  assert ds.source == 'tfds'
  assert ds.images.shape == (24, 28, 28, 1) and ds.images.dtype == np.uint8
  assert ds.labels.shape == (24,) and ds.labels.dtype == np.int32


def test_auto_falls_back_to_bundled_loudly(tmp_path, caplog):
  with caplog.at_level(logging.WARNING):
    ds = data.load('mnist', 'auto', str(tmp_path), allow_download=False)
  assert ds.source == 'bundled' and ds.images.shape[0] == 5000
  assert 'BUNDLED SUBSET' in caplog.text and 'download_and_prepare' in caplog.text


def test_auto_without_fallback_says_how_to_get_data(tmp_path):
  with pytest.raises(DatasetNotFoundError, match='data.source=idx'):
    data.load('fashion_mnist', 'auto', str(tmp_path), allow_download=False)
  for name in ('svhn_cropped', 'cifar10', 'celeb_a'):
    with pytest.raises(DatasetNotFoundError,
                       match=r'download_and_prepare.*data\.source=npz'):
      data.load(name, 'auto', str(tmp_path), allow_download=False)


def test_celeb_a_is_center_cropped_and_resized_to_64(tmp_path):
  with tfds.testing.mock_data(num_examples=3):
    ds = data.load('celeb_a', 'tfds', str(tmp_path), allow_download=False)
  assert ds.images.shape == (3, 64, 64, 3) and ds.images.dtype == np.uint8
  assert ds.labels is None  # No class labels: none, not labels of 0.


@pytest.mark.parametrize('as_folder', [False, True])
def test_npz_source(tmp_path, as_folder):
  images = np.random.default_rng(0).integers(0, 256, (7, 32, 32, 3), np.uint8)
  labels = np.arange(7) % 3
  path = tmp_path / 'train.npz'
  np.savez(path, images=images, labels=labels)
  ds = data.load('svhn_cropped', 'npz', str(tmp_path if as_folder else path))
  assert ds.source == 'npz'
  np.testing.assert_array_equal(ds.images, images)
  assert ds.labels.tolist() == labels.tolist() and ds.labels.dtype == np.int32


def test_npz_errors_name_the_problem(tmp_path):
  with pytest.raises(ConfigError, match='data.source=npz needs data.data_dir'):
    data.load('mnist', 'npz', '')
  with pytest.raises(DatasetNotFoundError, match=r'No \.npz data at .*train\.npz'):
    data.load('mnist', 'npz', str(tmp_path))
  np.savez(tmp_path / 'floats.npz', images=np.zeros((2, 28, 28, 1)))
  with pytest.raises(ValueError, match='must be uint8'):
    data.load('mnist', 'npz', str(tmp_path / 'floats.npz'))
  np.savez(tmp_path / 'rgb.npz', images=np.zeros((2, 32, 32, 3), np.uint8))
  with pytest.raises(ValueError, match=r'shape \(32, 32, 3\), expected \(28, 28, 1\)'):
    data.load('mnist', 'npz', str(tmp_path / 'rgb.npz'))


def test_auto_probe_gives_up_within_its_deadline(tmp_path, monkeypatch):
  """A network that never answers must not stall the fallback: the probe's
  deadline bounds it (the figure itself is in the closing note)."""
  assert data.NETWORK_PROBE_SECONDS <= 5
  calls = []

  def hang(address, timeout):
    calls.append((address, timeout))
    raise socket.timeout('simulated hang')

  monkeypatch.setattr(data.socket, 'create_connection', hang)
  ds = data.load('mnist', 'auto', str(tmp_path), allow_download=True)
  assert ds.source == 'bundled'
  assert calls == [(data.TFDS_DOWNLOAD_HOST, data.NETWORK_PROBE_SECONDS)]


def test_network_probe_on_closed_loopback_port():
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]  # Bound, not listening: connections refused.
    assert not data.network_reachable(('127.0.0.1', port), 1.0)


def test_unknown_names_list_choices():
  with pytest.raises(ConfigError, match=r"data\.name='imagenet' is not a "
                     r"tensorflow-datasets dataset.*mnist.*data.source=folder"):
    data.load('imagenet')
  with pytest.raises(ConfigError, match=r"data\.source='web'.*bundled"):
    data.load('mnist', 'web')
