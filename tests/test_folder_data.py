"""data.source=folder: the listing, the decoding, the decode cache, any
tfds name at any size, and the data checks a run makes."""

import logging
import os

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

from jaxgan.configs import dcgan_folder
from jaxgan.core.errors import ConfigError, DatasetNotFoundError
from jaxgan.datasets import data, decode_cache, image_folder

EMOJI_DIR = os.environ.get('JAXGAN_TEST_EMOJI_DIR', '')


def write_image(path, size=(40, 30), mode='RGB', seed=0, fmt=None):
  rng = np.random.default_rng(seed)
  channels = {'RGB': 3, 'RGBA': 4, 'L': 1, 'LA': 2}[mode]
  pixels = rng.integers(0, 256, (size[1], size[0], channels), np.uint8)
  os.makedirs(os.path.dirname(path), exist_ok=True)
  Image.fromarray(pixels.squeeze(-1) if channels == 1 else pixels,
                  mode).save(path, format=fmt)


def make_folder(root, classes=('cats', 'dogs'), per_class=5, **kwargs):
  """A folder of random images, one subfolder per class (none: flat)."""
  for c, name in enumerate(classes or ('',)):
    for i in range(per_class):
      write_image(os.path.join(root, name, f'{i}.png'), seed=10 * c + i,
                  **kwargs)
  return str(root)


def options(**kwargs):
  return data.ImageOptions(**{'image_size': 16, 'holdout_fraction': 0.0,
                              **kwargs})


def test_class_subfolders_are_labels_and_a_flat_folder_has_none(tmp_path):
  labelled = make_folder(tmp_path / 'labelled', per_class=3)
  ds = data.load('pets', 'folder', labelled, options=options())
  assert ds.images.shape == (6, 16, 16, 3) and ds.images.dtype == np.uint8
  assert ds.labels.tolist() == [0, 0, 0, 1, 1, 1]
  assert ds.class_names == ('cats', 'dogs')
  flat = make_folder(tmp_path / 'flat', classes=(), per_class=4)
  ds = data.load('pets', 'folder', flat, options=options())
  assert ds.images.shape == (4, 16, 16, 3)
  assert ds.labels is None and not ds.labelled
  assert ds.summary()['labels'] == 'none'


def test_any_size_and_mode_is_cropped_resized_and_composited(tmp_path):
  folder = tmp_path / 'mixed'
  write_image(str(folder / 'wide.png'), size=(60, 20), mode='RGB')
  write_image(str(folder / 'gray.jpg'), size=(20, 20), mode='L', fmt='JPEG')
  write_image(str(folder / 'alpha.webp'), size=(33, 47), mode='RGBA')
  # A fully transparent image is the background colour.
  Image.new('RGBA', (9, 9), (255, 0, 0, 0)).save(folder / 'clear.png')
  ds = data.load('mixed', 'folder', str(folder),
                 options=options(image_size=8, background='0,0,255'))
  assert ds.images.shape == (4, 8, 8, 3)
  clear = ds.images[1]  # Files sorted: alpha.webp, clear.png, gray, wide.
  assert (clear == np.array([0, 0, 255], np.uint8)).all()
  gray = data.load('mixed', 'folder', str(folder),
                   options=options(image_size=8, channels=1))
  assert gray.images.shape == (4, 8, 8, 1)


def test_resize_filter_and_centre_crop(tmp_path):
  # A 30x10 image, white in the middle, black at both ends beyond the reach
  # of the filters (3 pixels at 2x shrinking) from the centre square.
  pixels = np.zeros((10, 30, 3), np.uint8)
  pixels[:, 3:27] = 255
  folder = tmp_path / 'crop'
  os.makedirs(folder)
  Image.fromarray(pixels).save(folder / 'a.png')
  for name in image_folder.RESIZE_FILTERS:
    ds = data.load('crop', 'folder', str(folder),
                   options=options(image_size=5, resize_filter=name))
    assert (ds.images == 255).all(), name


