"""The evaluator classifier, generation, and the evaluate / sample commands
and evaluation during training, end to end on tiny runs."""

import json
import os

import chex
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from jaxgan import evaluate, sample, score_images
from jaxgan.configs import cdcgan_mnist
from jaxgan.core.errors import ConfigError
from jaxgan.datasets import data, images
from jaxgan.evaluation import classifier, metrics, quality as quality_lib, results, shipped, splits
from jaxgan.run import config_validation, train
from jaxgan.step import sampling
from tests import forked_commands
from tests.conftest import tiny_dcgan_config


def toy_dataset(n=64, seed=0, name='mnist'):
  """Two classes anyone can tell apart: dark and bright 28x28 images."""
  rng = np.random.default_rng(seed)
  labels = (np.arange(n) % 2).astype(np.int32)
  base = np.where(labels[:, None, None, None] == 1, 200, 30)
  images = np.clip(base + rng.integers(-20, 21, (n, 28, 28, 1)), 0, 255)
  return data.Dataset(images.astype(np.uint8), labels, name, 'npz', 'toy')


def evaluator_options(num_steps=40):
  return ml_collections.ConfigDict({
      'num_steps': num_steps, 'batch_size': 16, 'learning_rate': 1e-3,
      'dropout': 0.3, 'seed': 0})


# -------------------------------------------------------------- the evaluator
def test_evaluator_cnn_shapes_and_determinism():
  model = classifier.EvaluatorCNN(10)
  x = jnp.zeros((3, 28, 28, 1))
  params = model.init(jax.random.key(0), x, train=False)['params']
  logits, features = model.apply({'params': params}, x, train=False)
  chex.assert_shape((logits, features), ((3, 10), (3, 128)))
  again, _ = model.apply({'params': params}, x, train=False)
  chex.assert_trees_all_equal(logits, again)


def test_evaluator_learns_and_is_cached_and_reused(tmp_path, monkeypatch):
  train_set, test_set = toy_dataset(64, 0), toy_dataset(32, 1)
  ev = classifier.load_or_train(train_set, test_set, 'toy test', 2,
                                evaluator_options(), str(tmp_path))
  assert ev.test_accuracy == 1.0
  logits, features = ev.features(test_set.images)
  chex.assert_shape((logits, features), ((32, 2), (32, 128)))
  (cached,) = os.listdir(tmp_path)
  with open(tmp_path / cached / 'info.json') as f:
    assert json.load(f)['test_accuracy'] == 1.0

  def no_training(*args):
    raise AssertionError('trained again instead of reusing the cache')

  monkeypatch.setattr(classifier, 'train_evaluator', no_training)
  again = classifier.load_or_train(train_set, test_set, 'toy test', 2,
                                   evaluator_options(), str(tmp_path))
  chex.assert_trees_all_equal(again.params, ev.params)
  # Other data or options are another evaluator.
  key = classifier.cache_key(train_set, test_set, evaluator_options())
  assert key != classifier.cache_key(toy_dataset(64, 5), test_set,
                                     evaluator_options())
  assert key != classifier.cache_key(train_set, test_set,
                                     evaluator_options(41))


def test_stratified_holdout_is_disjoint_and_per_class():
  dataset = toy_dataset(100)
  parts = splits.stratified_holdout(dataset, 0.2)
  assert parts.test.labels.size == 20 and parts.train.labels.size == 80
  assert np.bincount(parts.test.labels).tolist() == [10, 10]
  assert 'held out 20' in parts.test_origin


def test_a_single_npz_file_has_no_test_split(tmp_path):
  path = str(tmp_path / 'one.npz')
  np.savez(path, images=np.zeros((4, 28, 28, 1), np.uint8),
           labels=np.arange(4))
  assert data.load('mnist', 'npz', path).labels.size == 4
  with pytest.raises(data.DatasetNotFoundError, match='folder holding'):
    data.load('mnist', 'npz', path, split='test')


# ------------------------------------------------------- shipped evaluators
# Folders of the IDX files the shipped evaluators were trained on: Debian's
# dataset-fashion-mnist, and full MNIST where $JAXGAN_TEST_MNIST_DIR names a
# folder of its IDX files (.ci/run fetches them; see the README).
IDX_DIRS = {'fashion_mnist': '/usr/share/datasets/fashion-mnist',
            'mnist': os.environ.get('JAXGAN_TEST_MNIST_DIR', '')}


def test_every_dataset_default_is_a_shipped_evaluator_of_it():
  assert set(shipped.SHIPPED.values()) <= set(shipped.available())
  for dataset_name, name in shipped.SHIPPED.items():
    assert shipped.dataset_of(name) == dataset_name
  assert {'mnist-v1', 'mnist-v2'} <= set(shipped.available())


