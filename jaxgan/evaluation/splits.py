"""Real images for evaluation: the training split and a held-out split.

The held-out split is the dataset's test split where the source has one; the
bundled MNIST subset (train only) and npz data without test.npz hold out a
fixed, class-stratified part of the training images instead, and the
evaluator and the real-vs-real reference then train and draw from the rest.
"""

import dataclasses

from absl import logging
import ml_collections
import numpy as np

from jaxgan.core.errors import DatasetNotFoundError
from jaxgan.datasets import data


@dataclasses.dataclass(frozen=True)
class Splits:
  train: data.Dataset
  test: data.Dataset
  # 'test split' or 'held out N of the training images'.
  test_origin: str


def stratified_holdout(dataset: data.Dataset, fraction: float,
                       seed: int = 0) -> Splits:
  """Holds out `fraction` of each class (at least one image per class; of
  the whole set where it has no labels)."""
  rng = np.random.default_rng(seed)
  total = dataset.images.shape[0]
  labels = dataset.labels if dataset.labelled else np.zeros(total, np.int32)
  held = []
  for label in np.unique(labels):
    members = np.flatnonzero(labels == label)
    count = max(1, int(round(fraction * members.size)))
    held.append(rng.choice(members, count, replace=False))
  held = np.sort(np.concatenate(held))
  keep = np.setdiff1d(np.arange(total), held)

  def part(indices, what):
    return dataclasses.replace(
        dataset, images=dataset.images[indices],
        labels=dataset.labels[indices] if dataset.labelled else None,
        description=f'{dataset.description}, {what}')

  origin = (f'held out {held.size} of the {total} training images '
            f'(stratified, seed {seed})')
  return Splits(part(keep, f'{keep.size} kept for training'),
                part(held, f'{held.size} held out'), origin)


def load_splits(config: ml_collections.ConfigDict) -> Splits:
  """The training data of `config` and its held-out counterpart."""
  cfg = config.data
  options = data.ImageOptions.from_config(cfg)
  train = data.load(cfg.name, cfg.source, cfg.data_dir, cfg.allow_download,
                    split='train', options=options)
  if train.source != 'bundled':
    try:
      test = data.load(cfg.name, train.source, cfg.data_dir, False,
                       split='test', options=options)
      return Splits(train, test, 'test split')
    except DatasetNotFoundError as e:
      logging.warning('No test split (%s); holding out part of the training '
                      'images instead.', e)
  return stratified_holdout(train, config.eval.holdout_fraction)
