"""Config files and validation: every bad value names its field and the
valid choices, before anything is loaded or compiled."""

import glob
import importlib
import os
import types

import pytest

from jaxgan.configs import dcgan_mnist
from jaxgan.core.errors import ConfigError
from jaxgan.run import config_validation, run_length, train
from tests.conftest import tiny_dcgan_config
from tests.test_folder_data import make_folder

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG_NAMES = sorted(
    os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO, 'configs', '*.py'))
    if not os.path.basename(p).startswith('_'))


@pytest.mark.parametrize('name', CONFIG_NAMES)
def test_every_config_is_valid(name, tmp_path):
  config = importlib.import_module(f'jaxgan.configs.{name}').get_config()
  if config.data.source == 'folder':  # Valid once given a folder.
    with pytest.raises(ConfigError, match='needs data.data_dir'):
      config_validation.validate(config)
    config.data.data_dir = make_folder(tmp_path, classes=tuple('abcdefghij'),
                                       per_class=1)
  config_validation.validate(config)


def test_dcgan_mnist_is_seed_000():
  config = dcgan_mnist.get_config()
  assert (config.data.name, config.data.batch_size) == ('mnist', 256)
  assert (config.model.generator, config.model.discriminator) == (
      'dcgan_mnist_g', 'dcgan_d')
  assert config.model.noise_dim == 100 and config.model.d_dropout == 0.3
  assert config.loss.name == 'non_saturating'
  assert config.optimizer.g_learning_rate == 1e-3
  assert config.optimizer.d_learning_rate == 1e-4
  assert config.train.num_epochs == 100 and config.train.num_steps == 0
  # Epochs of MNIST's 60,000 digits, whatever is loaded (the 5,000 bundled).
  assert run_length.total_steps(config, 5000) == 100 * 234


def test_zero_length_and_misaligned_intervals():
  config = tiny_dcgan_config(num_steps=0, num_epochs=0)
  with pytest.raises(ConfigError, match='how long to train'):
    config_validation.validate(config)
  config = tiny_dcgan_config(steps_per_call=4, log_every=6)
  with pytest.raises(ConfigError, match=r'train.log_every=6 is not a multiple '
                     r'of train.steps_per_call=4'):
    config_validation.validate(config)
  config = tiny_dcgan_config(steps_per_call=2, eval_every=3)
  with pytest.raises(ConfigError, match=r'train.eval_every=3 is not a '
                     r'multiple of train.steps_per_call=2'):
    config_validation.validate(config)


def test_evaluation_without_class_labels_is_in_the_inception_space():
  config = tiny_dcgan_config(eval_every=2)
  config.data.name = 'celeb_a'
  config_validation.validate(config)  # eval.features=auto: Inception.
  config.eval.features = 'classifier'
  with pytest.raises(ConfigError, match="eval.features=classifier trains a "
                     "classifier on class labels, but data.name='celeb_a' "
                     "has none"):
    config_validation.validate(config)


def test_resume_may_change_evaluation_settings_only():
  saved = tiny_dcgan_config().to_dict()
  del saved['eval']  # A run saved before evaluation existed.
  current = tiny_dcgan_config(eval_every=2)
  current.eval.num_samples = 500
  assert config_validation.resume_differences(saved, current) == []
  current.data.batch_size = 16
  assert [d[0] for d in config_validation.resume_differences(
      saved, current)] == ['data.batch_size']


def test_batch_must_divide_over_devices(tmp_path):
  """Checked once (parallel.check_batch_size), against the mesh the run
  uses, before anything is loaded or written."""
  config = tiny_dcgan_config()
  config.data.batch_size = 12
  with pytest.raises(ConfigError, match='data.batch_size=12 is not divisible '
                     'by the device count 8'):
    train.train_and_evaluate(config, str(tmp_path / 'run'),
                             mesh=types.SimpleNamespace(size=8))
  assert not (tmp_path / 'run').exists()


def test_generator_that_cannot_make_the_dataset_shape(tmp_path):
  config = tiny_dcgan_config()
  config.model.generator = 'dcgan_svhn_g'
  with pytest.raises(ConfigError, match=r'\(32, 32, 3\).*\(28, 28, 1\)'):
    train.train_and_evaluate(config, str(tmp_path))
  assert not os.listdir(tmp_path)  # Refused before touching the workdir.


def test_unwritable_workdir(tmp_path):
  blocker = tmp_path / 'file'
  blocker.write_text('not a directory')
  with pytest.raises(ConfigError, match='--workdir=.*file/run.*not writable'):
    train.train_and_evaluate(tiny_dcgan_config(), str(blocker / 'run'))


def test_batch_larger_than_dataset(tmp_path):
  config = tiny_dcgan_config()
  config.data.batch_size = 8192
  with pytest.raises(ConfigError, match='data.batch_size=8192 is larger than '
                     'the 5000 images'):
    train.train_and_evaluate(config, str(tmp_path))


def test_resume_may_change_speed_fields_but_not_the_model():
  saved = tiny_dcgan_config().to_dict()
  current = tiny_dcgan_config()
  current.model.conv_impl = 'xla'
  current.model.compute_dtype = 'bfloat16'
  current.model.d_compute_dtype = 'float32'
  current.train.steps_per_call = 2
  assert config_validation.resume_differences(saved, current) == []
  del saved['model']['g_compute_dtype']  # A run saved before that field.
  assert config_validation.resume_differences(saved, current) == []
  current.model.noise_dim += 1
  assert [d[0] for d in config_validation.resume_differences(saved, current)] == [
      'model.noise_dim']


@pytest.mark.parametrize('intervals,expected', [
    ((50, 1170, 1170, 0), 10),  # configs/dcgan_mnist.py
    ((2, 2, 2, 0), 2),
    ((1, 500, 1000, 0), 1),
    ((50, 500, 1000, 4), 2),  # eval_every counts when on.
    ((7, 7, 7, 0), 7),
    ((11, 11, 11, 0), 1),
])
def test_automatic_steps_per_call_keeps_every_interval(intervals, expected):
  config = tiny_dcgan_config(steps_per_call=0)
  (config.train.log_every, config.train.sample_every,
   config.train.checkpoint_every, config.train.eval_every) = intervals
  config_validation.validate(config)
  fused = run_length.steps_per_call(config.train)
  assert fused == expected
  assert all(every % fused == 0 for every in intervals)
  config.train.steps_per_call = 3  # Explicit: used as it is.
  assert run_length.steps_per_call(config.train) == 3
