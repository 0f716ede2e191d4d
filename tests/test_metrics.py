"""Sample-quality metrics and the DCGAN paper's protocols on data whose
answer is known."""

import os

import chex
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

from jaxgan import models
from jaxgan.configs import mlp_gan_mnist
from jaxgan.core.errors import ConfigError
from jaxgan.evaluation import metrics, protocols, results
from tests.conftest import REPO, tiny_dcgan_config


def gaussian(n, mean, cov, seed):
  return np.random.default_rng(seed).multivariate_normal(mean, cov, n)


# ------------------------------------------------------------ Frechet distance
def test_frechet_distance_of_a_set_with_itself_is_zero():
  x = gaussian(500, np.zeros(8), np.eye(8), 0)
  assert metrics.frechet_distance_between(x, x) == pytest.approx(0, abs=1e-8)


def test_frechet_distance_matches_the_closed_form_of_two_gaussians():
  rng = np.random.default_rng(1)
  a, b = rng.normal(size=(2, 6, 6))
  s1, s2 = a @ a.T + 0.1 * np.eye(6), b @ b.T  # Not commuting.
  mu1, mu2 = rng.normal(size=(2, 6))
  expected = (np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) -
              2 * np.trace(scipy.linalg.sqrtm(s1 @ s2)).real)
  assert metrics.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(
      expected, rel=1e-9)
  # Diagonal covariances: sum of (sqrt(s1) - sqrt(s2))^2 plus the mean term.
  d1, d2 = np.array([1.0, 4.0]), np.array([9.0, 1.0])
  assert metrics.frechet_distance([0, 0], np.diag(d1), [3, 4], np.diag(d2)) \
      == pytest.approx(25 + (1 - 3) ** 2 + (2 - 1) ** 2)


def test_frechet_distance_from_samples_approaches_the_population_value():
  mean2, cov2 = np.full(4, 0.5), 2.0 * np.eye(4)
  x = gaussian(40_000, np.zeros(4), np.eye(4), 2)
  y = gaussian(40_000, mean2, cov2, 3)
  expected = 4 * 0.25 + 4 * (1 - np.sqrt(2)) ** 2
  assert metrics.frechet_distance_between(x, y) == pytest.approx(expected,
                                                                 abs=0.03)


def test_frechet_distance_is_stable_for_singular_covariances():
  x = np.random.default_rng(4).normal(size=(5, 20))  # Rank 4 in 20 dims.
  value = metrics.frechet_distance_between(x, x + 1.0)
  assert np.isfinite(value) and value == pytest.approx(20.0, rel=1e-6)


def test_gaussian_statistics_use_the_unbiased_covariance():
  x = np.array([[0.0], [2.0]])
  mu, sigma = metrics.gaussian_statistics(x)
  assert mu[0] == 1.0 and sigma[0, 0] == 2.0  # (1 + 1) / (2 - 1).


# ------------------------------------------------------------ classifier score
def test_classifier_score_of_confident_uniform_predictions_is_the_class_count():
  logits = 50.0 * jnp.eye(10)[jnp.arange(1000) % 10]
  assert float(metrics.classifier_score(logits)) == pytest.approx(10, rel=1e-4)
  one_class = 50.0 * jnp.eye(10)[jnp.zeros(1000, int)]
  assert float(metrics.classifier_score(one_class)) == pytest.approx(1.0)
  uninformative = jnp.zeros((1000, 10))
  assert float(metrics.classifier_score(uninformative)) == pytest.approx(1.0)


# ------------------------------------------------------------------------- KID
def test_kid_is_unbiased_near_zero_for_one_distribution_and_positive_apart():
  same = [metrics.kernel_inception_distance(
      gaussian(300, np.zeros(5), np.eye(5), 2 * s),
      gaussian(300, np.zeros(5), np.eye(5), 2 * s + 1), subset_size=100,
      num_subsets=20, seed=s)[0] for s in range(10)]
  shifted, _ = metrics.kernel_inception_distance(
      gaussian(300, np.zeros(5), np.eye(5), 0),
      gaussian(300, np.full(5, 0.5), np.eye(5), 1), subset_size=100,
      num_subsets=20)
  # Unbiased: the mean over draws is near 0 (well within the spread of the
  # draws, far below the shifted case), and single draws can go negative.
  assert abs(np.mean(same)) < 3 * np.std(same) / np.sqrt(len(same))
  assert min(same) < 0 < shifted
  assert shifted > 20 * np.std(same)


