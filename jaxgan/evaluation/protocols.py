"""The DCGAN paper's evaluation protocols (Vijaya Lakshmi & Ganaraju,
sections VII and IX; He, section 1.5).

- Nearest-neighbour classification: a 1-NN classifier in pixel space fitted
  on class-conditional generated samples, scored on the real test set, next
  to the same classifier fitted on as many real training images.
- Discriminator features: each discriminator layer's output max-pooled to a
  4x4 grid, concatenated, and a regularised linear L2-SVM fitted on a few
  labelled real images.
"""

from typing import Dict, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxgan.core.errors import ConfigError
from jaxgan.datasets import images
from jaxgan.evaluation import batching, metrics
from jaxgan.step.state import GANState


# ------------------------------------------------------------ 1-NN protocol
def nearest_neighbour_error(train_images, train_labels, test_images,
                            test_labels) -> float:
  """Test error of the 1-NN classifier (Euclidean, in pixel space) fitted on
  (train_images, train_labels)."""
  flat = lambda x: np.asarray(x, np.float32).reshape(len(x), -1) / 255.0
  _, nearest = metrics.k_nearest(flat(test_images), flat(train_images), 1)
  predicted = np.asarray(train_labels)[nearest[:, 0]]
  return float(np.mean(predicted != np.asarray(test_labels)))


# --------------------------------------------- discriminator-feature protocol
def adaptive_max_pool(x: jnp.ndarray, grid: int = 4) -> jnp.ndarray:
  """(N, H, W, C) -> (N, grid, grid, C): max over cell [floor(iH/g),
  ceil((i+1)H/g)), as PyTorch's AdaptiveMaxPool2d (cells overlap when H is
  not a multiple of grid; a map smaller than the grid is repeated)."""
  _, h, w, _ = x.shape

  def bounds(size):
    return [(i * size // grid, -(-(i + 1) * size // grid))
            for i in range(grid)]

  rows = [jnp.max(x[:, a:b], axis=1) for a, b in bounds(h)]
  x = jnp.stack(rows, axis=1)
  cols = [jnp.max(x[:, :, a:b], axis=2) for a, b in bounds(w)]
  return jnp.stack(cols, axis=2)


def _feature_maps(variables) -> list:
  return [m for m in jax.tree.leaves(variables.get('intermediates', {}))
          if m.ndim == 4]


def has_feature_maps(d_model: nn.Module, image_shape) -> bool:
  """Whether the discriminator sows conv feature maps (shape inference
  only)."""
  x = jax.ShapeDtypeStruct((1,) + tuple(image_shape), jnp.float32)
  y = jax.ShapeDtypeStruct((1,), jnp.int32)

  def sown(x, y):
    variables = d_model.init(jax.random.key(0), x, y, train=False,
                             mutable=True)  # init leaves out sown values.
    return variables.get('intermediates', {})

  return bool(_feature_maps({'intermediates': jax.eval_shape(sown, x, y)}))


def discriminator_features(d_model: nn.Module, state: GANState,
                           images_uint8: np.ndarray, labels=None,
                           batch_size: int = 250) -> np.ndarray:
  """Every feature map the discriminator sows in 'intermediates' (each conv
  block's output), max-pooled to 4x4, flattened and concatenated."""

  @jax.jit
  def features(variables, x, y):
    _, variables = d_model.apply(variables, images.to_unit_range(x), y,
                                 train=False, mutable=['intermediates'])
    maps = _feature_maps(variables)
    if not maps:
      raise ConfigError(
          f'{type(d_model).__name__} sows no feature maps; the '
          f'discriminator-feature protocol needs a convolutional '
          f'discriminator (the dcgan_* and cdcgan_d models).')
    return jnp.concatenate([adaptive_max_pool(m).reshape(m.shape[0], -1)
                            for m in maps], axis=1).astype(jnp.float32)

  variables = {'params': state.d_params, 'batch_stats': state.d_batch_stats}
  if labels is None:
    return batching.map_batches(lambda x: features(variables, x, None),
                                batch_size, images_uint8)
  return batching.map_batches(lambda x, y: features(variables, x, y),
                              batch_size, images_uint8,
                              np.asarray(labels, np.int32))


def balanced_subset(labels: np.ndarray, count: int, seed: int,
                    exclude: Sequence[int] = ()) -> np.ndarray:
  """`count` indices spread uniformly over the classes (as the paper's
  "1000 uniformly class distributed training examples"), avoiding
  `exclude`."""
  rng = np.random.default_rng(seed)
  classes = np.unique(labels)
  available = np.setdiff1d(np.arange(labels.size), np.asarray(exclude, int))
  chosen = []
  for i, label in enumerate(classes):
    members = available[labels[available] == label]
    want = count // classes.size + (i < count % classes.size)
    if members.size < want:
      raise ConfigError(
          f'Class {label} has {members.size} images here, fewer than the '
          f'{want} a class-balanced set of {count} needs; ask for fewer '
          f'(--svm_labels={members.size * classes.size // 2} fits) or leave '
          f'the protocol out (--protocols=none).')
    chosen.append(rng.choice(members, want, replace=False))
  return np.sort(np.concatenate(chosen))


# C grid for standardised features of a few thousand dimensions. Larger C
# gave the same validation error on MNIST D features (6.0% at 1e-2 to 1, vs
# 6.1% at 1e-3) while liblinear's time grew from 16 s to 56 s per fit.
SVM_REGULARISATION = (1e-5, 1e-4, 1e-3)


def linear_svm_error(train_features, train_labels, val_features, val_labels,
                     test_features, test_labels) -> Dict[str, float]:
  """A linear L2-SVM (squared hinge, L2 penalty: scikit-learn's LinearSVC) on
  standardised features; its C chosen on the validation set, then its test
  error reported (ties go to the larger C: with the intercept penalised
  too, a tiny C underfits even separable data)."""
  from sklearn.preprocessing import StandardScaler  # pylint: disable=g-import-not-at-top
  from sklearn.svm import LinearSVC  # pylint: disable=g-import-not-at-top
  scaler = StandardScaler().fit(train_features)
  xtr, xval, xte = (scaler.transform(x) for x in
                    (train_features, val_features, test_features))
  best = None
  for c in sorted(SVM_REGULARISATION, reverse=True):
    svm = LinearSVC(C=c, loss='squared_hinge', penalty='l2', max_iter=5000)
    svm.fit(xtr, train_labels)
    val_error = float(np.mean(svm.predict(xval) != val_labels))
    if best is None or val_error < best[0]:
      best = (val_error, c, svm)
  val_error, c, svm = best
  return {'svm_test_error': float(np.mean(svm.predict(xte) != test_labels)),
          'svm_validation_error': val_error, 'svm_C': c}
