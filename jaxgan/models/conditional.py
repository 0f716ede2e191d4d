"""Class-conditional DCGAN (cdcgan_g / cdcgan_d): the DCGAN paper's protocol
(Vijaya Lakshmi & Ganaraju, section IX) scores class-conditional samples with a
nearest-neighbour classifier, so G must draw a digit of a given class.

G: a learnt label embedding is concatenated to z, then He's DCGAN
generator. D: He's strided convs, conditioned either by one-hot label
maps concatenated to the image (`concat`, as in the DCGAN authors' MNIST
code) or by a projection (`projection`, Miyato & Koyama 2018: logit =
dense(h) + <embed(y), h>).

cdcgan_radford_g / cdcgan_radford_d: the model of the DCGAN authors' own
conditional MNIST code (and of He's replication, which ports it), where the
one-hot label is concatenated to the input of every layer of both nets and
each net has a 1024-unit dense layer; no biases anywhere. With
`unit_pixels` both nets work on pixels in [0, 1], as that code does (G ends
in a sigmoid, D reads x / 255): G returns the [-1, 1] image of its sigmoid
and D maps its input back to [0, 1] first, so data, samples and evaluation
keep jaxgan's [-1, 1] while the nets compute exactly what the authors' do.

cdcgan_he_d: that D as He's TensorFlow port (yihui-he/GAN-MNIST) ran it,
for his nearest-neighbour figure: the logit is batch-normalised and passed
through a LeakyReLU, and his cross-entropy clips it to [1e-7, 1 - 1e-7]
before the sigmoid, so D's probability stays in [0.5, 0.73] and, as real and
fake batches are normalised apart, only ranks samples within a batch. Not the
authors' D (theirs ends in a plain dense logit); kept to test whether it is
what his figure rests on.
"""

import math
from typing import Tuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.core import checks
from jaxgan.core.errors import ConfigError
from jaxgan.models import dcgan, layers, registry
from jaxgan.models.registry import discriminators, generators

CONDITIONINGS = ('projection', 'concat')


def _require_labels(labels, num_classes: int, who: str):
  if labels is None:
    raise ValueError(f'{who} is conditional on {num_classes} classes and '
                     f'needs labels.')


def _with_label(x, one_hot):
  """x with the one-hot label appended to its features: as a vector, or as
  constant maps for an image-shaped x."""
  one_hot = one_hot.astype(x.dtype)
  if x.ndim == 4:
    one_hot = jnp.broadcast_to(one_hot[:, None, None, :],
                               x.shape[:3] + one_hot.shape[-1:])
  return jnp.concatenate([x, one_hot], -1)


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
      x = _with_label(x, jax.nn.one_hot(labels, self.num_classes))
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


class LabelEverywhereGenerator(nn.Module):
  """[z, y] -> Dense(dense_units) -> [., y] -> Dense to base_shape -> [., y]
  -> transposed 5x5 stride-2 convs (each input with y maps) -> tanh; BN and
  the activation after every layer but the last."""
  num_classes: int
  image_channels: int
  dense_units: int = 1024
  base_shape: Tuple[int, int, int] = (7, 7, 128)
  conv_features: Tuple[int, ...] = (64,)
  activation: str = 'relu'
  unit_pixels: bool = False  # Sigmoid output (module docstring).
  options: layers.LayerOptions = layers.LayerOptions()

  @nn.compact
  def __call__(self, z, labels=None, *, train: bool):
    _require_labels(labels, self.num_classes, 'The generator')
    opts = self.options
    y = jax.nn.one_hot(labels, self.num_classes)
    act = opts.activation(self.activation)

    def dense(x, units):
      x = layers.Dense(units, use_bias=False, kernel_init=opts.init(),
                       compute_dtype=opts.compute_dtype)(_with_label(x, y))
      return act(opts.batch_norm(train)(x))

    x = dense(dense(z.astype(opts.dtype), self.dense_units),
              math.prod(self.base_shape))
    x = x.reshape((z.shape[0],) + tuple(self.base_shape))
    features = tuple(self.conv_features) + (self.image_channels,)
    for i, f in enumerate(features):
      x = layers.ConvTranspose(f, (5, 5), strides=(2, 2), padding='SAME',
                               use_bias=False, kernel_init=opts.init(),
                               implementation=opts.conv_impl,
                               compute_dtype=opts.compute_dtype)(
          _with_label(x, y))
      if i < len(features) - 1:
        x = act(opts.batch_norm(train)(x))
    if self.unit_pixels:
      return 2.0 * jax.nn.sigmoid(x) - 1.0
    return jnp.tanh(x)


