"""Model registries: config name -> function(model_config) -> flax Module.

Model contract, relied on by the training loop:
  generator(z: (B, noise_dim), train: bool) -> images (B, H, W, C) in [-1, 1]
  discriminator(x: (B, H, W, C), train: bool) -> logits (B,)
Both may hold a 'batch_stats' collection and use the 'dropout' RNG.
"""

import flax.linen as nn
import ml_collections

from jaxgan.registry import Registry

generators: Registry = Registry('generator')
discriminators: Registry = Registry('discriminator')


def build_generator(model_config: ml_collections.ConfigDict) -> nn.Module:
  factory = generators.get(model_config.generator, 'model.generator')
  return factory(model_config)


def build_discriminator(model_config: ml_collections.ConfigDict) -> nn.Module:
  factory = discriminators.get(model_config.discriminator,
                               'model.discriminator')
  return factory(model_config)
