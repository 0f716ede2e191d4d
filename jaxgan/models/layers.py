"""Building blocks shared by the model families."""

import functools

import flax.linen as nn
import jax

from jaxgan.errors import ConfigError

KERNEL_INITS = {
    # Keras' default for Dense/Conv/ConvTranspose.
    'glorot_uniform': nn.initializers.glorot_uniform(),
    # DCGAN paper: "initialized from a zero-centered Normal with std 0.02".
    'normal_0.02': nn.initializers.normal(stddev=0.02),
    # Flax's default.
    'lecun_normal': nn.initializers.lecun_normal(),
}


def kernel_init(name: str) -> jax.nn.initializers.Initializer:
  if name not in KERNEL_INITS:
    raise ConfigError(f'Unknown model.kernel_init={name!r}; valid choices: '
                     f'{", ".join(sorted(KERNEL_INITS))}.')
  return KERNEL_INITS[name]


def leaky_relu(slope: float):
  return functools.partial(nn.leaky_relu, negative_slope=slope)
