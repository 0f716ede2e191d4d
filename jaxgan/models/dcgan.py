"""Deep convolutional GANs: one generator and one discriminator module whose
layer lists are set by the registry entries below, one per source:

  dcgan_mnist_g / dcgan_svhn_g / dcgan_d    Sun & Yang (Keras, TF-tutorial style)
  dcgan_mnist_code_g                        Sun & Yang's released code
  dcgan_tutorial_g / dcgan_tutorial_d       Vijaya Lakshmi & Ganaraju (the TF
                                            tutorial itself)
  dcgan_torch_g / dcgan_torch_d             Singh (PyTorch DCGAN style)
  dcgan_radford_g / dcgan_radford_d         He, 28x28
  dcgan_radford64_g / dcgan_radford64_d     He, 64x64 (its Figure 4)
  radford_dcgan_g / radford_dcgan_d         Radford et al.'s 64x64 nets at any
                                            size: one block per doubling

What the DCGAN paper's guidelines leave to the experiment (ReLU or LeakyReLU
in G, BatchNorm in D, dropout, init, BatchNorm scale and bias) comes from
`config.model`, so one architecture can run either way.
"""

import math
from typing import NamedTuple, Optional, Sequence, Tuple, Union

import flax.linen as nn
import jax.numpy as jnp

from jaxgan.core import checks
from jaxgan.core.errors import ConfigError
from jaxgan.models import layers, registry
from jaxgan.models.registry import discriminators, generators


class ConvSpec(NamedTuple):
  """One convolution: output features, square kernel, stride, and padding:
  'SAME'/'VALID', or an int p as PyTorch's Conv2d/ConvTranspose2d take it."""
  features: int
  kernel: int
  stride: int
  padding: Union[str, int] = 'SAME'


def _conv_padding(spec: ConvSpec):
  if isinstance(spec.padding, str):
    return spec.padding
  return ((spec.padding, spec.padding),) * 2


def _transpose_padding(spec: ConvSpec):
  if isinstance(spec.padding, str):
    return spec.padding
  return layers.torch_transpose_padding(spec.kernel, spec.padding)


class ConvGenerator(nn.Module):
  """z -> projection -> transposed convs (BN + activation between) -> tanh.

  project_shape: z goes through Dense -> BN -> activation and is reshaped to
  it (Keras/TF style); empty: z is a 1x1 map and the first block is a
  transposed conv from it (PyTorch style). Layers followed by BatchNorm have
  no bias: BN's shift replaces it. The last block's features are the image
  channels. project_batchnorm=False drops the projection's BN (and keeps it
  bias-free), as Sun & Yang's released code does: it builds that layer but
  never applies it.
  """
  blocks: Sequence[ConvSpec]
  project_shape: Tuple[int, ...] = ()
  activation: str = 'relu'
  batchnorm: bool = True
  project_batchnorm: bool = True
  dropout: float = 0.0
  output_bias: bool = False
  options: layers.LayerOptions = layers.LayerOptions()

  @nn.compact
  def __call__(self, z: jnp.ndarray, labels=None, *, train: bool) -> jnp.ndarray:
    opts = self.options
    act = opts.activation(self.activation)

    def norm_act(x, batchnorm=self.batchnorm):
      if batchnorm:
        x = opts.batch_norm(train)(x)
      x = act(x)
      if self.dropout > 0:
        x = layers.Dropout(self.dropout, deterministic=not train)(x)
      return x

    if self.project_shape:
      x = layers.Dense(math.prod(self.project_shape),
                       use_bias=not self.batchnorm, kernel_init=opts.init(),
                       compute_dtype=opts.compute_dtype)(z)
      x = norm_act(x, self.batchnorm and self.project_batchnorm)
      x = x.reshape((z.shape[0],) + tuple(self.project_shape))
    else:
      x = z.reshape(z.shape[0], 1, 1, z.shape[-1]).astype(opts.dtype)
    for i, spec in enumerate(self.blocks):
      last = i == len(self.blocks) - 1
      x = layers.ConvTranspose(
          spec.features, (spec.kernel, spec.kernel),
          strides=(spec.stride, spec.stride), padding=_transpose_padding(spec),
          use_bias=self.output_bias if last else not self.batchnorm,
          kernel_init=opts.init(), implementation=opts.conv_impl,
          compute_dtype=opts.compute_dtype)(x)
      if not last:
        x = norm_act(x)
    return jnp.tanh(x)


