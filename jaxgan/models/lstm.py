"""LSTM GAN of Kapoor & Orozco: image rows as a sequence, LSTM
layers "capped with a fully connected linear layer".

  lstm_g: z fed at each of H steps -> LSTM layers -> Dense(W*C) per step
          -> tanh -> the H rows of the image
  lstm_d: the H rows (W*C values each) -> LSTM layers -> last step's state
          -> Dense(1) logit
Dropout between LSTM layers and before the cap. Units and layers are
`model.lstm.units` / `model.lstm.num_layers`.
"""

from typing import Tuple

import flax.linen as nn
import jax.numpy as jnp

from jaxgan.core import checks
from jaxgan.models import layers, registry
from jaxgan.models.registry import discriminators, generators


class _LSTMStack(nn.Module):
  units: int
  num_layers: int
  dropout: float
  dtype: jnp.dtype = jnp.float32  # Activations' dtype; params stay float32.

  @nn.compact
  def __call__(self, x, *, train: bool):  # (B, T, F) -> (B, T, units)
    for _ in range(self.num_layers):
      x = nn.RNN(nn.OptimizedLSTMCell(self.units, dtype=self.dtype))(x)
      if self.dropout > 0:
        x = layers.Dropout(self.dropout, deterministic=not train)(x)
    return x


class LSTMGenerator(nn.Module):
  image_shape: Tuple[int, int, int]
  stack: _LSTMStack
  options: layers.LayerOptions = layers.LayerOptions()

  @nn.compact
  def __call__(self, z, labels=None, *, train: bool):
    height, width, channels = self.image_shape
    steps = jnp.broadcast_to(z[:, None, :], (z.shape[0], height, z.shape[-1]))
    x = self.stack(steps, train=train)
    rows = layers.Dense(width * channels, kernel_init=self.options.init(),
                        compute_dtype=self.options.compute_dtype)(x)
    return jnp.tanh(rows).reshape((z.shape[0],) + tuple(self.image_shape))


class LSTMDiscriminator(nn.Module):
  stack: _LSTMStack
  options: layers.LayerOptions = layers.LayerOptions()

  @nn.compact
  def __call__(self, x, labels=None, *, train: bool):
    rows = x.reshape(x.shape[0], x.shape[1], -1)
    h = self.stack(rows, train=train)[:, -1]
    return layers.Dense(1, kernel_init=self.options.init(),
                        compute_dtype=self.options.compute_dtype)(h)[:, 0]


def _stack(cfg, dropout: float) -> _LSTMStack:
  return _LSTMStack(cfg.lstm.units, cfg.lstm.num_layers, dropout,
                    layers.LayerOptions.from_config(cfg).dtype)


@generators.register('lstm_g')
def _lstm_g(cfg, image_shape):
  return LSTMGenerator(image_shape, _stack(cfg, cfg.g_dropout),
                       layers.LayerOptions.from_config(cfg))


@discriminators.register('lstm_d')
def _lstm_d(cfg, image_shape):
  del image_shape
  return LSTMDiscriminator(_stack(cfg, cfg.d_dropout),
                           layers.LayerOptions.from_config(cfg))


@registry.checks_options
def _check_options(config) -> None:
  checks.integer(config, 'model.lstm.num_layers', 1)
  checks.integer(config, 'model.lstm.units', 1)
