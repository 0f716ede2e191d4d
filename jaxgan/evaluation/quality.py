"""Sample quality against real data, with the real-vs-real reference.

`SampleQuality` draws n real training images and n held-out real images once
(seeded), and scores any n images against the training ones through the
evaluator with every registered metric (evaluation/metrics.py): Frechet
distances on logits and penultimate features, the classifier score, KID,
precision/recall, density/coverage and mode coverage.
The held-out images scored the same way are the reference ceiling: what a
perfect generator would reach at this sample count and seed.
"""

from typing import Dict, Tuple

from absl import logging
import ml_collections
import numpy as np

from jaxgan import checks, data
from jaxgan.errors import ConfigError
from jaxgan.evaluation import classifier, metrics, shipped
from jaxgan.evaluation.classifier import Evaluator
from jaxgan.evaluation.splits import Splits, load_splits


class SampleQuality:
  """Scores uint8 image sets against `n` real training images."""

  def __init__(self, evaluator: Evaluator, splits: Splits, num_samples: int,
               seed: int = 0):
    n = min(num_samples, splits.train.labels.size, splits.test.labels.size)
    if n < num_samples:
      logging.warning(
          'Scoring %d samples, not %d: the real sets hold %d training and %d '
          'held-out images (%s).', n, num_samples, splits.train.labels.size,
          splits.test.labels.size, splits.test_origin)
    if n < 2:
      raise ValueError(f'Cannot score {n} samples: need at least 2.')
    self.num_samples = n
    self.seed = seed
    self.evaluator = evaluator
    rng = np.random.default_rng(seed)
    train_idx = rng.choice(splits.train.labels.size, n, replace=False)
    held_idx = rng.choice(splits.test.labels.size, n, replace=False)
    self._real_logits, self._real_features = evaluator.features(
        splits.train.images[train_idx])
    num_classes = self._real_logits.shape[-1]
    self.real_class_histogram = metrics.class_histogram(self._real_logits,
                                                        num_classes)
    self._real_statistics = {
        'logits': metrics.gaussian_statistics(self._real_logits),
        'features': metrics.gaussian_statistics(self._real_features)}
    self._real_radii = {
        k: metrics.nearest_neighbour_radii(self._real_features, k)
        for k in (metrics.PRECISION_RECALL_K, metrics.DENSITY_COVERAGE_K)}
    self.reference = self.score(splits.test.images[held_idx])

  def score(self, images_uint8: np.ndarray) -> Dict[str, object]:
    """Every metric of `images_uint8` (n images) against the real set."""
    if images_uint8.shape[0] != self.num_samples:
      raise ValueError(f'Expected {self.num_samples} images to score, got '
                       f'{images_uint8.shape[0]}.')
    logits, features = self.evaluator.features(images_uint8)
    scored = metrics.Scored(logits, features, self._real_statistics,
                            self._real_features, self._real_radii,
                            self.real_class_histogram, self.seed)
    out = {}
    for metric in metrics.METRICS:
      out.update(metric(scored))
    return out


def from_config(config: ml_collections.ConfigDict, num_samples: int,
                seed: int = 0) -> Tuple[SampleQuality, Splits]:
  """The dataset's evaluator (shipped, cached, or trained now) and a
  SampleQuality over its real images."""
  splits = load_splits(config)
  num_classes = data.dataset_spec(config.data).num_classes
  if not splits.train.labelled:
    raise ConfigError(
        f'{splits.train.description} has no labels, and the evaluator is a '
        f'classifier trained on them; sample quality cannot be measured for '
        f'it (give the data its labels, e.g. an npz with `labels`).')
  if not num_classes:
    raise ConfigError(
        f'data.name={config.data.name!r} has no class labels, and the '
        f'evaluator is a classifier trained on them; sample quality cannot be '
        f'measured for it.')
  name = shipped.name_for(config)
  if name:
    evaluator = shipped.load(name, config.data.name)
  else:
    evaluator = classifier.load_or_train(
        splits.train, splits.test, splits.test_origin, num_classes,
        config.eval.evaluator, config.eval.evaluator_dir)
  return SampleQuality(evaluator, splits, num_samples, seed), splits


def check_config(config: ml_collections.ConfigDict) -> None:
  """The eval.* fields, and evaluation during training (train.eval_every)
  against the data."""
  eval_every = config.train.eval_every
  if eval_every and not data.dataset_spec(config.data).num_classes:
    raise ConfigError(
        f'train.eval_every={eval_every}, but data.name={config.data.name!r} '
        f'has no class labels to train the evaluator classifier on; set '
        f'train.eval_every=0.')
  checks.integer(config, 'eval.num_samples', 2)
  checks.choice(config, 'eval.best_metric', metrics.HIGHER_IS_BETTER)
  source = checks.choice(config, 'eval.evaluator_source',
                         shipped.SOURCES + shipped.available())
  if source == 'shipped' and config.data.name not in shipped.SHIPPED:
    raise ConfigError(
        f"eval.evaluator_source='shipped', but no evaluator ships for "
        f'data.name={config.data.name!r}; shipped for: '
        f'{", ".join(sorted(shipped.SHIPPED))}. eval.evaluator_source=auto '
        f'trains one where none ships.')
  if (source not in shipped.SOURCES
      and shipped.dataset_of(source) != config.data.name):
    raise ConfigError(
        f'eval.evaluator_source={source!r} classifies '
        f'{shipped.dataset_of(source)}, not data.name={config.data.name!r}.')
  checks.path_string(config, 'eval.evaluator_dir')
  checks.real(config, 'eval.holdout_fraction', 0.0, 1.0, low_open=True)
  checks.integer(config, 'eval.evaluator.num_steps', 1)
  checks.integer(config, 'eval.evaluator.batch_size', 1)
  checks.real(config, 'eval.evaluator.learning_rate', 0.0, low_open=True)
  checks.real(config, 'eval.evaluator.dropout', 0.0, 1.0)
  checks.integer(config, 'eval.evaluator.seed', 0)