class LabelEverywhereDiscriminator(nn.Module):
  """[x, y maps] -> strided 5x5 convs (each input with y maps; BN from the
  second) -> flatten, [., y] -> Dense(dense_units) + BN -> [., y] -> logit.
  LeakyReLU after every layer but the last; conv outputs are sown in
  'intermediates' for the discriminator-feature protocol."""
  num_classes: int
  conv_features: Tuple[int, ...] = (64, 128)
  dense_units: int = 1024
  batchnorm: bool = True
  unit_pixels: bool = False  # Reads pixels in [0, 1] (module docstring).
  port_logit: bool = False  # He's port's logit (module docstring).
  options: layers.LayerOptions = layers.LayerOptions()

  @nn.compact
  def __call__(self, x, labels=None, *, train: bool):
    _require_labels(labels, self.num_classes, 'The discriminator')
    opts = self.options
    y = jax.nn.one_hot(labels, self.num_classes)
    act = opts.activation('leaky_relu')
    if self.unit_pixels:
      x = (x + 1.0) / 2.0
    x = x.astype(opts.dtype)
    for i, f in enumerate(self.conv_features):
      x = layers.Conv(f, (5, 5), strides=(2, 2), padding='SAME',
                      use_bias=False, kernel_init=opts.init(),
                      implementation=opts.conv_impl,
                      compute_dtype=opts.compute_dtype)(_with_label(x, y))
      if self.batchnorm and i > 0:
        x = opts.batch_norm(train)(x)
      x = act(x)
      self.sow('intermediates', f'block_{i}', x)
    x = x.reshape(x.shape[0], -1)
    x = layers.Dense(self.dense_units, use_bias=False, kernel_init=opts.init(),
                     compute_dtype=opts.compute_dtype)(_with_label(x, y))
    if self.batchnorm:
      x = opts.batch_norm(train)(x)
    x = act(x)
    logit = layers.Dense(1, use_bias=False, kernel_init=opts.init(),
                         compute_dtype=opts.compute_dtype)(_with_label(x, y))
    if self.port_logit:
      logit = jnp.clip(act(opts.batch_norm(train)(logit)), 1e-7, 1.0 - 1e-7)
    return logit[:, 0]


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


@generators.register('radford_cdcgan_g')
def _radford_cdcgan_g(cfg, image_shape):
  """radford_dcgan_g of [z, embed(y)]: Radford et al.'s G at any size."""
  return ConditionalGenerator(
      dcgan.sized_generator(cfg, 'radford_cdcgan_g', image_shape),
      _num_classes(cfg), cfg.conditional.embed_dim)


@discriminators.register('radford_cdcgan_d')
def _radford_cdcgan_d(cfg, image_shape):
  """radford_dcgan_d's convs, conditioned as model.conditional says."""
  trunk = dcgan.conv_trunk(
      cfg, dcgan.sized_trunk_blocks(cfg, 'radford_cdcgan_d', image_shape))
  return ConditionalDiscriminator(trunk, _num_classes(cfg),
                                  cfg.conditional.d_conditioning)


@generators.register('cdcgan_radford_g')
def _label_everywhere_g(cfg, image_shape):
  base = dcgan.quarter_size('cdcgan_radford_g', image_shape)
  return LabelEverywhereGenerator(
      _num_classes(cfg), image_shape[-1], base_shape=(base, base, 128),
      activation=cfg.g_activation, unit_pixels=cfg.unit_pixels,
      options=layers.LayerOptions.from_config(cfg))


def _label_everywhere_d(cfg, port_logit: bool):
  return LabelEverywhereDiscriminator(
      _num_classes(cfg), batchnorm=cfg.d_batchnorm,
      unit_pixels=cfg.unit_pixels, port_logit=port_logit,
      options=layers.LayerOptions.from_config(cfg))


@discriminators.register('cdcgan_radford_d')
def _authors_d(cfg, image_shape):
  del image_shape  # Any size: Flatten + Dense adapts.
  return _label_everywhere_d(cfg, port_logit=False)


@discriminators.register('cdcgan_he_d')
def _he_port_d(cfg, image_shape):
  del image_shape
  return _label_everywhere_d(cfg, port_logit=True)


# The DCGAN authors' conditional code works on [0, 1] pixels; these models
# can too (model.unit_pixels=True).
registry.unit_pixel_models['generator'].append('cdcgan_radford_g')
registry.unit_pixel_models['discriminator'].extend(
    ['cdcgan_radford_d', 'cdcgan_he_d'])


@registry.checks_options
def _check_options(config) -> None:
  checks.integer(config, 'model.conditional.embed_dim', 1)
  checks.choice(config, 'model.conditional.d_conditioning', CONDITIONINGS)
