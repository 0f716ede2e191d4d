"""The training loop end to end: workdir contents, determinism, resume."""

import glob
import json
import logging
import os
import signal
import subprocess
import sys

import chex
import jax
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from jaxgan.core.errors import ConfigError
from jaxgan.datasets import data
from jaxgan.run import run_length, train, workdirs
from tests.conftest import REPO, run_main, tiny_dcgan_config


@pytest.fixture(scope='module')
def uninterrupted(tmp_path_factory):
  """4 steps of the tiny DCGAN, seed 0, in one go."""
  workdir = str(tmp_path_factory.mktemp('uninterrupted'))
  return workdir, train.train_and_evaluate(tiny_dcgan_config(), workdir)


def test_workdir_holds_checkpoints_events_samples_and_records(uninterrupted):
  workdir, state = uninterrupted
  assert int(state.step) == 4
  assert sorted(os.listdir(os.path.join(workdir, 'checkpoints'))) == ['2', '4']
  assert glob.glob(os.path.join(workdir, 'events.out.tfevents.*'))
  samples = sorted(os.listdir(os.path.join(workdir, 'samples')))
  assert samples == ['final.png', 'step_0000000.png', 'step_0000002.png',
                     'step_0000004.png']
  with Image.open(os.path.join(workdir, 'samples', 'final.png')) as im:
    assert im.size == (2 * 28 + 3 * 2,) * 2  # 4 images: a 2x2 grid.
  with open(os.path.join(workdir, 'data_source.json')) as f:
    assert json.load(f)['source'] == 'bundled'
  with open(os.path.join(workdir, 'config.json')) as f:
    assert json.load(f)['optimizer']['g_learning_rate'] == 1e-3


def test_same_seed_same_bits_other_seed_other_bits(uninterrupted, tmp_path):
  _, reference = uninterrupted
  again = train.train_and_evaluate(tiny_dcgan_config(), str(tmp_path / 'a'))
  chex.assert_trees_all_equal(reference, again)
  config = tiny_dcgan_config()
  config.seed = 1
  other = train.train_and_evaluate(config, str(tmp_path / 'b'))
  assert not jax.numpy.array_equal(reference.g_params['Dense_0']['kernel'],
                                   other.g_params['Dense_0']['kernel'])


def test_resume_equals_uninterrupted(uninterrupted, tmp_path, caplog):
  _, reference = uninterrupted
  workdir = str(tmp_path)
  half = train.train_and_evaluate(tiny_dcgan_config(num_steps=2), workdir)
  assert int(half.step) == 2
  with caplog.at_level(logging.INFO):
    resumed = train.train_and_evaluate(tiny_dcgan_config(num_steps=4), workdir)
  assert 'Resumed from' in caplog.text and 'at step 2' in caplog.text
  chex.assert_trees_all_equal(reference, resumed)


def test_resume_with_incompatible_config_is_refused(uninterrupted):
  workdir, _ = uninterrupted
  config = tiny_dcgan_config(num_steps=6)
  config.optimizer.g_learning_rate = 5e-4
  config.loss.name = 'saturating'
  with pytest.raises(ConfigError) as error:
    train.train_and_evaluate(config, workdir)
  message = str(error.value)
  assert 'optimizer.g_learning_rate: 0.001 (saved) -> 0.0005 (now)' in message
  assert "loss.name: 'non_saturating' (saved) -> 'saturating' (now)" in message


def test_failed_start_does_not_lock_the_workdir(tmp_path):
  """A run that never saved a checkpoint has nothing to protect."""
  config = tiny_dcgan_config(num_steps=2)
  config.data.source = 'idx'
  config.data.data_dir = str(tmp_path / 'missing')
  with pytest.raises(ConfigError, match='No IDX images file'):
    train.train_and_evaluate(config, str(tmp_path / 'run'))
  state = train.train_and_evaluate(tiny_dcgan_config(num_steps=2),
                                   str(tmp_path / 'run'))
  assert int(state.step) == 2


def test_resume_on_other_data_is_refused(uninterrupted, tmp_path):
  """source=auto finding other data than it once did (the source itself is
  the same config value) must not switch datasets mid-run."""
  workdir, _ = uninterrupted
  with tfds.testing.mock_data(num_examples=16):
    with pytest.raises(ConfigError, match=r"5000 images from "
                       r"data.source='bundled'.*found 16 from 'tfds'"):
      workdirs.prepare(
          workdir, tiny_dcgan_config(),
          data.load('mnist', 'tfds', str(tmp_path), False).summary())


