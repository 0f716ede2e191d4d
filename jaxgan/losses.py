"""GAN losses as pure functions of discriminator logits.

Each loss is a `GANLoss` pair: the discriminator's loss on (real, fake)
logits and the generator's loss on fake logits, both batch means. Looked up
by `loss.name`; a new loss is one `register` here plus its config.
"""

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from jaxgan.registry import Registry


class GANLoss(NamedTuple):
  discriminator: Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]
  generator: Callable[[jnp.ndarray], jnp.ndarray]


losses: Registry = Registry('loss')


def _bce_discriminator_loss(real_logits, fake_logits):
  # -log D(x) - log(1 - D(G(z))), with D = sigmoid(logit), computed stably.
  return (jnp.mean(jax.nn.softplus(-real_logits)) +
          jnp.mean(jax.nn.softplus(fake_logits)))


def non_saturating_generator_loss(fake_logits):
  """-log D(G(z)): strong gradients while D rejects the fakes (Goodfellow 2014)."""
  return jnp.mean(jax.nn.softplus(-fake_logits))


def saturating_generator_loss(fake_logits):
  """log(1 - D(G(z))): the minimax objective; its gradient vanishes when D wins."""
  return -jnp.mean(jax.nn.softplus(fake_logits))


losses.register('non_saturating')(
    GANLoss(_bce_discriminator_loss, non_saturating_generator_loss))
losses.register('saturating')(
    GANLoss(_bce_discriminator_loss, saturating_generator_loss))


def get_loss(name: str) -> GANLoss:
  return losses.get(name, 'loss.name')
