"""The evaluator: a small CNN classifier trained per dataset.

Inception weights cannot be downloaded everywhere and fit 28x28 digits
poorly, so, as TF-GAN's MNIST metrics do with an MNIST classifier, the
features behind every metric come from a classifier trained on the dataset
itself: its logits and its penultimate layer. A trained evaluator is cached
on disk under a key made of the dataset's contents and the evaluator's
config, with its test accuracy beside it, and reused by every run. MNIST's
and Fashion-MNIST's ship trained (shipped.py).
"""

import dataclasses
import functools
import hashlib
import json
import os
import shutil
import tempfile
import time
from typing import Any, ClassVar, Dict, Tuple

from absl import logging
import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from jaxgan.datasets import batches, data, images
from jaxgan.evaluation import batching
from jaxgan.models import layers, precision

# Bump when EvaluatorCNN or its training changes: cached evaluators of an
# older version are then retrained, never silently reused.
EVALUATOR_VERSION = 1
# Training steps per jitted call (and per progress line).
TRAIN_CHUNK = 250


class EvaluatorCNN(nn.Module):
  """conv32 - conv32/2 - conv64 - conv64/2 (3x3, ReLU) - dense 128 - logits.

  Returns (logits, penultimate features). Stride-1 and strided 3x3 convs
  through jaxgan's conv layers, so it trains fast on CPU too.
  """
  num_classes: int
  dropout: float = 0.3
  conv_impl: str = 'auto'

  @nn.compact
  def __call__(self, x: jnp.ndarray, *, train: bool
               ) -> Tuple[jnp.ndarray, jnp.ndarray]:
    for features, stride in ((32, 1), (32, 2), (64, 1), (64, 2)):
      x = layers.Conv(features, (3, 3), strides=(stride, stride),
                      implementation=self.conv_impl)(x)
      x = nn.relu(x)
    x = x.reshape((x.shape[0], -1))
    features = nn.relu(nn.Dense(128, precision=precision.FLOAT32)(x))
    x = nn.Dropout(self.dropout, deterministic=not train)(features)
    return nn.Dense(self.num_classes, precision=precision.FLOAT32)(x), features


@dataclasses.dataclass(frozen=True)
class Evaluator:
  """A trained EvaluatorCNN, its params and what it was measured at."""
  model: EvaluatorCNN
  params: Any
  info: Dict[str, Any]  # test_accuracy, dataset, key, ...
  space: ClassVar[str] = 'classifier'  # metrics.SPACES

  @property
  def test_accuracy(self) -> float:
    return self.info['test_accuracy']

  def features(self, images_uint8: np.ndarray, batch_size: int = 500
               ) -> Tuple[np.ndarray, np.ndarray]:
    """(logits, penultimate features) of uint8 images, in batches."""
    apply = _jitted_apply(self.model)
    return batching.map_batches(lambda x: apply(self.params, x), batch_size,
                                images_uint8)

  def real_features(self, images_uint8: np.ndarray
                    ) -> Tuple[np.ndarray, np.ndarray]:
    """`features` of a real set (fast enough not to cache)."""
    return self.features(images_uint8)

  def accuracy(self, dataset: data.Dataset) -> float:
    logits, _ = self.features(dataset.images)
    return float(np.mean(np.argmax(logits, -1) == dataset.labels))


@functools.lru_cache(maxsize=None)
def _jitted_apply(model: EvaluatorCNN):
  return jax.jit(lambda params, x: model.apply(
      {'params': params}, images.to_unit_range(x), train=False))


# ------------------------------------------------------------------ training
def train_evaluator(model: EvaluatorCNN, train: data.Dataset,
                    options: ml_collections.ConfigDict) -> Any:
  """Adam with cosine decay on softmax cross-entropy for options.num_steps
  batches, drawn epoch by epoch without replacement; jitted in chunks of
  TRAIN_CHUNK steps (a lax.scan) with a progress line after each."""
  batch_size = min(options.batch_size, train.labels.size)
  tx = optax.adam(optax.cosine_decay_schedule(options.learning_rate,
                                              options.num_steps))
  init_key, loop_key, data_key = jax.random.split(
      jax.random.key(options.seed), 3)
  params = jax.jit(model.init, static_argnames='train')(
      init_key, jnp.zeros((1,) + train.images.shape[1:]), train=False)['params']
  opt_state = tx.init(params)
  dataset = jax.device_put({'images': train.images, 'labels': train.labels})

  def loss_fn(params, x, y, key):
    logits, _ = model.apply({'params': params}, x, train=True,
                            rngs={'dropout': key})
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

  def step(carry, i):
    params, opt_state = carry
    x, y = batches.real_batch(dataset, data_key, i, batch_size)
    loss, grads = jax.value_and_grad(loss_fn)(
        params, x, y, jax.random.fold_in(loop_key, i))
    updates, opt_state = tx.update(grads, opt_state, params)
    return (optax.apply_updates(params, updates), opt_state), loss

  @functools.partial(jax.jit, static_argnames='length')
  def chunk(params, opt_state, first, length):
    (params, opt_state), losses = jax.lax.scan(
        step, (params, opt_state), first + jnp.arange(length))
    return params, opt_state, losses.mean()

  done, start = 0, time.time()
  while done < options.num_steps:
    length = min(TRAIN_CHUNK, options.num_steps - done)
    params, opt_state, loss = chunk(params, opt_state, done, length)
    done += length
    logging.info('Evaluator step %d/%d (%.1f epochs): loss %.4f, %.0fs',
                 done, options.num_steps,
                 done * batch_size / train.labels.size, float(loss),
                 time.time() - start)
  return params


