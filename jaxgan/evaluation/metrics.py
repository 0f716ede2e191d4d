"""Sample-quality metrics on evaluator features: pure functions, and the
registry of the metrics every evaluation computes.

Statistics that need precision (covariances, the matrix square root, MMD
sums) run in float64 NumPy; the O(n^2) neighbour searches run jitted in JAX,
blocked over queries so memory stays at block x n.

A new metric is one function registered at the end of this module with the
direction of each value it reports and the feature spaces it applies to:
evaluation computes it, and the logs, the printed table, best-checkpoint
selection (eval.best_metric), the report and its figures pick it up from
`HIGHER_IS_BETTER`. The spaces: 'classifier' (jaxgan's evaluator trained on
the dataset's labels: logits and penultimate features) and 'inception' (the
FID Inception network's 2048-d pool features, no logits, no labels needed).
"""

import dataclasses
import functools
from typing import Callable, Dict, List, Optional, Tuple

import jax
import jax.numpy as jnp
import numpy as np

SPACES = ('classifier', 'inception')
# Metric value name -> True where larger is better, in registration order;
# filled by `register`. What best-checkpoint selection and reports read.
HIGHER_IS_BETTER: Dict[str, bool] = {}
# The registered metric functions, in the order they are computed; each has
# `spaces` and `names` attributes (see `register`).
METRICS: List[Callable[['Scored'], Dict[str, object]]] = []


# ------------------------------------------------------------ Frechet distance
def gaussian_statistics(features) -> Tuple[np.ndarray, np.ndarray]:
  """Mean and unbiased (n - 1) covariance, in float64."""
  x = np.asarray(features, np.float64)
  if x.ndim != 2 or x.shape[0] < 2:
    raise ValueError(f'Need at least 2 feature vectors (n, d), got shape '
                     f'{x.shape}.')
  return x.mean(axis=0), np.cov(x, rowvar=False, ddof=1).reshape(
      x.shape[1], x.shape[1])


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
  """Symmetric square root of a PSD matrix by eigh (negative round-off
  eigenvalues clipped to 0)."""
  values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
  return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
  """||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)).

  tr((S1 S2)^(1/2)) is computed as the sum of the square roots of the
  eigenvalues of the symmetric PSD matrix S1^(1/2) S2 S1^(1/2) (it has the
  same eigenvalues as S1 S2), which stays real and stable where scipy's
  general sqrtm of a singular product returns complex noise.
  """
  mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
  sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
  root1 = _psd_sqrt(sigma1)
  middle = root1 @ sigma2 @ root1
  eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
  trace_sqrt = np.sqrt(np.clip(eigenvalues, 0, None)).sum()
  diff = mu1 - mu2
  value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt
  return float(max(value, 0.0))


def frechet_distance_between(features1, features2) -> float:
  return frechet_distance(*gaussian_statistics(features1),
                          *gaussian_statistics(features2))


# ------------------------------------------------------------ classifier score
@jax.jit
def classifier_score(logits: jnp.ndarray) -> jnp.ndarray:
  """exp(E_x[KL(p(y|x) || p(y))]), the Inception score with the evaluator as
  the classifier: 1 (one class, or uninformative) .. num_classes."""
  log_p = jax.nn.log_softmax(logits.astype(jnp.float32), axis=-1)
  p = jnp.exp(log_p)
  log_marginal = jnp.log(jnp.mean(p, axis=0))
  kl = jnp.sum(p * (log_p - log_marginal), axis=-1)
  return jnp.exp(jnp.mean(kl))


# ------------------------------------------------------------------------- KID
def kernel_inception_distance(features1, features2, subset_size: int = 1000,
                              num_subsets: int = 100, seed: int = 0
                              ) -> Tuple[float, float]:
  """Mean and standard deviation over random subsets of the unbiased MMD^2
  with the cubic polynomial kernel k(x, y) = (x.y / d + 1)^3 (Binkowski et
  al. 2018). Subsets have min(subset_size, n1, n2) elements, so fewer
  samples than subset_size still give an unbiased estimate."""
  x = np.asarray(features1, np.float64)
  y = np.asarray(features2, np.float64)
  m = min(subset_size, x.shape[0], y.shape[0])
  if m < 2:
    raise ValueError(f'KID needs at least 2 samples per set, got '
                     f'{x.shape[0]} and {y.shape[0]}.')
  d = x.shape[1]
  rng = np.random.default_rng(seed)
  estimates = np.empty(num_subsets)
  for i in range(num_subsets):
    a = x[rng.choice(x.shape[0], m, replace=False)]
    b = y[rng.choice(y.shape[0], m, replace=False)]
    k_aa = (a @ a.T / d + 1) ** 3
    k_bb = (b @ b.T / d + 1) ** 3
    k_ab = (a @ b.T / d + 1) ** 3
    # Unbiased: diagonal (self-similarity) terms left out of the within-set
    # means.
    estimates[i] = ((k_aa.sum() - np.trace(k_aa)) / (m * (m - 1)) +
                    (k_bb.sum() - np.trace(k_bb)) / (m * (m - 1)) -
                    2 * k_ab.mean())
  return float(estimates.mean()), float(estimates.std())