class ConvTrunk(nn.Module):
  """A discriminator's convolutions: each block conv -> [BN] -> activation ->
  [dropout], BN on every block but the first (DCGAN guideline: no BN on D's
  input layer). Returns the last feature map; sows every block's output in
  'intermediates' for feature-extraction protocols."""
  blocks: Sequence[ConvSpec]
  activation: str = 'leaky_relu'
  batchnorm: bool = True
  dropout: float = 0.0
  use_bias: bool = True
  options: layers.LayerOptions = layers.LayerOptions()

  @nn.compact
  def __call__(self, x: jnp.ndarray, *, train: bool) -> jnp.ndarray:
    opts = self.options
    act = opts.activation(self.activation)
    for i, spec in enumerate(self.blocks):
      with_bn = self.batchnorm and i > 0
      x = layers.Conv(spec.features, (spec.kernel, spec.kernel),
                      strides=(spec.stride, spec.stride),
                      padding=_conv_padding(spec),
                      use_bias=self.use_bias and not with_bn,
                      kernel_init=opts.init(),
                      implementation=opts.conv_impl,
                      compute_dtype=opts.compute_dtype)(x)
      if with_bn:
        x = opts.batch_norm(train)(x)
      x = act(x)
      if self.dropout > 0:
        x = layers.Dropout(self.dropout, deterministic=not train)(x)
      self.sow('intermediates', f'block_{i}', x)
    return x


class ConvDiscriminator(nn.Module):
  """A ConvTrunk, then a logit: Flatten -> Dense(1) (Keras/TF style), or a
  final conv to a 1x1 map (`head`, PyTorch style)."""
  trunk: ConvTrunk
  head: Optional[ConvSpec] = None

  @nn.compact
  def __call__(self, x: jnp.ndarray, labels=None, *, train: bool) -> jnp.ndarray:
    opts = self.trunk.options
    x = self.trunk(x, train=train)
    if self.head is not None:
      x = layers.Conv(1, (self.head.kernel, self.head.kernel),
                      strides=(self.head.stride, self.head.stride),
                      padding=_conv_padding(self.head),
                      use_bias=self.trunk.use_bias,
                      kernel_init=opts.init(),
                      implementation=opts.conv_impl,
                      compute_dtype=opts.compute_dtype)(x)
      if x.shape[1:] != (1, 1, 1):
        raise ConfigError(f'The discriminator head maps {x.shape[1:]} instead '
                          f'of one logit: the input image size does not fit '
                          f'this discriminator.')
      return x.reshape(x.shape[0])
    return layers.Dense(1, kernel_init=opts.init(),
                        compute_dtype=opts.compute_dtype)(
        x.reshape(x.shape[0], -1))[:, 0]


def conv_generator(cfg, blocks, project_shape=(),
                   project_batchnorm=True) -> ConvGenerator:
  """A ConvGenerator with the options of `config.model`."""
  return ConvGenerator(tuple(blocks), tuple(project_shape), cfg.g_activation,
                       batchnorm=True, project_batchnorm=project_batchnorm,
                       dropout=cfg.g_dropout,
                       options=layers.LayerOptions.from_config(cfg))


def conv_trunk(cfg, blocks, use_bias=True) -> ConvTrunk:
  """A ConvTrunk with the options of `config.model`."""
  return ConvTrunk(tuple(blocks), 'leaky_relu', cfg.d_batchnorm, cfg.d_dropout,
                   use_bias, layers.LayerOptions.from_config(cfg))


def _d(cfg, blocks, head=None, use_bias=True) -> ConvDiscriminator:
  return ConvDiscriminator(conv_trunk(cfg, blocks, use_bias), head)


# --- Sun & Yang sections 2.1 and 3.1: Dense -> 7x7x256 (SVHN:
# 8x8x256), 5x5 transposed convs 128/64/C with strides 1/2/2; D: 5x5 stride-2
# convs 64/128/256, Flatten, Dense(1). The same D for 28x28x1 and 32x32x3.
SUN_YANG_G_BLOCKS = lambda channels: (ConvSpec(128, 5, 1), ConvSpec(64, 5, 2),
                                     ConvSpec(channels, 5, 2))