def test_kid_with_fewer_samples_than_the_subset_size():
  x = gaussian(40, np.zeros(3), np.eye(3), 0)
  mean, std = metrics.kernel_inception_distance(x, x + 2.0, subset_size=1000)
  assert np.isfinite(mean) and mean > 0 and std >= 0
  with pytest.raises(ValueError, match='at least 2'):
    metrics.kernel_inception_distance(x[:1], x)


# ----------------------------------------------------------- neighbour search
def test_k_nearest_and_ball_counts_match_brute_force():
  rng = np.random.default_rng(5)
  queries, reference = rng.normal(size=(37, 6)), rng.normal(size=(50, 6))
  dist, idx = metrics.k_nearest(queries, reference, 3, block=16)  # Padded.
  full = np.linalg.norm(queries[:, None] - reference[None], axis=-1)
  np.testing.assert_array_equal(idx, np.argsort(full, axis=1)[:, :3])
  np.testing.assert_allclose(dist, np.sort(full, axis=1)[:, :3], rtol=1e-4)
  radii = rng.uniform(0.5, 2.5, 50)
  counts = metrics.ball_counts(queries, reference, radii, block=16)
  np.testing.assert_array_equal(counts, (full <= radii[None]).sum(axis=1))


def test_precision_recall_density_coverage_of_identical_sets():
  x = gaussian(400, np.zeros(4), np.eye(4), 6)
  assert metrics.precision_recall(x, x) == (1.0, 1.0)
  density, coverage = metrics.density_coverage(x, x)
  assert coverage == 1.0 and density > 0.9


def test_precision_recall_see_a_collapsed_or_shifted_generator():
  real = gaussian(500, np.zeros(2), np.eye(2), 7)
  collapsed = real[:1] + 0.01 * gaussian(500, np.zeros(2), np.eye(2), 8)
  precision, recall = metrics.precision_recall(real, collapsed)
  assert precision > 0.9 and recall < 0.1  # Realistic but no diversity.
  far = real + 20.0
  assert metrics.precision_recall(real, far) == (0.0, 0.0)
  assert metrics.density_coverage(real, far) == (0.0, 0.0)


def test_mode_coverage_counts_classes_and_measures_kl():
  uniform = np.full(10, 0.1)
  all_threes = 10.0 * one_hot(np.full(200, 3), 10)
  result = metrics.mode_coverage(all_threes, uniform)
  assert result['modes_covered'] == 1
  assert result['mode_kl'] == pytest.approx(np.log(10))
  balanced = 10.0 * one_hot(np.arange(200) % 10, 10)
  result = metrics.mode_coverage(balanced, uniform)
  assert result['modes_covered'] == 10 and result['mode_kl'] == pytest.approx(0)
  # A class seen far less often than in the reference is not covered.
  skewed = np.concatenate([np.arange(199) % 9, [9]])  # 0.5% vs 10%.
  assert metrics.mode_coverage(10.0 * one_hot(skewed, 10),
                               uniform)['modes_covered'] == 9


def one_hot(labels, n):
  return np.eye(n)[labels]


# ------------------------------------------------------------------- protocols
def test_nearest_neighbour_error_is_zero_on_separated_clusters():
  rng = np.random.default_rng(9)
  centres = rng.integers(0, 256, (3, 4, 4, 1))

  def cluster_images(n, seed):
    labels = np.arange(n) % 3
    noise = np.random.default_rng(seed).integers(-5, 6, (n, 4, 4, 1))
    return np.clip(centres[labels] + noise, 0, 255).astype(np.uint8), labels

  train_x, train_y = cluster_images(30, 1)
  test_x, test_y = cluster_images(60, 2)
  assert protocols.nearest_neighbour_error(train_x, train_y, test_x,
                                           test_y) == 0.0
  assert protocols.nearest_neighbour_error(train_x, (train_y + 1) % 3, test_x,
                                           test_y) == 1.0


