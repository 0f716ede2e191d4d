"""DCGAN of seed 000 (Sun & Yang): the Keras/TF-tutorial generator and
discriminator, for 28x28x1 (MNIST) and 32x32x3 (SVHN) images.
"""

from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

from jaxgan.models import layers
from jaxgan.models.registry import discriminators, generators


class DCGANGenerator(nn.Module):
  """Dense projection to (base, base, 256), then 5x5 transposed convs.

  Layers followed by BatchNorm have no bias (BN's shift replaces it), as in
  the TF tutorial the seed follows; so does the tanh output layer there.
  """
  base_size: int = 7
  out_channels: int = 1
  features: Sequence[int] = (256, 128, 64)
  strides: Sequence[int] = (1, 2, 2)
  kernel_size: int = 5
  leaky_relu_slope: float = 0.3
  kernel_init: str = 'glorot_uniform'
  bn_epsilon: float = 1e-3
  bn_momentum: float = 0.99
  conv_impl: str = 'auto'

  @nn.compact
  def __call__(self, z: jnp.ndarray, train: bool) -> jnp.ndarray:
    init = layers.kernel_init(self.kernel_init)
    act = layers.leaky_relu(self.leaky_relu_slope)
    norm = lambda: nn.BatchNorm(use_running_average=not train,
                                epsilon=self.bn_epsilon,
                                momentum=self.bn_momentum)
    x = nn.Dense(self.base_size * self.base_size * self.features[0],
                 use_bias=False, kernel_init=init)(z)
    x = act(norm()(x))
    x = x.reshape(z.shape[0], self.base_size, self.base_size, self.features[0])
    out_features = tuple(self.features[1:]) + (self.out_channels,)
    for i, (f, s) in enumerate(zip(out_features, self.strides)):
      x = layers.ConvTranspose(f, (self.kernel_size, self.kernel_size),
                               strides=(s, s), padding='SAME', use_bias=False,
                               kernel_init=init,
                               implementation=self.conv_impl)(x)
      if i < len(out_features) - 1:
        x = act(norm()(x))
    return jnp.tanh(x)


class DCGANDiscriminator(nn.Module):
  """Strided 5x5 convs with LeakyReLU and dropout, then Dense(1) -> logit."""
  features: Sequence[int] = (64, 128, 256)
  kernel_size: int = 5
  leaky_relu_slope: float = 0.3
  dropout: float = 0.3
  kernel_init: str = 'glorot_uniform'
  conv_impl: str = 'auto'

  @nn.compact
  def __call__(self, x: jnp.ndarray, train: bool) -> jnp.ndarray:
    init = layers.kernel_init(self.kernel_init)
    act = layers.leaky_relu(self.leaky_relu_slope)
    for f in self.features:
      x = layers.Conv(f, (self.kernel_size, self.kernel_size), strides=(2, 2),
                      padding='SAME', kernel_init=init,
                      implementation=self.conv_impl)(x)
      x = act(x)
      if self.dropout > 0:
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
    x = x.reshape(x.shape[0], -1)
    return nn.Dense(1, kernel_init=init)(x)[:, 0]


def _generator(base_size: int, out_channels: int):
  def build(cfg) -> DCGANGenerator:
    return DCGANGenerator(base_size=base_size, out_channels=out_channels,
                          leaky_relu_slope=cfg.leaky_relu_slope,
                          kernel_init=cfg.kernel_init,
                          bn_epsilon=cfg.bn_epsilon,
                          bn_momentum=cfg.bn_momentum,
                          conv_impl=cfg.conv_impl)
  return build


# Seed 000 section 2.1.1: 7x7x256 -> 28x28x1.
generators.register('dcgan_mnist_g')(_generator(7, 1))
# Seed 000 section 3.1.1: 8x8x256 -> 32x32x3.
generators.register('dcgan_svhn_g')(_generator(8, 3))


@discriminators.register('dcgan_d')
def _discriminator(cfg) -> DCGANDiscriminator:
  # Seed 000 sections 2.1.2 / 3.1.2: the same net for 28x28x1 and 32x32x3.
  return DCGANDiscriminator(leaky_relu_slope=cfg.leaky_relu_slope,
                            dropout=cfg.d_dropout,
                            kernel_init=cfg.kernel_init,
                            conv_impl=cfg.conv_impl)

