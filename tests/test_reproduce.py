"""The results registry and `jaxgan.reproduce`, end to end on a tiny run."""

import dataclasses
import functools
import importlib
import json
import os

import pytest

from jaxgan import reproduce
from jaxgan.core.errors import ConfigError
from jaxgan.reporting import experiments
from jaxgan.run import config_validation, run_length
from tests import forked_commands

TINY = experiments.Experiment(
    'tiny', 'dcgan_mnist', 'Sun & Yang', 'A tiny run.',
    (experiments.Point(2, '2 steps'), experiments.Point(4, '4 steps')),
    checkpoint_every=2)
TINY_FLAGS = ('--config.data.batch_size=8', '--config.train.log_every=2',
              '--config.train.num_sample_images=4',
              '--config.report.at_end=False')


@pytest.mark.parametrize('experiment', experiments.EXPERIMENTS,
                         ids=lambda e: e.name)
def test_every_experiment_runs_its_config_to_its_points(experiment):
  config = importlib.import_module(
      f'jaxgan.configs.{experiment.config}').get_config()
  config.train.num_steps = experiment.num_steps
  config.train.checkpoint_every = experiment.checkpoint_every
  config_validation.validate(config)
  steps = [p.step for p in experiment.points]
  assert steps == sorted(set(steps))
  # Every point is a saved checkpoint.
  assert all(s % experiment.checkpoint_every == 0 for s in steps)
  assert all(s % run_length.steps_per_call(config.train) == 0 for s in steps)


def test_the_registry_is_the_sources_length():
  by_name = experiments.BY_NAME
  # Sun & Yang's 30 and 50 epochs of 60,000 digits at 256; He's 20k steps;
  # Singh's 10 epochs; Kapoor & Orozco's 500.
  assert [p.step for p in by_name['dcgan'].points] == [1170, 7020, 11_700]
  # Five critic updates per step take five batches: 5, 30 and 50 epochs of
  # the critic's batches.
  assert [p.step for p in by_name['wgan_gp_gulrajani'].points] == [
      234, 1404, 2340]
  he = [by_name[name] for name in ('radford', 'cdcgan', 'cdcgan_radford')]
  assert [e.num_steps for e in he] == [20_000] * 3
  # He's code counts D's and G's alternating updates alike: his 20K are 10k
  # of ours, a point of each.
  assert all(10_000 in [p.step for p in e.points] for e in he)
  assert by_name['nonsat'].num_steps == by_name['sat'].num_steps == 2340
  assert by_name['mlp'].num_steps == 117_000
  for members in experiments.COMPARISONS.values():
    assert all(m in by_name for m in members)


def test_unknown_experiment_names_the_choices():
  with pytest.raises(ConfigError, match=r"Unknown experiment 'dcgan_mnist'; "
                     r'valid choices: dcgan, dcgan_code, wgan_gp, '
                     r'wgan_gp_gulrajani, nonsat, sat,'):
    reproduce.select(['dcgan', 'dcgan_mnist'])
  assert len(reproduce.select([])) == len(experiments.EXPERIMENTS)


def test_train_time_sums_the_logged_intervals(tmp_path):
  with open(tmp_path / 'scalars.jsonl', 'w') as f:
    for step, speed in ((10, 2.0), (20, 5.0), (30, 1.0)):
      f.write(json.dumps({'step': step, 'steps_per_sec': speed}) + '\n')
    f.write(json.dumps({'step': 30, 'eval/precision': 0.5}) + '\n')
  assert reproduce.train_seconds(str(tmp_path), 20) == 10 / 2 + 10 / 5
  assert reproduce.train_seconds(str(tmp_path), 30) == 5 + 2 + 10
  assert reproduce.train_seconds(str(tmp_path / 'none'), 30) is None


def test_reproduce_trains_evaluates_tabulates_and_reuses(tmp_path,
                                                         monkeypatch):
  monkeypatch.setitem(experiments.BY_NAME, 'tiny', TINY)
  # The metrics only: the protocols' SVM fits take 20 s an evaluation here
  # and are tested in test_evaluation.py.
  from jaxgan import evaluate as evaluate_lib  # pylint: disable=g-import-not-at-top
  monkeypatch.setattr(evaluate_lib, 'evaluate', functools.partial(
      evaluate_lib.evaluate, protocols='none'))
  path = reproduce.reproduce(['tiny'], str(tmp_path), data_source='bundled',
                             num_samples=40, main_flags=TINY_FLAGS)
  assert sorted(os.listdir(tmp_path / 'tiny' / 'checkpoints')) == ['2', '4']
  with open(path) as f:
    text = f.read()
  assert '| real held-out digits |' in text
  assert '| tiny | Sun & Yang | 2 steps |' in text
  assert '| tiny | Sun & Yang | 4 steps |' in text
  assert 'SHORT of the bar' in text and 'not yet' not in text
  assert 'Evaluator: mnist-v2 (shipped).' in text
  with open(tmp_path / 'results.json') as f:
    rows = json.load(f)['rows']
  assert [r['step'] for r in rows] == [2, 4]
  assert rows[1]['result']['num_samples'] == 40

  # Again: nothing is trained or evaluated twice.
  def fail(*args, **kwargs):
    raise AssertionError('ran again')

  monkeypatch.setattr(evaluate_lib, 'evaluate', fail)
  monkeypatch.setattr(reproduce.subprocess, 'run', fail)
  assert reproduce.reproduce(['tiny'], str(tmp_path), data_source='bundled',
                             num_samples=40, main_flags=TINY_FLAGS) == path
  with open(path) as f:
    assert f.read() == text
  # Another experiment run alone: the table keeps tiny's kept rows.
  monkeypatch.setitem(experiments.BY_NAME, 'other',
                      dataclasses.replace(TINY, name='other'))
  reproduce.reproduce(['other'], str(tmp_path), train_missing=False,
                      num_samples=40)
  with open(path) as f:
    both = f.read()
  assert both.count('| other | Sun & Yang |') == both.count('not yet') == 2
  assert all(line in both for line in text.splitlines()[3:5])
  # Another evaluator (an older shipped version) makes them stale.
  with pytest.raises(AssertionError, match='ran again'):
    reproduce.reproduce(['tiny'], str(tmp_path), train_missing=False,
                        num_samples=40, evaluator_source='mnist-v1')


def test_notrain_tabulates_what_is_missing(tmp_path, monkeypatch):
  monkeypatch.setitem(experiments.BY_NAME, 'tiny', TINY)
  path = reproduce.reproduce(['tiny'], str(tmp_path), train_missing=False)
  with open(path) as f:
    text = f.read()
  assert text.count('not yet') == 2 and 'Evaluator: none yet.' in text


def test_command_lists_and_refuses_a_missing_workdir():
  def run(*args):
    return forked_commands.run_module('jaxgan.reproduce', *args,
                                      cwd=os.getcwd(), timeout=300)
  listed = run('--list')
  assert listed.returncode == 0
  assert [line.split()[0] for line in listed.stdout.splitlines()] == [
      e.name for e in experiments.EXPERIMENTS]
  missing = run('dcgan')
  assert missing.returncode == 2
  assert 'jaxgan: error: --workdir is missing' in missing.stderr
