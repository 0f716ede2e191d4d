"""Every experiment config in configs/ builds and trains 2 steps end to end
on tiny mock data (tfds.testing.mock_data), so a new config is tested by
adding the file."""

import glob
import importlib
import os

import chex
import pytest
import tensorflow_datasets as tfds

from jaxgan import api
from jaxgan.core import config_files
from tests.test_folder_data import make_folder

# Each config's two steps compile far longer than they run, and no
# bit-identity between differently fused programs is tested
# (conftest.xla_older_fusion_emitters).
pytestmark = pytest.mark.usefixtures('xla_fast_compiling')

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG_NAMES = sorted(
    os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO, 'configs', '*.py'))
    if os.path.basename(p) not in ('__init__.py', 'default.py'))


def test_every_config_is_reachable_by_name():
  assert config_files.names() == CONFIG_NAMES
  assert config_files.resolve('dcgan_mnist') == os.path.join(
      config_files.CONFIGS_DIR, 'dcgan_mnist.py')
  # A path is kept; a name that is no config is left for the loader to name.
  assert config_files.resolve('configs/dcgan_mnist.py') == (
      'configs/dcgan_mnist.py' if os.path.exists('configs/dcgan_mnist.py')
      else os.path.join(config_files.CONFIGS_DIR, 'dcgan_mnist.py'))
  assert config_files.resolve('no_such') == 'no_such'


def test_the_issue_list_of_configs_is_here():
  assert set(CONFIG_NAMES) >= {
      'dcgan_mnist', 'dcgan_svhn', 'wgan_gp_mnist', 'wgan_gp_svhn',
      'dcgan_tutorial_mnist', 'dcgan_saturating_mnist',
      'dcgan_nonsaturating_mnist', 'dcgan_radford_mnist', 'mlp_gan_mnist',
      'conv_gan_mnist', 'conv_pool_gan_mnist', 'lstm_gan_mnist',
      'cdcgan_mnist', 'wgan_clip_mnist'}


def shrink(config, data_dir):
  """The config's models, loss and optimizer on 16 mock examples (a folder
  config: a folder of 20 images in 10 classes, at 32x32; its models at every
  size train in test_input_pipeline.py), 2 steps."""
  if config.data.source == 'folder':
    config.data.data_dir = make_folder(os.path.join(data_dir, 'images'),
                                       classes=tuple('abcdefghij'),
                                       per_class=2)
    config.data.image_size = 32
  else:
    config.data.source = 'tfds'
    config.data.data_dir = data_dir
  config.data.allow_download = False
  config.data.batch_size = 8
  config.train.num_steps = 2
  config.train.steps_per_call = 1
  config.train.log_every = 1
  config.train.sample_every = 2
  config.train.checkpoint_every = 2
  config.train.num_sample_images = 4
  return config


@pytest.mark.parametrize('name', CONFIG_NAMES)
def test_config_trains_two_steps(name, tmp_path):
  config = importlib.import_module(f'jaxgan.configs.{name}').get_config()
  shrink(config, str(tmp_path / 'tfds'))
  with tfds.testing.mock_data(num_examples=16):
    state = api.train(config, str(tmp_path / 'run'))  # With its report.
  assert int(state.step) == 2
  chex.assert_tree_all_finite(state.g_params)
  assert os.listdir(tmp_path / 'run' / 'checkpoints') == ['2']
  assert os.path.exists(tmp_path / 'run' / 'samples' / 'final.png')
  assert os.path.exists(tmp_path / 'run' / 'report' / 'latent_walk.png')
