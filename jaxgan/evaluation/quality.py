"""Sample quality against real data, with the real-vs-real reference.

`SampleQuality` draws n real training images and n held-out real images once
(seeded), and scores any n images against the training ones with every
metric of the evaluator's feature space (evaluation/metrics.py): in the
classifier space, Frechet distances on logits and penultimate features, the
classifier score, KID, precision/recall, density/coverage and mode coverage;
in the inception space, FID, KID, precision/recall and density/coverage.
The held-out images scored the same way are the reference ceiling: what a
perfect generator would reach at this sample count and seed.

The space (eval.features): the classifier trained on the dataset's labels
where there are real labels (two classes or more), else the FID Inception
network (auto); a classifier is never trained on missing or one-class labels.
"""

from typing import Dict, Optional, Tuple, Union

from absl import logging
import ml_collections
import numpy as np

from jaxgan.core import checks
from jaxgan.core.errors import ConfigError
from jaxgan.datasets import data
from jaxgan.evaluation import classifier, metrics, reference_file, shipped
from jaxgan.evaluation.classifier import Evaluator
from jaxgan.evaluation.inception_features import InceptionEvaluator
from jaxgan.evaluation.splits import load_splits, Splits

FEATURE_CHOICES = ('auto',) + metrics.SPACES
MIN_SAMPLES = metrics.DENSITY_COVERAGE_K + 1
AnyEvaluator = Union[Evaluator, InceptionEvaluator]


class SampleQuality:
  """Scores uint8 image sets against `n` real training images."""

  def __init__(self, evaluator: AnyEvaluator, splits: Optional[Splits],
               num_samples: int, seed: int = 0, reference: str = ''):
    """`reference`: a file of the real sets' Inception features
    (reference_file.py) instead of `splits` (then None)."""
    if reference:
      num_train = num_held = num_samples
    else:
      num_train, num_held = (splits.train.images.shape[0],
                             splits.test.images.shape[0])
    n = min(num_samples, num_train, num_held)
    if n < num_samples:
      logging.warning(
          'Scoring %d samples, not %d: the real sets hold %d training and %d '
          'held-out images (%s).', n, num_samples, num_train, num_held,
          splits.test_origin)
    if n < MIN_SAMPLES:
      raise ConfigError(f'Cannot score {n} samples: need at least '
                        f'{MIN_SAMPLES} (each point\'s {MIN_SAMPLES - 1} '
                        f'nearest others for density and coverage).')
    self.num_samples = n
    self.seed = seed
    self.evaluator = evaluator
    self.space = evaluator.space
    if reference:
      real_features, held_features = reference_file.read(
          reference, evaluator.info, n)
      self._real_logits, held_logits = None, None
    else:
      rng = np.random.default_rng(seed)
      train_idx = rng.choice(num_train, n, replace=False)
      held_idx = rng.choice(num_held, n, replace=False)
      self._real_logits, real_features = evaluator.real_features(
          splits.train.images[train_idx])
      held_logits, held_features = evaluator.real_features(
          splits.test.images[held_idx])
    self.real_features, self.heldout_features = real_features, held_features
    self._real_statistics = {
        'features': metrics.gaussian_statistics(real_features)}
    self.real_class_histogram = None
    if self._real_logits is not None:
      self.real_class_histogram = metrics.class_histogram(
          self._real_logits, self._real_logits.shape[-1])
      self._real_statistics['logits'] = metrics.gaussian_statistics(
          self._real_logits)
    self._real_radii = {
        k: metrics.nearest_neighbour_radii(real_features, k)
        for k in (metrics.PRECISION_RECALL_K, metrics.DENSITY_COVERAGE_K)}
    self.reference = self.score_features(held_logits, held_features)

  def score(self, images_uint8: np.ndarray) -> Dict[str, object]:
    """Every metric of `images_uint8` (n images) against the real set."""
    if images_uint8.shape[0] != self.num_samples:
      raise ValueError(f'Expected {self.num_samples} images to score, got '
                       f'{images_uint8.shape[0]}.')
    return self.score_features(*self.evaluator.features(images_uint8))

  def score_features(self, logits: Optional[np.ndarray],
                     features: np.ndarray) -> Dict[str, object]:
    scored = metrics.Scored(logits, features, self._real_statistics,
                            self.real_features, self._real_radii,
                            self.real_class_histogram, self.seed)
    out = {}
    for metric in metrics.metrics_of(self.space):
      out.update(metric(scored))
    return out