# ------------------------------------------------------------------- caching
def _fingerprint(dataset: data.Dataset) -> str:
  digest = hashlib.sha256()
  digest.update(np.ascontiguousarray(dataset.images).tobytes())
  digest.update(np.ascontiguousarray(dataset.labels).tobytes())
  return digest.hexdigest()


def cache_key(train: data.Dataset, test: data.Dataset,
              options: ml_collections.ConfigDict) -> str:
  """Changes with the training images, the test images and the evaluator's
  config, and nothing else (not the path the data was read from)."""
  identity = {'version': EVALUATOR_VERSION, 'dataset': train.name,
              'train': _fingerprint(train), 'test': _fingerprint(test),
              'options': options.to_dict()}
  return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()
                        ).hexdigest()[:16]


def default_cache_dir() -> str:
  return os.environ.get('JAXGAN_CACHE_DIR') or os.path.join(
      os.path.expanduser('~'), '.cache', 'jaxgan', 'evaluators')


def load_or_train(train: data.Dataset, test: data.Dataset, test_origin: str,
                  num_classes: int, options: ml_collections.ConfigDict,
                  cache_dir: str = '') -> Evaluator:
  """The cached evaluator for this data and config, trained (and cached,
  atomically) if there is none yet."""
  cache_dir = cache_dir or default_cache_dir()
  key = cache_key(train, test, options)
  directory = os.path.join(cache_dir, f'{train.name}-{train.source}-{key}')
  model = EvaluatorCNN(num_classes, dropout=options.dropout)
  params_path = os.path.join(directory, 'params.msgpack')
  info_path = os.path.join(directory, 'info.json')
  if os.path.exists(info_path) and os.path.exists(params_path):
    evaluator = load_directory(directory, model, train.images.shape[1:])
    logging.info('Evaluator: %s (test accuracy %.2f%%).', directory,
                 100 * evaluator.test_accuracy)
    return evaluator

  logging.info('Training the evaluator classifier on %d %s images (%s); '
               'cached in %s.', train.labels.size, train.name,
               train.description, directory)
  start = time.time()
  params = train_evaluator(model, train, options)
  evaluator = Evaluator(model, params, {})
  accuracy = evaluator.accuracy(test)
  info = {'test_accuracy': accuracy, 'dataset': train.name,
          'source': train.source, 'train_images': int(train.labels.size),
          'test_images': int(test.labels.size), 'test_origin': test_origin,
          'train_description': train.description,
          'test_description': test.description,
          'train_seconds': round(time.time() - start, 1), 'key': key,
          'options': options.to_dict(), 'version': EVALUATOR_VERSION,
          'name': os.path.basename(directory), 'shipped': False}
  write_directory(directory, params, info)
  logging.info('Evaluator trained in %.0fs: test accuracy %.2f%% on %s.',
               time.time() - start, 100 * accuracy, test_origin)
  return Evaluator(model, params, info)


def load_directory(directory: str, model: EvaluatorCNN,
                   image_shape: Tuple[int, ...]) -> Evaluator:
  """The evaluator saved in `directory` (params.msgpack and info.json)."""
  with open(os.path.join(directory, 'info.json')) as f:
    info = json.load(f)
  info.setdefault('name', os.path.basename(directory))
  template = jax.eval_shape(
      lambda: model.init(jax.random.key(0), jnp.zeros((1,) + image_shape),
                         train=False))['params']
  with open(os.path.join(directory, 'params.msgpack'), 'rb') as f:
    params = flax.serialization.from_bytes(template, f.read())
  return Evaluator(model, params, info)


def write_directory(directory: str, params: Any, info: Dict[str, Any]) -> None:
  """Saves an evaluator to `directory` atomically (staged beside it, then
  renamed); if another process got there first, theirs is kept."""
  parent = os.path.dirname(os.path.abspath(directory))
  os.makedirs(parent, exist_ok=True)
  staging = tempfile.mkdtemp(prefix='.staging-', dir=parent)
  os.chmod(staging, 0o755)  # mkdtemp's 0700 would hide it from other users.
  with open(os.path.join(staging, 'params.msgpack'), 'wb') as f:
    f.write(flax.serialization.to_bytes(params))
  with open(os.path.join(staging, 'info.json'), 'w') as f:
    json.dump(info, f, indent=2, sort_keys=True)
  try:
    os.replace(staging, directory)
  except OSError:
    shutil.rmtree(staging, ignore_errors=True)