@pytest.mark.parametrize('name', shipped.available())
def test_shipped_evaluators_record_what_they_are(name):
  dataset_name = shipped.dataset_of(name)
  info = shipped.load(name, dataset_name).info
  assert info['name'] == name and info['shipped'] and info['version'] >= 1
  assert info['dataset'] == dataset_name
  assert info['train_images'] > 0 and info['train_description']
  assert 0.85 < info['test_accuracy'] <= 1 and info['test_images'] >= 1000


def real_test_split(info):
  """The held-out images a shipped evaluator was measured on."""
  config = tiny_dcgan_config()
  config.data.name, config.data.source = info['dataset'], info['source']
  if info['source'] == 'idx':
    folder = IDX_DIRS[info['dataset']]
    if not os.path.isdir(folder):
      pytest.skip(f'no IDX files of {info["dataset"]} here ({folder!r})')
    config.data.data_dir = folder
  return splits.load_splits(config).test


@pytest.mark.parametrize('name', shipped.available())
@pytest.mark.usefixtures('xla_optimized')  # 10,000 images through the net.
def test_shipped_evaluators_reach_their_recorded_accuracy(name):
  evaluator = shipped.load(name, shipped.dataset_of(name))
  test = real_test_split(evaluator.info)
  assert test.labels.size == evaluator.info['test_images']
  # The weights are the ones measured (other backends round differently).
  assert abs(evaluator.accuracy(test) - evaluator.test_accuracy) < 0.003


def test_the_shipped_evaluator_is_the_default_and_train_trains(monkeypatch):
  def no_training(*args):
    raise AssertionError('trained instead of using the shipped evaluator')

  monkeypatch.setattr(classifier, 'train_evaluator', no_training)
  config = tiny_dcgan_config()
  quality, _ = quality_lib.from_config(config, 40)
  assert quality.evaluator.info['name'] == 'mnist-v2'
  assert 'mnist-v2 (shipped)' in results.format_table(
      results.result_record(0, quality, quality.reference))
  config.eval.evaluator_source = 'mnist-v1'  # An older version, by name.
  quality, _ = quality_lib.from_config(config, 40)
  assert quality.evaluator.info['name'] == 'mnist-v1'
  config.eval.evaluator_source = 'train'
  with pytest.raises(AssertionError, match='trained instead'):
    quality_lib.from_config(config, 40)


def test_no_shipped_evaluator_for_the_dataset_is_refused():
  config = tiny_dcgan_config()
  config.data.name, config.model.generator = 'cifar10', 'dcgan_svhn_g'
  config.eval.evaluator_source = 'shipped'
  with pytest.raises(ConfigError, match="no evaluator ships for data.name="
                     "'cifar10'; shipped for: fashion_mnist, mnist"):
    config_validation.validate(config)
  config.eval.evaluator_source = 'mnist-v1'
  with pytest.raises(ConfigError, match="eval.evaluator_source='mnist-v1' "
                     "classifies mnist, not data.name='cifar10'"):
    config_validation.validate(config)


# ------------------------------------------------------------------ generation
def test_class_labels_modes_and_bad_values():
  assert sampling.class_labels('cycle', 5, 3).tolist() == [0, 1, 2, 0, 1]
  assert sampling.class_labels('4', 3, 10).tolist() == [4, 4, 4]
  assert sampling.class_labels('1,2', 3, 10).tolist() == [1, 2, 1]
  random = sampling.class_labels('random', 100, 10, seed=1)
  assert random.min() >= 0 and random.max() < 10
  for bad in ('10', 'seven', '', '-1'):
    with pytest.raises(ConfigError, match='--labels'):
      sampling.class_labels(bad, 3, 10)


# ---------------------------------------------------- a tiny run, evaluated
@pytest.fixture(scope='module')
def evaluated_run(tmp_path_factory):
  """4 steps of the tiny DCGAN, evaluated every 2 steps during training."""
  workdir = str(tmp_path_factory.mktemp('evaluated'))
  train.train_and_evaluate(tiny_dcgan_config(eval_every=2), workdir)
  return workdir


def test_training_evaluates_and_keeps_the_best_checkpoint(evaluated_run):
  eval_dir = os.path.join(evaluated_run, 'eval')
  assert sorted(os.listdir(eval_dir)) == ['best.json', 'metrics_2.json',
                                         'metrics_4.json']
  values = {}
  for step in (2, 4):
    with open(os.path.join(eval_dir, f'metrics_{step}.json')) as f:
      result = json.load(f)
    # MNIST is labelled: the classifier space's metrics, all of them.
    assert set(metrics.names_of('classifier')) <= set(result['metrics'])
    assert set(metrics.names_of('classifier')) <= set(result['reference'])
    assert 'fid' not in result['metrics']
    values[step] = result['metrics']['frechet_distance_features']
  with open(os.path.join(eval_dir, 'best.json')) as f:
    best = json.load(f)
  best_step = min(values, key=values.get)
  assert best == {'metric': 'frechet_distance_features',
                  'value': values[best_step], 'step': best_step}
  assert os.listdir(os.path.join(evaluated_run, 'best_checkpoint')) == [
      str(best_step)]