def test_held_out_split_is_fixed_per_file(tmp_path):
  folder = make_folder(tmp_path / 'f', classes=(), per_class=40)
  opts = options(holdout_fraction=0.25)
  train = image_folder.list_split(folder, 'train', 0.25).files
  test = image_folder.list_split(folder, 'test', 0.25).files
  assert not set(train) & set(test) and len(train) + len(test) == 40
  assert 4 <= len(test) <= 18  # About a quarter.
  # Adding images moves none of the others between the splits.
  for i in range(40, 60):
    write_image(os.path.join(folder, f'{i}.png'), seed=i)
  assert set(test) <= set(image_folder.list_split(folder, 'test', 0.25).files)
  assert data.load('f', 'folder', folder, split='test',
                   options=opts).images.shape[0] >= len(test)


def test_train_and_test_subfolders_are_the_split(tmp_path):
  make_folder(tmp_path / 'f' / 'train', per_class=3)
  make_folder(tmp_path / 'f' / 'test', per_class=2)
  folder = str(tmp_path / 'f')
  assert image_folder.class_names(folder) == ('cats', 'dogs')
  train = data.load('f', 'folder', folder, options=options())
  test = data.load('f', 'folder', folder, split='test', options=options())
  assert train.images.shape[0] == 6 and test.images.shape[0] == 4
  assert test.labels.tolist() == [0, 0, 1, 1]


def test_decode_cache_is_reused_until_the_folder_changes(tmp_path, caplog):
  caplog.set_level(logging.INFO)

  def load_and_say_how(**kwargs):
    caplog.clear()
    dataset = data.load('f', 'folder', folder, options=options(**kwargs))
    return dataset, ('decoded' if 'decoded in' in caplog.text else
                     'cached' if 'read from the decode cache' in caplog.text
                     else caplog.text)

  folder = make_folder(tmp_path / 'f', per_class=3)
  first, how = load_and_say_how()
  assert how == 'decoded'
  second, how = load_and_say_how()
  assert how == 'cached'
  np.testing.assert_array_equal(first.images, second.images)
  assert isinstance(second.images, np.memmap)  # Mapped, not read in.
  write_image(os.path.join(folder, 'dogs', '9.png'), seed=99)
  third, how = load_and_say_how()
  assert how == 'decoded' and third.images.shape[0] == 7
  assert load_and_say_how(image_size=8)[1] == 'decoded'  # Another entry.
  # Nothing half-written is left in the cache.
  root = decode_cache.root('')
  assert not [n for n in os.listdir(root) if n.startswith('.')]


def test_an_unreadable_image_is_skipped_and_counted(tmp_path, caplog):
  folder = make_folder(tmp_path / 'f', per_class=3)
  truncated = os.path.join(folder, 'cats', '1.png')
  with open(truncated, 'rb') as f:
    head = f.read(200)
  with open(truncated, 'wb') as f:
    f.write(head)
  with open(os.path.join(folder, 'dogs', 'notes.png'), 'w') as f:
    f.write('not an image')
  ds = data.load('f', 'folder', folder, options=options())
  assert ds.images.shape[0] == 5 and ds.skipped == 2
  assert ds.labels.tolist() == [0, 0, 1, 1, 1]
  assert 'Skipped 2 of the 7 train image files' in caplog.text
  assert ds.summary()['skipped_files'] == 2


def test_folder_errors_name_the_problem_and_the_fix(tmp_path):
  with pytest.raises(ConfigError, match='needs data.data_dir'):
    data.load('f', 'folder', '', options=options())
  with pytest.raises(DatasetNotFoundError, match='is not a folder'):
    data.load('f', 'folder', str(tmp_path / 'missing'), options=options())
  os.makedirs(tmp_path / 'empty')
  with pytest.raises(DatasetNotFoundError, match='holds no image files'):
    data.load('f', 'folder', str(tmp_path / 'empty'), options=options())
  bad = tmp_path / 'bad'
  os.makedirs(bad)
  (bad / 'a.png').write_text('no')
  with pytest.raises(DatasetNotFoundError, match='none of its 1 train image'):
    data.load('f', 'folder', str(bad), options=options())
  with pytest.raises(ConfigError, match="data.background='mauve-ish'"):
    image_folder.parse_color('mauve-ish')


