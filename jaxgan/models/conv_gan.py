"""Convolutional GAN of Kapoor & Orozco, with or without pooling.

Not the DCGAN: a few small convolutions "capped with a fully connected
linear layer" (its Figure 1b/1c), with Table 1's 2 layers of 5 output
channels and, in the pooling variant, 2x2 max pooling with stride 1x1 between
the convolutions. Filter size and stride are its tuned hyperparameters
(`model.conv_gan`); it found stride 1 and small filters best.

  conv_gan_g: z (reshaped to a sqrt(noise_dim)^2 x 1 map) -> transposed convs
              -> flatten -> Dense(H*W*C) -> tanh -> image
  conv_gan_d: image -> convs (+ dropout) -> flatten -> Dense(1) logit
"""

import math
from typing import Tuple

import flax.linen as nn
import jax.numpy as jnp

from jaxgan.core import checks
from jaxgan.core.errors import ConfigError
from jaxgan.models import layers, registry
from jaxgan.models.registry import discriminators, generators


class _ConvStack(nn.Module):
  """`num_layers` convs (transposed for G) with activation, dropout, and max
  pooling between consecutive convs when `pool` is set."""
  features: int
  kernel: int
  stride: int
  num_layers: int
  transpose: bool
  activation: str
  dropout: float
  pool: Tuple[int, int]  # (window, stride); (0, 0) = no pooling.
  options: layers.LayerOptions

  @nn.compact
  def __call__(self, x, *, train: bool):
    opts = self.options
    conv = layers.ConvTranspose if self.transpose else layers.Conv
    act = opts.activation(self.activation)
    for i in range(self.num_layers):
      if i > 0 and self.pool[0]:
        window, stride = self.pool
        x = nn.max_pool(x, (window, window), (stride, stride), padding='SAME')
      x = conv(self.features, (self.kernel, self.kernel),
               strides=(self.stride, self.stride), padding='SAME',
               kernel_init=opts.init(), implementation=opts.conv_impl,
               compute_dtype=opts.compute_dtype)(x)
      x = act(x)
      if self.dropout > 0:
        x = layers.Dropout(self.dropout, deterministic=not train)(x)
    return x


class ConvGANGenerator(nn.Module):
  image_shape: Tuple[int, int, int]
  stack: _ConvStack

  @nn.compact
  def __call__(self, z, labels=None, *, train: bool):
    side = math.isqrt(z.shape[-1])
    x = self.stack(z.reshape(z.shape[0], side, side, 1), train=train)
    opts = self.stack.options
    x = layers.Dense(math.prod(self.image_shape), kernel_init=opts.init(),
                     compute_dtype=opts.compute_dtype)(
                         x.reshape(z.shape[0], -1))
    return jnp.tanh(x).reshape((z.shape[0],) + tuple(self.image_shape))


class ConvGANDiscriminator(nn.Module):
  stack: _ConvStack

  @nn.compact
  def __call__(self, x, labels=None, *, train: bool):
    x = self.stack(x, train=train).reshape(x.shape[0], -1)
    opts = self.stack.options
    return layers.Dense(1, kernel_init=opts.init(),
                        compute_dtype=opts.compute_dtype)(x)[:, 0]


def _stack(cfg, transpose: bool) -> _ConvStack:
  c = cfg.conv_gan
  pool = (c.pool_size, c.pool_stride) if c.pooling else (0, 0)
  return _ConvStack(c.features, c.kernel_size, c.stride, c.num_layers,
                    transpose, cfg.g_activation if transpose else 'leaky_relu',
                    cfg.g_dropout if transpose else cfg.d_dropout, pool,
                    layers.LayerOptions.from_config(cfg))


@generators.register('conv_gan_g')
def _conv_gan_g(cfg, image_shape):
  if math.isqrt(cfg.noise_dim) ** 2 != cfg.noise_dim:
    raise ConfigError(
        f'model.noise_dim={cfg.noise_dim} is invalid for conv_gan_g, which '
        f'reshapes z to a square map: use a square number, e.g. 100 (10x10).')
  return ConvGANGenerator(image_shape, _stack(cfg, transpose=True))


@discriminators.register('conv_gan_d')
def _conv_gan_d(cfg, image_shape):
  del image_shape
  return ConvGANDiscriminator(_stack(cfg, transpose=False))


@registry.checks_options
def _check_options(config) -> None:
  for field in ('num_layers', 'features', 'kernel_size', 'stride', 'pool_size',
                'pool_stride'):
    checks.integer(config, f'model.conv_gan.{field}', 1)
  checks.boolean(config, 'model.conv_gan.pooling')
