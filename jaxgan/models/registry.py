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

from typing import Callable, List, Tuple

import flax.linen as nn
import ml_collections

from jaxgan.core import checks
from jaxgan.core.errors import ConfigError
from jaxgan.core.registry import Registry
from jaxgan.datasets import data

generators: Registry = Registry('generator')
discriminators: Registry = Registry('discriminator')
# Checks of the model.* options a module reads (a family's own section, the
# layer options), registered beside them with `checks_options`.
option_checks: List[Callable[[ml_collections.ConfigDict], None]] = []
# The models built for [0, 1] pixels (model.unit_pixels=True), by role,
# registered beside them.
unit_pixel_models = {'generator': [], 'discriminator': []}


def checks_options(check):
  """Registers a function that checks some model.* options of a config."""
  option_checks.append(check)
  return check


def check_config(config: ml_collections.ConfigDict) -> None:
  """The model.* fields: the models chosen, what they share, and every
  registered family's and layer's options."""
  checks.choice(config, 'model.generator', generators.names())
  checks.choice(config, 'model.discriminator', discriminators.names())
  checks.integer(config, 'model.noise_dim', 1)
  num_classes = checks.integer(config, 'model.num_classes', 0)
  spec = data.dataset_spec(config.data)  # class_names None: not yet known.
  if spec.class_names is not None and num_classes > spec.num_classes:
    if not spec.num_classes:
      raise ConfigError(
          f'model.num_classes={num_classes} (a conditional model), but '
          f'data.name={config.data.name!r} has no labels; train an '
          f'unconditional model (model.num_classes=0), or give the data '
          f'labels (a folder: one subfolder per class).')
    raise ConfigError(
        f'model.num_classes={num_classes} is invalid for data.name='
        f'{config.data.name!r}, which has {spec.num_classes} classes; set '
        f'model.num_classes={spec.num_classes}.')
  if checks.boolean(config, 'model.unit_pixels'):
    for field, names in unit_pixel_models.items():
      if config.model[field] not in names:
        raise ConfigError(
            f'model.unit_pixels=True is only built into {" and ".join(names)}; '
            f'model.{field}={config.model[field]!r} works on [-1, 1] pixels: '
            f'set model.unit_pixels=False or model.{field}={names[0]!r}.')
  for check in option_checks:
    check(config)


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
