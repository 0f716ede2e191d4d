"""GAN losses as pure functions of discriminator outputs, and the gradient
penalty.

Each loss is a `GANLoss`: the discriminator's loss on (real, fake) outputs
and the generator's loss on fake outputs, both batch means, plus what the
train step must add (a gradient penalty, clipping the critic's weights).
Looked up by `loss.name`; a new loss is one `register` here plus its config.

  non_saturating  D: binary cross-entropy; G minimises -log D(G(z))
  saturating      D: binary cross-entropy; G minimises log(1 - D(G(z)))
  wgan            critic: E[C(G(z))] - E[C(x)], weights clipped to
                  [-loss.weight_clip, loss.weight_clip]; G: -E[C(G(z))]
  wgan_gp         wgan without clipping, plus loss.gp_weight *
                  E[(||grad_x C(x_hat)|| - 1)^2] on random interpolates x_hat
  hinge           D: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]; G: -E[D(G(z))]
  least_squares   D: (E[(D(x) - 1)^2] + E[D(G(z))^2]) / 2; G: E[(D(G(z)) - 1)^2] / 2
"""

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp

from jaxgan.registry import Registry

Array = jnp.ndarray


@dataclasses.dataclass(frozen=True)
class GANLoss:
  discriminator: Callable[[Array, Array], Array]
  generator: Callable[[Array], Array]
  # D's output is a logit of P(real): metrics report sigmoid means. Else a
  # critic score, reported raw.
  probability_output: bool = True
  # The critic estimates a Wasserstein distance: report E[C(x)] - E[C(G(z))].
  wasserstein: bool = False
  gradient_penalty: bool = False  # Add loss.gp_weight * gradient_penalty.
  clip_weights: bool = False  # Clip D's params to +-loss.weight_clip.


losses: Registry = Registry('loss')


def bce_discriminator_loss(real_logits: Array, fake_logits: Array) -> Array:
  """-log D(x) - log(1 - D(G(z))), with D = sigmoid(logit), computed stably."""
  return (jnp.mean(jax.nn.softplus(-real_logits)) +
          jnp.mean(jax.nn.softplus(fake_logits)))


def non_saturating_generator_loss(fake_logits: Array) -> Array:
  """-log D(G(z)): strong gradients while D rejects the fakes (Goodfellow 2014)."""
  return jnp.mean(jax.nn.softplus(-fake_logits))


def saturating_generator_loss(fake_logits: Array) -> Array:
  """log(1 - D(G(z))): the minimax objective; its gradient vanishes when D wins."""
  return -jnp.mean(jax.nn.softplus(fake_logits))


def wasserstein_critic_loss(real_scores: Array, fake_scores: Array) -> Array:
  """E[C(G(z))] - E[C(x)]: minimising it maximises the critic's estimate."""
  return jnp.mean(fake_scores) - jnp.mean(real_scores)


def wasserstein_generator_loss(fake_scores: Array) -> Array:
  return -jnp.mean(fake_scores)


def hinge_discriminator_loss(real_scores: Array, fake_scores: Array) -> Array:
  return (jnp.mean(jax.nn.relu(1.0 - real_scores)) +
          jnp.mean(jax.nn.relu(1.0 + fake_scores)))


def least_squares_discriminator_loss(real_scores: Array,
                                     fake_scores: Array) -> Array:
  """LSGAN (Mao et al. 2017) with targets 1 (real) and 0 (fake)."""
  return 0.5 * (jnp.mean((real_scores - 1.0) ** 2) + jnp.mean(fake_scores ** 2))


def least_squares_generator_loss(fake_scores: Array) -> Array:
  return 0.5 * jnp.mean((fake_scores - 1.0) ** 2)


def gradient_penalty(critic: Callable[[Array], Array], real: Array,
                     fake: Array, key: jax.Array) -> Array:
  """WGAN-GP (Gulrajani et al. 2017): E[(||grad_x C(x_hat)||_2 - 1)^2] on
  x_hat = e x + (1 - e) G(z), e ~ U[0, 1] per example.

  `critic` maps a batch to one score per example, each depending only on its
  own input (no BatchNorm), so the gradient of the summed scores is every
  example's own gradient. The returned penalty is differentiable w.r.t. the
  critic's parameters (double backprop through jax.grad).
  """
  shape = (real.shape[0],) + (1,) * (real.ndim - 1)
  eps = jax.random.uniform(key, shape, real.dtype)
  x_hat = eps * real + (1.0 - eps) * fake
  grads = jax.grad(lambda x: jnp.sum(critic(x)))(x_hat)
  sq_norms = jnp.sum(grads.reshape(grads.shape[0], -1) ** 2, axis=-1)
  # The tiny constant keeps the norm's gradient finite where grads are 0.
  return jnp.mean((jnp.sqrt(sq_norms + 1e-12) - 1.0) ** 2)


losses.register('non_saturating')(
    GANLoss(bce_discriminator_loss, non_saturating_generator_loss))
losses.register('saturating')(
    GANLoss(bce_discriminator_loss, saturating_generator_loss))
losses.register('wgan')(
    GANLoss(wasserstein_critic_loss, wasserstein_generator_loss,
            probability_output=False, wasserstein=True, clip_weights=True))
losses.register('wgan_gp')(
    GANLoss(wasserstein_critic_loss, wasserstein_generator_loss,
            probability_output=False, wasserstein=True, gradient_penalty=True))
losses.register('hinge')(
    GANLoss(hinge_discriminator_loss, wasserstein_generator_loss,
            probability_output=False))
losses.register('least_squares')(
    GANLoss(least_squares_discriminator_loss, least_squares_generator_loss,
            probability_output=False))


def get_loss(name: str) -> GANLoss:
  return losses.get(name, 'loss.name')