@generators.register('dcgan_mnist_g')
def _dcgan_mnist_g(cfg, image_shape):
  del image_shape  # Fixed: 28x28x1.
  return conv_generator(cfg, SUN_YANG_G_BLOCKS(1), (7, 7, 256))


@generators.register('dcgan_mnist_code_g')
def _dcgan_mnist_code_g(cfg, image_shape):
  """dcgan_mnist_g as Sun & Yang's released code runs it: no BatchNorm
  after the projection (the paper's text has one)."""
  del image_shape  # Fixed: 28x28x1.
  return conv_generator(cfg, SUN_YANG_G_BLOCKS(1), (7, 7, 256),
                        project_batchnorm=False)


@generators.register('dcgan_svhn_g')
def _dcgan_svhn_g(cfg, image_shape):
  del image_shape  # Fixed: 32x32x3.
  return conv_generator(cfg, SUN_YANG_G_BLOCKS(3), (8, 8, 256))


@discriminators.register('dcgan_d')
def _dcgan_d(cfg, image_shape):
  del image_shape  # Any size: Flatten + Dense adapts.
  return _d(cfg, [ConvSpec(64, 5, 2), ConvSpec(128, 5, 2), ConvSpec(256, 5, 2)])


# --- Vijaya Lakshmi & Ganaraju: the TensorFlow DCGAN tutorial it builds on.
# G as Sun & Yang's (for the image's channels); D has two 5x5 stride-2 convs,
# 64 and 128.
@generators.register('dcgan_tutorial_g')
def _dcgan_tutorial_g(cfg, image_shape):
  base = quarter_size('dcgan_tutorial_g', image_shape)
  return conv_generator(cfg, SUN_YANG_G_BLOCKS(image_shape[-1]),
                        (base, base, 256))


# The tutorial's D is also Radford et al.'s 28x28 one (He, below).
@discriminators.register('dcgan_tutorial_d')
@discriminators.register('dcgan_radford_d')
def _two_conv_d(cfg, image_shape):
  del image_shape
  return _d(cfg, [ConvSpec(64, 5, 2), ConvSpec(128, 5, 2)])


# --- Singh: the PyTorch DCGAN for 28x28 (ConvTranspose2d(k, s, p) blocks
# from z as a 1x1 map: 1 -> 4 -> 7 -> 14 -> 28; D mirrors it and ends with a
# 4x4 conv to one logit). PyTorch layers there have no biases.
@generators.register('dcgan_torch_g')
def _dcgan_torch_g(cfg, image_shape):
  _check_size('dcgan_torch_g', image_shape, 28)
  return conv_generator(cfg, [ConvSpec(256, 4, 1, 0), ConvSpec(128, 3, 2, 1),
                             ConvSpec(64, 4, 2, 1),
                             ConvSpec(image_shape[-1], 4, 2, 1)])


@discriminators.register('dcgan_torch_d')
def _dcgan_torch_d(cfg, image_shape):
  _check_size('dcgan_torch_d', image_shape, 28)
  return _d(cfg, [ConvSpec(64, 4, 2, 1), ConvSpec(128, 4, 2, 1),
                  ConvSpec(256, 3, 2, 1)], head=ConvSpec(1, 4, 1, 0),
            use_bias=False)


# --- He: Radford et al.'s DCGAN. Project and reshape, then
# fractionally-strided (transposed, stride 2) 5x5 convs; D: strided 5x5 convs.
# 28x28: 7x7x128 -> 14x14x64 -> 28x28xC. 64x64 (Figure 4): 4x4x1024 -> 8x8x512
# -> 16x16x256 -> 32x32x128 -> 64x64xC.
@generators.register('dcgan_radford_g')
def _dcgan_radford_g(cfg, image_shape):
  _check_size('dcgan_radford_g', image_shape, 28)
  return conv_generator(cfg, [ConvSpec(64, 5, 2),
                              ConvSpec(image_shape[-1], 5, 2)], (7, 7, 128))