def test_evaluate_writes_every_metric_with_the_real_reference(evaluated_run):
  result, path = evaluate.evaluate(evaluated_run, num_samples=40,
                                   svm_labels=20)
  assert path == os.path.join(evaluated_run, 'eval', 'metrics_4.json')
  with open(path) as f:
    assert json.load(f) == json.loads(json.dumps(result))
  assert result['step'] == 4 and result['num_samples'] == 40
  for name in metrics.names_of('classifier'):
    assert np.isfinite(result['metrics'][name])
    assert np.isfinite(result['reference'][name])
  # Unconditional: only the discriminator-feature protocol applies.
  assert set(result['protocols']) == {
      'svm_test_error', 'svm_validation_error', 'svm_C', 'svm_labels',
      'svm_test_images'}
  assert 0 <= result['protocols']['svm_test_error'] <= 1
  assert 0 < result['evaluator']['test_accuracy'] <= 1


def test_evaluate_the_best_and_the_untrained_generator(evaluated_run):
  with open(os.path.join(evaluated_run, 'eval', 'best.json')) as f:
    best_step = json.load(f)['step']
  best, _ = evaluate.evaluate(evaluated_run, num_samples=40,
                              checkpoint='best', protocols='none')
  assert best['step'] == best_step and best['protocols'] == {}
  untrained, _ = evaluate.evaluate(evaluated_run, num_samples=40,
                                   checkpoint='0', protocols='none')
  assert untrained['step'] == 0
  with pytest.raises(ConfigError, match=r'--checkpoint=\'3\' is not '
                     r'available.*saved steps: 2, 4'):
    evaluate.evaluate(evaluated_run, num_samples=40, checkpoint='3')
  with pytest.raises(ConfigError, match='fits a classifier on class-'
                     'conditional samples'):
    evaluate.evaluate(evaluated_run, protocols='nearest_neighbour')
  with pytest.raises(ConfigError, match='Unknown protocol'):
    evaluate.evaluate(evaluated_run, protocols='fid')


def test_sample_writes_npz_and_png(evaluated_run, tmp_path):
  out = str(tmp_path / 'samples.npz')
  arrays = sample.sample(evaluated_run, 7, out)
  with np.load(out) as f:
    assert f.files == ['images']
    images = f['images']
  chex.assert_shape(images, (7, 28, 28, 1))
  assert images.dtype == np.uint8 and images.max() > images.min()
  np.testing.assert_array_equal(images, arrays['images'])
  # Deterministic, and the first images do not depend on how many.
  first = sample.sample(evaluated_run, 3, str(tmp_path / 'b.npz'))['images']
  np.testing.assert_array_equal(first, images[:3])
  # The npz reads back as a dataset.
  assert data.load('mnist', 'npz', out).images.shape == (7, 28, 28, 1)
  png = str(tmp_path / 'grid.png')
  sample.sample(evaluated_run, 4, png)
  from PIL import Image  # pylint: disable=g-import-not-at-top
  with Image.open(png) as im:
    assert im.size == (2 * 28 + 3 * 2,) * 2
  with pytest.raises(ConfigError, match=r'--out=.*\.npz or \.png'):
    sample.sample(evaluated_run, 4, str(tmp_path / 'x.jpg'))


def test_split_grid_inverts_make_grid_and_names_a_bad_size():
  pixels = np.random.default_rng(0).integers(0, 256, (7, 5, 4, 1), np.uint8)
  for padding in (0, 2):
    cells = images.split_grid(images.make_grid(pixels, padding), 5, 4, padding)
    np.testing.assert_array_equal(cells[:7], pixels)
    assert cells.shape == (9, 5, 4, 1) and not cells[7:].any()  # 3x3 grid.
  with pytest.raises(ConfigError, match=r'g.png is 14x15 pixels, not a grid '
                     r'of 4x5 cells 1 pixels apart'):
    images.split_grid(np.zeros((15, 14, 1), np.uint8), 5, 4, 1, 'g.png')


