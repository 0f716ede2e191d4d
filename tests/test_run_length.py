"""Run length in the source's epochs, and periodic work scaled to it."""

import importlib
import logging
import os

import pytest

from jaxgan.configs import dcgan_mnist
from jaxgan.run import config_validation, run_length, train
from tests.conftest import REPO, tiny_dcgan_config
from tests.test_folder_data import make_folder

CONFIGS = sorted(
    name[:-3] for name in os.listdir(os.path.join(REPO, 'configs'))
    if name.endswith('.py') and name not in ('__init__.py', 'default.py'))


def test_epochs_are_the_sources_whatever_is_loaded():
  config = dcgan_mnist.get_config()  # 100 epochs of 60,000 at batch 256.
  assert run_length.total_steps(config, num_loaded=5000) == 23_400
  assert run_length.total_steps(config, num_loaded=60_000) == 23_400
  config.train.epoch_size = -1  # Epochs of what is loaded.
  assert run_length.total_steps(config, num_loaded=5000) == 100 * 19
  config.train.epoch_size = 2560  # Explicit: 10 batches.
  assert run_length.total_steps(config, num_loaded=5000) == 1000
  config.train.num_steps = 7  # Steps override epochs.
  assert run_length.total_steps(config, num_loaded=5000) == 7


def test_the_length_says_what_stands_in_for_what():
  config = dcgan_mnist.get_config()
  config.train.num_epochs = 30
  text = run_length.run_length(config, 5000, 'bundled').describe()
  assert text == ('7,020 steps = 30 epochs of 60,000 images (the size of '
                  "mnist's training split); the 5,000 images loaded (bundled) "
                  'stand in for them, each seen about 360 times')
  text = run_length.run_length(config, 60_000, 'tfds').describe()
  assert text == ("7,020 steps = 30 epochs of 60,000 images (the size of "
                  "mnist's training split)")


@pytest.mark.parametrize('name', CONFIGS)
def test_every_configs_progress_gif_has_20_frames(name, tmp_path):
  config = importlib.import_module(f'jaxgan.configs.{name}').get_config()
  if config.data.source == 'folder':
    config.data.data_dir = make_folder(tmp_path, classes=tuple('abcdefghij'),
                                       per_class=1)
  config_validation.validate(config)
  num_steps = run_length.total_steps(config, num_loaded=5000)
  resolved = run_length.resolve(config, num_steps)
  every = resolved.train.sample_every
  assert num_steps // every >= 20, (num_steps, every)
  # An automatic interval keeps the steps fused per call.
  assert every % run_length.steps_per_call(config.train) == 0


@pytest.mark.parametrize('num_steps,fused,expected', [
    (2340, 10, 90),  # 10 epochs of MNIST at 256: 26 grids.
    (23_400, 10, 930),
    (100, 10, 10),  # Fewer steps than grids x fused: every call.
    (7, 1, 1),
])
def test_automatic_sample_interval(num_steps, fused, expected):
  config = tiny_dcgan_config(sample_every=0, steps_per_call=fused,
                             log_every=fused, checkpoint_every=fused)
  assert run_length.sample_interval(config.train, num_steps) == expected
  assert run_length.resolve(config, num_steps).train.sample_every == expected
  assert config.train.sample_every == 0  # resolve() copies.


def test_wall_clock_checkpoints_and_first_lines(tmp_path, caplog):
  # The step interval is beyond the run; only the wall clock saves before
  # the end.
  config = tiny_dcgan_config(num_steps=6, checkpoint_every=100,
                             checkpoint_every_minutes=1e-9)
  with caplog.at_level(logging.INFO):
    train.train_and_evaluate(config, str(tmp_path / 'timed'))
  assert sorted(os.listdir(tmp_path / 'timed' / 'checkpoints')) == ['2', '4', '6']
  assert ("Training 6 steps = 0.0008 epochs of 60,000 images (the size of "
          "mnist's training split); the 5,000 images loaded (bundled) stand "
          'in for them') in caplog.text
  assert 'the 2 steps left take about' in caplog.text
  config.train.num_steps = 4
  config.train.checkpoint_every_minutes = 0.0  # Off: the end saves.
  train.train_and_evaluate(config, str(tmp_path / 'untimed'))
  assert os.listdir(tmp_path / 'untimed' / 'checkpoints') == ['4']