def feature_space(config: ml_collections.ConfigDict, train: data.Dataset,
                  num_classes: int) -> str:
  """eval.features resolved against the data (`num_classes`: its spec's):
  'classifier' only where the images have real labels of two classes or
  more."""
  requested = config.eval.features
  why_not = None
  if not num_classes:
    why_not = f'data.name={config.data.name!r} has no class labels'
  elif not train.labelled:
    why_not = f'{train.description} has no labels'
  elif np.unique(train.labels).size < 2:
    why_not = (f'all {train.labels.size} labels of {train.description} are '
               f'class {int(train.labels[0])}')
  if why_not and requested == 'classifier':
    raise ConfigError(
        f'eval.features=classifier trains a classifier on the class labels, '
        f'but {why_not}: it would measure nothing. Use eval.features=inception '
        f'(or auto, which picks it) for label-free metrics.')
  if requested != 'auto':
    return requested
  if why_not:
    logging.info('Measuring in the Inception feature space: %s.', why_not)
    return 'inception'
  return 'classifier'


def best_metric(config: ml_collections.ConfigDict, space: str) -> str:
  """eval.best_metric in `space` ('auto': its Frechet distance)."""
  name = config.eval.best_metric
  if name == 'auto':
    return 'fid' if space == 'inception' else 'frechet_distance_features'
  if name not in metrics.names_of(space):
    raise ConfigError(
        f'eval.best_metric={name!r} is not measured in the {space} feature '
        f'space; valid choices: auto, '
        f'{", ".join(sorted(metrics.names_of(space)))}.')
  return name


def from_config(config: ml_collections.ConfigDict, num_samples: int,
                seed: int = 0, spec: Optional[data.DatasetSpec] = None
                ) -> Tuple[SampleQuality, Optional[Splits]]:
  """The evaluator of the data's feature space (shipped, cached, or trained
  now; or the Inception network) and a SampleQuality over its real images;
  over eval.reference's features where set, without loading the data (the
  splits are then None). `spec`: the run's dataset spec where the caller
  resolved it already."""
  if config.eval.reference:
    if config.eval.features == 'classifier':
      raise ConfigError('eval.reference holds Inception features, but '
                        'eval.features=classifier; set it to inception or '
                        'auto.')
    return SampleQuality(InceptionEvaluator(config.eval.inception_weights),
                         None, num_samples, seed, config.eval.reference), None
  splits = load_splits(config)
  num_classes = (spec or data.dataset_spec(config.data)).num_classes
  space = feature_space(config, splits.train, num_classes)
  if space == 'inception':
    evaluator = InceptionEvaluator(config.eval.inception_weights)
  else:
    name = shipped.name_for(config)
    if name:
      evaluator = shipped.load(name, config.data.name)
    else:
      evaluator = classifier.load_or_train(
          splits.train, splits.test, splits.test_origin, num_classes,
          config.eval.evaluator, config.eval.evaluator_dir)
  return SampleQuality(evaluator, splits, num_samples, seed), splits


def check_config(config: ml_collections.ConfigDict) -> None:
  """The eval.* fields, against the data's name (its labels are checked
  when the data is loaded: feature_space)."""
  features = checks.choice(config, 'eval.features', FEATURE_CHOICES)
  if features == 'classifier' and not data.dataset_spec(
      config.data).num_classes:
    raise ConfigError(
        f'eval.features=classifier trains a classifier on class labels, but '
        f'data.name={config.data.name!r} has none; use eval.features=auto or '
        f'inception.')
  checks.integer(config, 'eval.num_samples', MIN_SAMPLES)
  checks.choice(config, 'eval.best_metric',
                ('auto',) + tuple(metrics.HIGHER_IS_BETTER))
  checks.path_string(config, 'eval.inception_weights')
  checks.path_string(config, 'eval.reference')
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