# ----------------------------------------------------------- neighbour search
def _pad_rows(x: jnp.ndarray, block: int) -> Tuple[jnp.ndarray, int]:
  n = x.shape[0]
  padded = -(-n // block) * block
  return jnp.pad(x, ((0, padded - n), (0, 0))), n


def _squared_distances(queries: jnp.ndarray, reference: jnp.ndarray,
                       reference_sq_norms: jnp.ndarray) -> jnp.ndarray:
  q = jnp.sum(queries * queries, axis=1, keepdims=True)
  d = q - 2.0 * queries @ reference.T + reference_sq_norms[None, :]
  return jnp.maximum(d, 0.0)


@functools.partial(jax.jit, static_argnames=('k', 'block'))
def _k_nearest(queries, reference, k: int, block: int):
  ref_sq = jnp.sum(reference * reference, axis=1)
  blocks = queries.reshape(-1, block, queries.shape[1])

  def one_block(q):
    neg, idx = jax.lax.top_k(-_squared_distances(q, reference, ref_sq), k)
    return -neg, idx

  dist, idx = jax.lax.map(one_block, blocks)
  return dist.reshape(-1, k), idx.reshape(-1, k)


def k_nearest(queries, reference, k: int, block: int = 256
              ) -> Tuple[np.ndarray, np.ndarray]:
  """Euclidean distances (ascending) and indices of each query's k nearest
  rows of `reference`, computed in blocks of `block` queries."""
  queries = jnp.asarray(queries, jnp.float32)
  reference = jnp.asarray(reference, jnp.float32)
  if k > reference.shape[0]:
    raise ValueError(f'k={k} nearest neighbours asked of {reference.shape[0]} '
                     f'points.')
  padded, n = _pad_rows(queries, block)
  dist, idx = _k_nearest(padded, reference, k, block)
  return np.sqrt(np.asarray(dist[:n], np.float64)), np.asarray(idx[:n])


def nearest_neighbour_radii(features, k: int) -> np.ndarray:
  """Distance from each point to its k-th nearest other point of the set."""
  dist, _ = k_nearest(features, features, k + 1)  # +1: the point itself.
  return dist[:, k]


@functools.partial(jax.jit, static_argnames=('block',))
def _ball_counts(queries, centers, radii, block: int):
  center_sq = jnp.sum(centers * centers, axis=1)
  blocks = queries.reshape(-1, block, queries.shape[1])
  radii_sq = radii * radii

  def one_block(q):
    inside = _squared_distances(q, centers, center_sq) <= radii_sq[None, :]
    return jnp.sum(inside, axis=1)

  return jax.lax.map(one_block, blocks).reshape(-1)


def ball_counts(queries, centers, radii, block: int = 256) -> np.ndarray:
  """For each query, how many of the balls B(centers[j], radii[j]) hold it."""
  queries = jnp.asarray(queries, jnp.float32)
  padded, n = _pad_rows(queries, block)
  counts = _ball_counts(padded, jnp.asarray(centers, jnp.float32),
                        jnp.asarray(radii, jnp.float32), block)
  return np.asarray(counts[:n])


# ---------------------------------------------- precision, recall, density...
PRECISION_RECALL_K = 3
DENSITY_COVERAGE_K = 5


def precision_recall(real, fake, k: int = PRECISION_RECALL_K,
                     real_radii=None) -> Tuple[float, float]:
  """Improved precision and recall (Kynkaanniemi et al. 2019): the share of
  fakes inside the real k-NN manifold, and of reals inside the fake one.
  `real_radii`: nearest_neighbour_radii(real, k), when already known."""
  if real_radii is None:
    real_radii = nearest_neighbour_radii(real, k)
  fake_radii = nearest_neighbour_radii(fake, k)
  precision = np.mean(ball_counts(fake, real, real_radii) > 0)
  recall = np.mean(ball_counts(real, fake, fake_radii) > 0)
  return float(precision), float(recall)


def density_coverage(real, fake, k: int = DENSITY_COVERAGE_K,
                     real_radii=None) -> Tuple[float, float]:
  """Density and coverage (Naeem et al. 2020): how many real k-NN balls hold
  each fake on average (/k; 1 when fake matches real), and the share of real
  balls that hold at least one fake."""
  if real_radii is None:
    real_radii = nearest_neighbour_radii(real, k)
  density = ball_counts(fake, real, real_radii).mean() / k
  nearest_fake, _ = k_nearest(real, fake, 1)
  coverage = np.mean(nearest_fake[:, 0] <= real_radii)
  return float(density), float(coverage)


# ---------------------------------------------------------------- modes
def mode_coverage(logits, reference_histogram, min_share: float = 0.1
                  ) -> Dict[str, object]:
  """The class histogram of samples under the evaluator, its KL divergence
  KL(generated || reference) to the reference class distribution, and how
  many classes are covered: predicted at least `min_share` times as often as
  in the reference (so a few misclassified blobs do not count as a mode)."""
  reference = np.asarray(reference_histogram, np.float64)
  reference = reference / reference.sum()
  histogram = class_histogram(logits, len(reference))
  support = histogram > 0
  kl = float(np.sum(histogram[support] *
                    np.log(histogram[support] /
                           np.maximum(reference[support], 1e-12))))
  covered = int(np.sum((reference > 0) & (histogram >= min_share * reference)))
  return {'mode_kl': kl, 'modes_covered': covered,
          'class_histogram': histogram.tolist()}


def class_histogram(logits, num_classes: int) -> np.ndarray:
  predictions = np.asarray(jnp.argmax(jnp.asarray(logits), axis=-1))
  counts = np.bincount(predictions, minlength=num_classes)
  return counts / counts.sum()


# ---------------------------------------------------------------- registry
@dataclasses.dataclass
class Scored:
  """What a metric sees: the features (and, from a classifier, the logits)
  of the scored images, and of the real training images with the statistics
  computed from them once (quality.SampleQuality)."""
  logits: Optional[np.ndarray]  # None in the inception space.
  features: np.ndarray
  real_statistics: Dict[str, Tuple[np.ndarray, np.ndarray]]  # logits, features
  real_features: np.ndarray
  real_radii: Dict[int, np.ndarray]  # k -> nearest_neighbour_radii(real, k)
  real_class_histogram: Optional[np.ndarray]
  seed: int


def register(spaces: Tuple[str, ...] = SPACES, **higher_is_better: bool):
  """Registers a metric function (Scored -> {value name: value}) for the
  feature `spaces` it applies to; the keywords give the direction of each
  value that has one (a value left out, such as a standard deviation, has
  none)."""

  def add(metric):
    for name in higher_is_better:
      if name in HIGHER_IS_BETTER:
        raise ValueError(f'Metric {name!r} is registered twice.')
    HIGHER_IS_BETTER.update(higher_is_better)
    metric.spaces, metric.names = tuple(spaces), tuple(higher_is_better)
    METRICS.append(metric)
    return metric

  return add


def metrics_of(space: str) -> List[Callable[['Scored'], Dict[str, object]]]:
  """The metric functions that apply in `space`, in order."""
  return [m for m in METRICS if space in m.spaces]


def names_of(space: str) -> Dict[str, bool]:
  """Metric name -> higher is better, for the metrics of `space`."""
  return {name: HIGHER_IS_BETTER[name] for m in metrics_of(space)
          for name in m.names}


@register(spaces=('classifier',), frechet_distance_logits=False,
          frechet_distance_features=False)
def _frechet_distances(s: Scored):
  return {f'frechet_distance_{name}': frechet_distance(
      *gaussian_statistics(values), *s.real_statistics[name])
          for name, values in (('logits', s.logits),
                               ('features', s.features))}


@register(spaces=('inception',), fid=False)
def _fid(s: Scored):
  """FID: the Frechet distance of the Inception pool features."""
  return {'fid': frechet_distance(*gaussian_statistics(s.features),
                                  *s.real_statistics['features'])}


@register(spaces=('classifier',), classifier_score=True)
def _classifier_score(s: Scored):
  return {'classifier_score': float(classifier_score(s.logits))}


@register(spaces=('classifier',), kid_features=False)
def _kid(s: Scored):
  kid, kid_std = kernel_inception_distance(s.features, s.real_features,
                                           seed=s.seed)
  return {'kid_features': kid, 'kid_features_std': kid_std}


@register(spaces=('inception',), kid=False)
def _inception_kid(s: Scored):
  kid, kid_std = kernel_inception_distance(s.features, s.real_features,
                                           seed=s.seed)
  return {'kid': kid, 'kid_std': kid_std}


@register(precision=True, recall=True)
def _precision_recall(s: Scored):
  precision, recall = precision_recall(
      s.real_features, s.features, real_radii=s.real_radii[PRECISION_RECALL_K])
  return {'precision': precision, 'recall': recall}


@register(density=True, coverage=True)
def _density_coverage(s: Scored):
  density, coverage = density_coverage(
      s.real_features, s.features, real_radii=s.real_radii[DENSITY_COVERAGE_K])
  return {'density': density, 'coverage': coverage}


@register(spaces=('classifier',), mode_kl=False, modes_covered=True)
def _modes(s: Scored):
  return mode_coverage(s.logits, s.real_class_histogram)
