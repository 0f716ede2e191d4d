"""Linear (MLP) GAN of Kapoor & Orozco: G's hidden layers grow,
D's shrink, both on flattened images; dropout after every hidden layer.

  mlp_g: z -> Dense(h1) -> ... -> Dense(H*W*C) -> tanh -> image
  mlp_d: image -> flatten -> Dense(h1) -> ... -> Dense(1) logit
Layer sizes are `model.mlp.g_hidden` / `model.mlp.d_hidden`.
"""

import math
from typing import Sequence, Tuple

import flax.linen as nn
import jax.numpy as jnp

from jaxgan.core import checks
from jaxgan.models import layers, registry
from jaxgan.models.registry import discriminators, generators


def _dense_stack(x, hidden, activation, dropout, train, opts):
  act = opts.activation(activation)
  for size in hidden:
    x = act(layers.Dense(size, kernel_init=opts.init(),
                         compute_dtype=opts.compute_dtype)(x))
    if dropout > 0:
      x = layers.Dropout(dropout, deterministic=not train)(x)
  return x


class MLPGenerator(nn.Module):
  image_shape: Tuple[int, int, int]
  hidden: Sequence[int]
  activation: str = 'relu'
  dropout: float = 0.0
  options: layers.LayerOptions = layers.LayerOptions()

  @nn.compact
  def __call__(self, z, labels=None, *, train: bool):
    x = _dense_stack(z, self.hidden, self.activation, self.dropout, train,
                     self.options)
    x = layers.Dense(math.prod(self.image_shape),
                     kernel_init=self.options.init(),
                     compute_dtype=self.options.compute_dtype)(x)
    return jnp.tanh(x).reshape((z.shape[0],) + tuple(self.image_shape))


class MLPDiscriminator(nn.Module):
  hidden: Sequence[int]
  activation: str = 'leaky_relu'
  dropout: float = 0.0
  options: layers.LayerOptions = layers.LayerOptions()

  @nn.compact
  def __call__(self, x, labels=None, *, train: bool):
    x = _dense_stack(x.reshape(x.shape[0], -1), self.hidden, self.activation,
                     self.dropout, train, self.options)
    return layers.Dense(1, kernel_init=self.options.init(),
                        compute_dtype=self.options.compute_dtype)(x)[:, 0]


@generators.register('mlp_g')
def _mlp_g(cfg, image_shape):
  return MLPGenerator(image_shape, tuple(cfg.mlp.g_hidden), cfg.g_activation,
                      cfg.g_dropout, layers.LayerOptions.from_config(cfg))


@discriminators.register('mlp_d')
def _mlp_d(cfg, image_shape):
  del image_shape
  return MLPDiscriminator(tuple(cfg.mlp.d_hidden), 'leaky_relu',
                          cfg.d_dropout, layers.LayerOptions.from_config(cfg))


@registry.checks_options
def _check_options(config) -> None:
  for net in ('g', 'd'):
    checks.layer_sizes(config, f'model.mlp.{net}_hidden')