def test_score_images_reads_samples_as_written_and_scores_like_evaluate(
    evaluated_run, tmp_path):
  """jaxgan.sample's npz and PNG grid read back as the same images, and
  score_images scores them as evaluate would: real digits near the
  reference, the 4-step generator far from it."""
  npz, png, npy = (str(tmp_path / f'x.{e}') for e in ('npz', 'png', 'npy'))
  arrays = sample.sample(evaluated_run, 9, npz)
  sample.sample(evaluated_run, 9, png)
  for path, padding in ((npz, 0), (png, 2)):
    np.testing.assert_array_equal(
        score_images.read_images(path, (28, 28, 1), padding),
        arrays['images'])
  real = data.load('mnist', 'bundled').images[::125]  # 4 of each class.
  np.save(npy, real)
  kwargs = dict(dataset='mnist', source='bundled', seed=3)
  scored_real = score_images.score([npy], **kwargs)
  assert scored_real['num_samples'] == 40
  generated = np.concatenate([arrays['images']] * 5)[:40]
  np.save(npy, generated)
  scored_fake = score_images.score([npy], **kwargs)
  fid = 'frechet_distance_features'
  assert scored_fake['reference'] == scored_real['reference']
  assert scored_real['metrics'][fid] < 2 * scored_real['reference'][fid]
  assert scored_fake['metrics'][fid] > 3 * scored_real['metrics'][fid]
  quality, _ = quality_lib.from_config(tiny_dcgan_config(), 40, 3)
  assert scored_fake['metrics'][fid] == quality.score(generated)[fid]


@pytest.mark.parametrize('name, make, message', [
    ('x.gif', None, r"'.*x.gif' is not an image file jaxgan reads: expected "
     r'a name ending in .png or .jpg or .jpeg or .npz or .npy'),
    ('missing.png', None, r"'.*missing.png' does not exist"),
    ('floats.npy', lambda p: np.save(p, np.zeros((2, 28, 28, 1))),
     r'holds float64 images of shape \(28, 28, 1\); expected uint8 images '
     r'of shape \(28, 28, 1\)'),
    ('other.npz', lambda p: np.savez(p, x=np.zeros(2)),
     r'has no `images` array; it holds x'),
])
def test_score_images_names_a_bad_file(tmp_path, name, make, message):
  path = str(tmp_path / name)
  if make:
    make(path)
  with pytest.raises(ConfigError, match=message):
    score_images.score([path], source='bundled')


def test_score_images_needs_files_and_a_known_dataset():
  with pytest.raises(ConfigError, match='No image files given'):
    score_images.score([], source='bundled')
  with pytest.raises(ConfigError, match=r"Unknown data.name='digits'"):
    score_images.score(['x.png'], dataset='digits')


def test_score_images_command(evaluated_run, tmp_path):
  png, out = str(tmp_path / 'grid.png'), str(tmp_path / 'scored.json')
  sample.sample(evaluated_run, 12, png)

  def command(*args):
    return forked_commands.run_module('jaxgan.score_images',
                                      '--data_source=bundled', *args)

  done = command('--padding=2', f'--out={out}', png)
  assert done.returncode == 0, done.stderr
  assert '1 file(s), 12 images' in done.stdout
  assert 'real (held-out)' in done.stdout
  with open(out) as f:
    assert json.load(f)['num_samples'] == 12
  refused = command(png)  # The grid has 2-pixel gaps: not 28x28 cells.
  assert refused.returncode == 2
  assert refused.stderr.count('jaxgan: error:') == 1
  assert 'not a grid of 28x28 cells 0 pixels apart' in refused.stderr


def test_a_workdir_without_a_run_is_refused(tmp_path):
  with pytest.raises(ConfigError, match='holds no training run'):
    sample.sample(str(tmp_path), 4, str(tmp_path / 'x.npz'))


def test_conditional_run_samples_labels_and_runs_the_nn_protocol(tmp_path):
  config = cdcgan_mnist.get_config()
  tiny = tiny_dcgan_config()
  for section in ('data', 'train', 'eval'):
    config[section] = tiny[section]
  workdir = str(tmp_path / 'cond')
  train.train_and_evaluate(config, workdir)
  arrays = sample.sample(workdir, 6, str(tmp_path / 'c.npz'), labels='3,5')
  assert arrays['labels'].tolist() == [3, 5, 3, 5, 3, 5]
  with np.load(str(tmp_path / 'c.npz')) as f:
    assert f['labels'].tolist() == [3, 5, 3, 5, 3, 5]
  result, _ = evaluate.evaluate(workdir, num_samples=30, svm_labels=20)
  protocols = result['protocols']
  assert protocols['nn_generated_samples'] == 30
  assert protocols['nn_real_samples'] == 30
  assert 0 <= protocols['nn_test_error_generated'] <= 1
  # Real digits classify far better than a generator trained for 4 steps.
  assert protocols['nn_test_error_real'] < protocols['nn_test_error_generated']
  assert 'svm_test_error' in protocols


def test_evaluate_command(evaluated_run):
  out = forked_commands.run_module('jaxgan.evaluate',
                                   f'--workdir={evaluated_run}',
                                   '--num_samples=30', '--protocols=none')
  assert out.returncode == 0, out.stderr
  assert 'frechet_distance_features' in out.stdout
  assert 'real (held-out)' in out.stdout
  assert 'metrics_4.json' in out.stdout