@pytest.mark.parametrize('size', [7, 14, 4, 2])
def test_adaptive_max_pool_matches_a_loop(size):
  x = np.random.default_rng(size).normal(size=(2, size, size, 3))
  pooled = np.asarray(protocols.adaptive_max_pool(jnp.asarray(x)))
  chex.assert_shape(pooled, (2, 4, 4, 3))
  for i in range(4):
    for j in range(4):
      rows = slice(i * size // 4, -(-(i + 1) * size // 4))
      cols = slice(j * size // 4, -(-(j + 1) * size // 4))
      np.testing.assert_allclose(pooled[:, i, j],
                                 x[:, rows, cols].max(axis=(1, 2)), rtol=1e-6)


def test_balanced_subset_spreads_over_classes_and_avoids_exclusions():
  labels = np.repeat(np.arange(4), 10)
  first = protocols.balanced_subset(labels, 8, seed=0)
  assert np.bincount(labels[first]).tolist() == [2, 2, 2, 2]
  second = protocols.balanced_subset(labels, 8, seed=1, exclude=first)
  assert not set(first) & set(second)
  with pytest.raises(ValueError, match='fewer than'):
    protocols.balanced_subset(labels, 80, seed=0)


def test_linear_svm_separates_separable_features():
  rng = np.random.default_rng(3)

  def features(n):
    y = np.arange(n) % 3
    return rng.normal(size=(n, 20)) + 10.0 * np.eye(20)[y], y

  result = protocols.linear_svm_error(*features(60), *features(60),
                                      *features(90))
  assert result['svm_test_error'] == 0.0
  assert result['svm_C'] in protocols.SVM_REGULARISATION


def test_feature_protocol_applies_to_conv_discriminators_only():
  for config, expected in ((tiny_dcgan_config(), ('discriminator_svm',)),
                           (mlp_gan_mnist.get_config(), ())):
    d_model = models.build_discriminator(config.model, (28, 28, 1))
    assert results.applicable_protocols(config, 'auto', d_model) == expected
  # Asked for where it cannot run: refused before anything is sampled.
  with pytest.raises(ConfigError, match="model.discriminator='mlp_d' has "
                     "none"):
    results.applicable_protocols(config, 'discriminator_svm', d_model)


# ---------------------------------------------------------------- registry
def test_a_registered_metric_is_computed_and_has_a_direction(monkeypatch):
  """One function and its direction: SampleQuality-style scoring runs it
  after the others, and HIGHER_IS_BETTER (what selection, logs and reports
  read) carries it."""
  monkeypatch.setattr(metrics, 'HIGHER_IS_BETTER',
                      dict(metrics.HIGHER_IS_BETTER))
  monkeypatch.setattr(metrics, 'METRICS', list(metrics.METRICS))
  rng = np.random.default_rng(0)
  real = rng.normal(size=(40, 6))
  fake = rng.normal(size=(40, 6)) + 0.5
  logits = rng.normal(size=(40, 3))

  @metrics.register(mean_feature_norm=False)
  def _mean_norm(s):
    return {'mean_feature_norm': float(np.linalg.norm(s.features, axis=1)
                                       .mean())}

  scored = metrics.Scored(
      logits, fake, {'logits': metrics.gaussian_statistics(logits),
                     'features': metrics.gaussian_statistics(real)},
      real, {k: metrics.nearest_neighbour_radii(real, k)
             for k in (metrics.PRECISION_RECALL_K,
                       metrics.DENSITY_COVERAGE_K)},
      metrics.class_histogram(logits, 3), seed=0)
  out = {}
  for metric in metrics.METRICS:
    out.update(metric(scored))
  assert list(metrics.HIGHER_IS_BETTER)[-1] == 'mean_feature_norm'
  assert set(metrics.HIGHER_IS_BETTER) <= set(out)
  np.testing.assert_allclose(out['mean_feature_norm'],
                             np.linalg.norm(fake, axis=1).mean())
  with pytest.raises(ValueError, match='registered twice'):
    metrics.register(classifier_score=True)(_mean_norm)


def test_the_docs_metric_table_names_every_metric():
  with open(os.path.join(REPO, 'docs', 'evaluation.md')) as f:
    readme = f.read()
  table = readme.split('| metric | what | better |', 1)[1].split('\n\n', 1)[0]
  for name in metrics.HIGHER_IS_BETTER:
    assert f'`{name}`' in table, name
