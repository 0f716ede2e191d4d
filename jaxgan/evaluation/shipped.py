"""The evaluators that ship inside jaxgan, so that figures compare anywhere.

An evaluator trained on the user's machine depends on the user's data, its
split and the backend, so its FD of 20 and the docs' need not be the same
distance. The MNIST and Fashion-MNIST evaluators ship as fixed weights
(jaxgan/evaluation/shipped/NAME/), each with info.json recording its
version, the data it was trained on and its test accuracy; they are the
default for those datasets (eval.evaluator_source=auto); an older version
stays shipped, and eval.evaluator_source=NAME picks it, so that figures
published with it can still be rerun. Other datasets train their own
(cached; see classifier.py).

Rebuilding one (maintainers; a new version takes a new name):

  python -m jaxgan.evaluation.shipped --config=configs/dcgan_mnist.py \
      --config.data.source=idx --config.data.data_dir=DIR --name=mnist-v3
"""

import os
from typing import Optional, Tuple

from absl import app
from absl import flags
from absl import logging
import ml_collections
from ml_collections import config_flags

from jaxgan.core import files
from jaxgan.datasets import data
from jaxgan.evaluation import classifier, splits as splits_lib

SHIPPED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           'shipped')
# data.name -> the evaluator shipped for it by default (the newest).
SHIPPED = {'mnist': 'mnist-v2', 'fashion_mnist': 'fashion_mnist-v1'}
# eval.evaluator_source: shipped where one ships, else train | always the
# shipped one | always train one's own | or a shipped evaluator's name.
SOURCES = ('auto', 'shipped', 'train')


def available() -> Tuple[str, ...]:
  """Every shipped evaluator's name, older versions included."""
  return tuple(sorted(n for n in os.listdir(SHIPPED_DIR)
                      if os.path.isfile(os.path.join(SHIPPED_DIR, n,
                                                     'info.json'))))


def dataset_of(name: str) -> str:
  """The data.name a shipped evaluator classifies."""
  return files.read_json(os.path.join(SHIPPED_DIR, name, 'info.json'))[
      'dataset']


def name_for(config: ml_collections.ConfigDict) -> Optional[str]:
  """The shipped evaluator this config evaluates with, or None to train."""
  source = config.eval.evaluator_source
  if source == 'train':
    return None
  if source in SOURCES:
    return SHIPPED.get(config.data.name)
  return source


def load(name: str, dataset_name: str) -> classifier.Evaluator:
  spec = data.known_spec(dataset_name)
  evaluator = classifier.load_directory(
      os.path.join(SHIPPED_DIR, name), classifier.EvaluatorCNN(
          spec.num_classes), spec.image_shape)
  logging.info('Evaluator: %s, shipped with jaxgan (trained on %s; test '
               'accuracy %.2f%% on %d images, %s).', name,
               evaluator.info['train_description'],
               100 * evaluator.test_accuracy, evaluator.info['test_images'],
               evaluator.info['test_origin'])
  return evaluator


def ship(config: ml_collections.ConfigDict, name: str) -> str:
  """Trains the evaluator of `config`'s data (or takes it from the cache)
  and writes it to SHIPPED_DIR/name; returns that directory."""
  splits = splits_lib.load_splits(config)
  evaluator = classifier.load_or_train(
      splits.train, splits.test, splits.test_origin,
      data.dataset_spec(config.data).num_classes, config.eval.evaluator,
      config.eval.evaluator_dir)
  directory = os.path.join(SHIPPED_DIR, name)
  if os.path.exists(directory):
    raise FileExistsError(f'{directory} exists: a new evaluator takes a new '
                          f'name (a version), so that old figures stay true.')
  classifier.write_directory(directory, evaluator.params,
                             {**evaluator.info, 'name': name, 'shipped': True})
  return directory


if __name__ == '__main__':
  _CONFIG = config_flags.DEFINE_config_file('config')
  _NAME = flags.DEFINE_string('name', None, 'e.g. mnist-v2', required=True)
  app.run(lambda _: print(ship(_CONFIG.value, _NAME.value)))