@generators.register('dcgan_radford64_g')
def _dcgan_radford64_g(cfg, image_shape):
  _check_size('dcgan_radford64_g', image_shape, 64)
  return conv_generator(cfg, [ConvSpec(512, 5, 2), ConvSpec(256, 5, 2),
                              ConvSpec(128, 5, 2),
                              ConvSpec(image_shape[-1], 5, 2)], (4, 4, 1024))


@discriminators.register('dcgan_radford64_d')
def _dcgan_radford64_d(cfg, image_shape):
  del image_shape
  return _d(cfg, [ConvSpec(64, 5, 2), ConvSpec(128, 5, 2), ConvSpec(256, 5, 2),
                  ConvSpec(512, 5, 2)])


# --- Radford et al.'s DCGAN at any image size: G projects z to a base map
# of side 4 to 7 and doubles it with one 5x5 stride-2 transposed conv per
# doubling, halving the features each time; D mirrors it with one 5x5
# stride-2 conv per halving, doubling them, with half G's features at each
# side. At 64x64 with model.dcgan.width=64 this is the paper's pair
# (4x4x1024 -> 8x8x512 -> 16x16x256 -> 32x32x128 -> 64x64xC; D 64/128/256/
# 512); at 32x32 it has one block fewer each, at 128x128 one more (features
# capped at 16 x width in both nets), at 28x28 a 7x7 base.
MAX_WIDTH_FACTOR = 16


def doublings(name: str, image_shape) -> Tuple[int, int]:
  """(base side, doublings) with base * 2**doublings == the image side."""
  side, count = image_shape[0], 0
  if image_shape[0] == image_shape[1]:
    while side % 2 == 0 and side > 7:
      side, count = side // 2, count + 1
  if image_shape[0] != image_shape[1] or not 4 <= side <= 7 or count < 1:
    raise ConfigError(
        f'{name} builds square images whose side is 4 to 7 times a power of '
        f'two (28, 32, 48, 64, 96, 128, ...), not {image_shape[0]}x'
        f'{image_shape[1]}; set data.image_size to such a side.')
  return side, count


def _widths(cfg, count: int):
  """Features of D's convs from the image inward (G's, read backwards)."""
  width = cfg.dcgan.width
  return [min(width * 2**i, MAX_WIDTH_FACTOR * width) for i in range(count)]


@generators.register('radford_dcgan_g')
def _radford_dcgan_g(cfg, image_shape):
  return sized_generator(cfg, 'radford_dcgan_g', image_shape)


def sized_generator(cfg, name: str, image_shape) -> ConvGenerator:
  base, count = doublings(name, image_shape)
  cap = MAX_WIDTH_FACTOR * cfg.dcgan.width
  features = [min(2 * f, cap) for f in reversed(_widths(cfg, count))]
  blocks = [ConvSpec(f, 5, 2) for f in features[1:]]
  return conv_generator(cfg, blocks + [ConvSpec(image_shape[-1], 5, 2)],
                        (base, base, features[0]))


@discriminators.register('radford_dcgan_d')
def _radford_dcgan_d(cfg, image_shape):
  return _d(cfg, sized_trunk_blocks(cfg, 'radford_dcgan_d', image_shape))


def sized_trunk_blocks(cfg, name: str, image_shape):
  _, count = doublings(name, image_shape)
  return [ConvSpec(f, 5, 2) for f in _widths(cfg, count)]


@registry.checks_options
def _check_options(config) -> None:
  checks.integer(config, 'model.dcgan.width', 1)


def quarter_size(name: str, image_shape) -> int:
  """Side of the square map that two stride-2 upsamplings grow to the image."""
  height = image_shape[0]
  if height % 4 or image_shape[0] != image_shape[1]:
    raise ConfigError(f'{name} upsamples 4x from a square base; images of '
                      f'{image_shape[0]}x{image_shape[1]} are not square with '
                      f'a side that is a multiple of 4.')
  return height // 4


def _check_size(name: str, image_shape, size: int) -> None:
  if tuple(image_shape[:2]) != (size, size):
    raise ConfigError(f'{name} is built for {size}x{size} images, but the '
                      f'dataset has {image_shape[0]}x{image_shape[1]}; choose '
                      f'a model for this image size.')
