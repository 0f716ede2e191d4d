"""Model registries: config name -> function(model_config, image_shape) -> Module.

Model contract, relied on by the training loop:
  generator(z: (B, noise_dim), labels: (B,) int | None, *, train: bool)
      -> images (B, H, W, C) in [-1, 1]
  discriminator(x: (B, H, W, C), labels: (B,) int | None, *, train: bool)
      -> logits (B,)
Unconditional models ignore `labels`; conditional ones have a `num_classes`
field > 0 and need them. Both may hold a 'batch_stats' collection and use the
'dropout' RNG. `image_shape` is the dataset's (H, W, C): models that adapt to
it read it, fixed ones ignore it (the loop checks the generator's shape).
"""

from typing import Tuple

import flax.linen as nn
import ml_collections

from jaxgan.registry import Registry

generators: Registry = Registry('generator')
discriminators: Registry = Registry('discriminator')


def _with_own_compute_dtype(model_config: ml_collections.ConfigDict,
                            net: str) -> ml_collections.ConfigDict:
  """model_config as network `net` ('g' | 'd') sees it: its
  model.{net}_compute_dtype, unless that inherits model.compute_dtype."""
  own = model_config.get(f'{net}_compute_dtype', 'inherit')
  if own == 'inherit':
    return model_config
  resolved = model_config.copy_and_resolve_references()
  resolved.compute_dtype = own
  return resolved


def build_generator(model_config: ml_collections.ConfigDict,
                    image_shape: Tuple[int, int, int]) -> nn.Module:
  factory = generators.get(model_config.generator, 'model.generator')
  return factory(_with_own_compute_dtype(model_config, 'g'),
                 tuple(image_shape))


def build_discriminator(model_config: ml_collections.ConfigDict,
                        image_shape: Tuple[int, int, int]) -> nn.Module:
  factory = discriminators.get(model_config.discriminator,
                               'model.discriminator')
  return factory(_with_own_compute_dtype(model_config, 'd'),
                 tuple(image_shape))


def num_classes(model: nn.Module) -> int:
  """Classes a model is conditioned on; 0 for an unconditional model."""
  return getattr(model, 'num_classes', 0)
