"""Class-conditional DCGAN (cdcgan_g / cdcgan_d): the DCGAN paper's protocol
(seed 001, section IX) scores class-conditional samples with a nearest-
neighbour classifier, so G must draw a digit of a given class.

G: a learnt label embedding is concatenated to z, then seed 003's DCGAN
generator. D: seed 003's strided convs, conditioned either by one-hot label
maps concatenated to the image (`concat`, as in the DCGAN authors' MNIST
code) or by a projection (`projection`, Miyato & Koyama 2018: logit =
dense(h) + <embed(y), h>).
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.errors import ConfigError
from jaxgan.models import dcgan, layers
from jaxgan.models.registry import discriminators, generators

CONDITIONINGS = ('projection', 'concat')


def _require_labels(labels, num_classes: int, who: str):
  if labels is None:
    raise ValueError(f'{who} is conditional on {num_classes} classes and '
                     f'needs labels.')


class ConditionalGenerator(nn.Module):
  backbone: nn.Module  # An unconditional generator of [z, embed(y)].
  num_classes: int
  embed_dim: int

  @nn.compact
  def __call__(self, z, labels=None, *, train: bool):
    _require_labels(labels, self.num_classes, 'The generator')
    embedding = nn.Embed(self.num_classes, self.embed_dim, name='label_embed')
    return self.backbone(
        jnp.concatenate([z, embedding(labels).astype(z.dtype)], -1),
        train=train)


class ConditionalDiscriminator(nn.Module):
  trunk: nn.Module  # Image (+ label maps) -> feature map.
  num_classes: int
  conditioning: str = 'projection'

  @nn.compact
  def __call__(self, x, labels=None, *, train: bool):
    _require_labels(labels, self.num_classes, 'The discriminator')
    if self.conditioning == 'concat':
      maps = jax.nn.one_hot(labels, self.num_classes, dtype=x.dtype)
      maps = jnp.broadcast_to(maps[:, None, None, :],
                              x.shape[:3] + (self.num_classes,))
      x = jnp.concatenate([x, maps], -1)
    h = self.trunk(x, train=train).reshape(x.shape[0], -1)
    opts = self.trunk.options
    logits = layers.Dense(1, kernel_init=opts.init(),
                          compute_dtype=opts.compute_dtype)(h)[:, 0]
    if self.conditioning == 'projection':
      embedding = nn.Embed(self.num_classes, h.shape[-1], name='label_embed')
      # The projection's sum over features accumulates in float32.
      logits = logits + jnp.sum(embedding(labels) * h.astype(jnp.float32),
                                axis=-1)
    return logits


def _num_classes(cfg) -> int:
  if cfg.num_classes < 1:
    raise ConfigError(
        f'model.num_classes={cfg.num_classes} is invalid for the conditional '
        f'models {cfg.generator!r}/{cfg.discriminator!r}: set it to the '
        f'number of classes (10 for MNIST).')
  return cfg.num_classes


@generators.register('cdcgan_g')
def _conditional_g(cfg, image_shape):
  base = dcgan.quarter_size('cdcgan_g', image_shape)
  backbone = dcgan.conv_generator(
      cfg, [dcgan.ConvSpec(64, 5, 2), dcgan.ConvSpec(image_shape[-1], 5, 2)],
      (base, base, 128))
  return ConditionalGenerator(backbone, _num_classes(cfg),
                              cfg.conditional.embed_dim)


@discriminators.register('cdcgan_d')
def _conditional_d(cfg, image_shape):
  del image_shape
  trunk = dcgan.conv_trunk(cfg, [dcgan.ConvSpec(64, 5, 2),
                                 dcgan.ConvSpec(128, 5, 2)])
  return ConditionalDiscriminator(trunk, _num_classes(cfg),
                                  cfg.conditional.d_conditioning)