def config_for(folder, **data_fields):
  config = dcgan_folder.get_config()
  config.data.data_dir = folder
  config.data.update(data_fields)
  return config


def test_run_checks_of_the_loaded_data(tmp_path):
  labelled = make_folder(tmp_path / 'l', per_class=3)
  config = config_for(labelled, batch_size=7, image_size=16)
  dataset = data.load_config(config.data)
  with pytest.raises(ConfigError, match=r'batch_size=7 is larger than the 6'):
    data.check_for_run(dataset, config)
  config.data.batch_size = 2
  data.check_for_run(dataset, config)  # Unconditional: fine.
  config.model.num_classes = 3
  with pytest.raises(ConfigError, match=r'has 2 classes \(cats, dogs\); set '
                     r'model.num_classes=2'):
    data.check_for_run(dataset, config)
  flat = data.load('f', 'folder', make_folder(tmp_path / 'f', classes=()),
                   options=options())
  with pytest.raises(ConfigError, match='has no labels'):
    data.check_for_run(flat, config)
  one = data.Dataset(flat.images, np.zeros(5, np.int32), 'f', 'npz', 'npz x')
  with pytest.raises(ConfigError, match='every label of npz x is 0'):
    data.check_for_run(one, config)


def test_any_tfds_name_at_any_size(tmp_path):
  with tfds.testing.mock_data(num_examples=5):
    ds = data.load('cifar10', 'tfds', str(tmp_path), allow_download=False,
                   options=data.ImageOptions(image_size=64))
    assert ds.images.shape == (5, 64, 64, 3)
    assert len(ds.class_names) == 10  # (Mock metadata: no real names.)
    gray = data.load('cifar10', 'tfds', str(tmp_path), allow_download=False,
                     options=data.ImageOptions(image_size=28, channels=1))
    assert gray.images.shape == (5, 28, 28, 1)
    # A dataset jaxgan has no entry for, at the size asked.
    other = data.load('oxford_flowers102', 'tfds', str(tmp_path),
                      allow_download=False,
                      options=data.ImageOptions(image_size=32))
    assert other.images.shape == (5, 32, 32, 3) and other.labelled
  with pytest.raises(DatasetNotFoundError,
                     match="data.name='my_faces' is not a tensorflow-datasets"):
    data.load('my_faces', 'tfds', str(tmp_path), allow_download=False,
              options=data.ImageOptions(image_size=32))


def test_unknown_datasets_need_a_size():
  config = dcgan_folder.get_config()
  config.data.source, config.data.name = 'tfds', 'oxford_flowers102'
  config.data.image_size = 0
  with pytest.raises(ConfigError, match='data.image_size=0, and data.name='):
    data.dataset_spec(config.data)
  config.data.image_size = 64
  assert data.dataset_spec(config.data).image_shape == (64, 64, 3)
  config.data.image_size = 4
  with pytest.raises(ConfigError, match='data.image_size=4 is invalid'):
    data.check_config(config)


@pytest.mark.skipif(not os.path.isdir(EMOJI_DIR),
                    reason='the emoji folder is not here (.ci/run makes it '
                    'with launch/emoji_folder.py)')
def test_real_emoji_folder():
  """The npm emoji-datasource images: 10 categories, RGBA on white."""
  assert len(image_folder.class_names(EMOJI_DIR)) == 10
  ds = data.load('emoji', 'folder', EMOJI_DIR,
                 options=data.ImageOptions(image_size=32))
  assert ds.images.shape[1:] == (32, 32, 3) and ds.images.shape[0] > 3000
  assert ds.skipped == 0 and len(np.unique(ds.labels)) == 10
  # Transparent corners composited onto white.
  assert (ds.images[:, 0, 0] == 255).mean() > 0.8