def test_tfds_mock_data_end_to_end(tmp_path):
  config = tiny_dcgan_config(num_steps=2)
  config.data.source = 'tfds'
  config.data.data_dir = str(tmp_path / 'tfds')
  with tfds.testing.mock_data(num_examples=16):
    state = train.train_and_evaluate(config, str(tmp_path / 'run'))
  assert int(state.step) == 2
  with open(tmp_path / 'run' / 'data_source.json') as f:
    assert json.load(f)['source'] == 'tfds'


def test_epochs_set_the_length():
  config = tiny_dcgan_config(num_steps=0, num_epochs=2)
  config.train.epoch_size = -1  # Epochs of the images loaded.
  assert run_length.total_steps(config, num_loaded=100) == 2 * (100 // 8)
  config.train.d_steps_per_g_step = 5
  assert run_length.total_steps(config, num_loaded=100) == 5  # ceil(24 / 5)


def test_main_cli_end_to_end(tmp_path):
  workdir = str(tmp_path / 'run')
  result = run_main(
      f'--workdir={workdir}', '--config.data.source=bundled',
      '--config.data.batch_size=8', '--config.train.num_steps=2',
      '--config.train.log_every=1', '--config.train.sample_every=2',
      '--config.train.checkpoint_every=2', '--config.train.num_sample_images=4')
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'step 2/2' in result.stderr and 'd_loss' in result.stderr
  assert os.listdir(os.path.join(workdir, 'checkpoints')) == ['2']
  assert os.path.exists(os.path.join(workdir, 'samples', 'final.png'))
  assert glob.glob(os.path.join(workdir, 'events.out.tfevents.*'))
  # The report, written when training ends (report.at_end).
  assert os.path.exists(os.path.join(workdir, 'report', 'index.html'))
  assert 'Report: ' in result.stderr


# SIGINT takes the same path as SIGTERM; it runs with the slow tests.
@pytest.mark.parametrize(
    'signum', [pytest.param(signal.SIGINT, marks=pytest.mark.slow),
               signal.SIGTERM])
def test_a_signal_stops_after_the_step_saves_and_exits_cleanly(tmp_path, signum):
  workdir = str(tmp_path / 'run')
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
  process = subprocess.Popen(
      [sys.executable, '-m', 'jaxgan.main', '--config=configs/dcgan_mnist.py',
       f'--workdir={workdir}', '--config.data.source=bundled',
       '--config.data.batch_size=8', '--config.train.num_steps=100000',
       '--config.train.log_every=1', '--config.train.checkpoint_every=100000',
       '--config.train.sample_every=100000', '--config.report.at_end=False'],
      cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
  seen = []
  for line in process.stderr:  # Wait until training is under way.
    seen.append(line)
    if 'step 3/100000' in line:
      break
  process.send_signal(signum)
  _, rest = process.communicate(timeout=120)
  stderr = ''.join(seen) + rest
  assert process.returncode == 128 + signum, stderr[-3000:]
  assert 'Traceback' not in stderr
  assert 'Stopped: saved a checkpoint at step' in stderr
  saved = [int(name) for name in os.listdir(os.path.join(workdir, 'checkpoints'))]
  assert len(saved) == 1 and saved[0] >= 3
  resumed = run_main(f'--workdir={workdir}', '--config.data.source=bundled',
                     '--config.data.batch_size=8',
                     f'--config.train.num_steps={saved[0] + 1}',
                     '--config.train.log_every=1',
                     '--config.train.checkpoint_every=100000',
                     '--config.train.sample_every=100000',
                     '--config.report.at_end=False')
  assert resumed.returncode == 0, resumed.stderr[-3000:]
  assert f'at step {saved[0]}' in resumed.stderr


def test_resume_equals_uninterrupted_with_ema_and_gradient_penalty(tmp_path):
  """The EMA params are part of the checkpoint; GP and uniform noise draw
  from the step's key. A small MLP GAN keeps this quick."""

  def config(num_steps):
    c = tiny_dcgan_config(num_steps=num_steps, g_ema_decay=0.9)
    c.model.generator, c.model.discriminator = 'mlp_g', 'mlp_d'
    c.model.mlp.g_hidden, c.model.mlp.d_hidden = (16,), (16,)
    c.model.noise_distribution = 'uniform'
    c.loss.name = 'wgan_gp'
    return c

  reference = train.train_and_evaluate(config(4), str(tmp_path / 'a'))
  train.train_and_evaluate(config(2), str(tmp_path / 'b'))
  resumed = train.train_and_evaluate(config(4), str(tmp_path / 'b'))
  assert resumed.g_ema_params  # Kept and restored.
  chex.assert_trees_all_equal(reference, resumed)
