"""GAN losses as pure functions of discriminator outputs, and the
regularisers a discriminator's loss can carry.

Each loss is a `GANLoss`: the discriminator's loss on (real, fake) outputs
and the generator's loss on fake outputs, both batch means, and the
behaviour it brings to the train step through hooks: D regularisers (terms
added to D's loss, such as the gradient penalty) and a function applied to
D's parameters after each update (weight clipping). Looked up by
`loss.name`; a new loss is one `register` here plus its config, a new D
regulariser one `regularizers.register`, usable with any loss through
`loss.d_regularizers`. The train step calls the hooks and never changes.

  non_saturating  D: binary cross-entropy; G minimises -log D(G(z))
  saturating      D: binary cross-entropy; G minimises log(1 - D(G(z)))
  wgan            critic: E[C(G(z))] - E[C(x)], weights clipped to
                  [-loss.weight_clip, loss.weight_clip]; G: -E[C(G(z))]
  wgan_gp         wgan without clipping, plus loss.gp_weight *
                  E[(||grad_x C(x_hat)|| - 1)^2] on random interpolates x_hat
  hinge           D: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]; G: -E[D(G(z))]
  least_squares   D: (E[(D(x) - 1)^2] + E[D(G(z))^2]) / 2; G: E[(D(G(z)) - 1)^2] / 2

D regularisers (`loss.d_regularizers`, added to a loss's own):
  gradient_penalty  loss.gp_weight * E[(||grad_x D(x_hat)|| - 1)^2] (WGAN-GP)
  r1                loss.r1_gamma / 2 * E[||grad_x D(x)||^2] on real images
                    (Mescheder et al. 2018)
"""

import dataclasses
from typing import Callable, Optional, Tuple

import jax
import jax.numpy as jnp
import ml_collections

from jaxgan.core import checks
from jaxgan.core.registry import Registry

Array = jnp.ndarray
# (critic, real, fake, key) -> penalty: `critic` maps a batch of images to
# one score per example.
Penalty = Callable[[Callable[[Array], Array], Array, Array, jax.Array], Array]


@dataclasses.dataclass(frozen=True)
class GANLoss:
  discriminator: Callable[[Array, Array], Array]
  generator: Callable[[Array], Array]
  # D's output is a logit of P(real): metrics report sigmoid means. Else a
  # critic score, reported raw.
  probability_output: bool = True
  # The critic estimates a Wasserstein distance: report E[C(x)] - E[C(G(z))].
  wasserstein: bool = False
  # Hooks. D regularisers the loss always has (names in `regularizers`).
  d_regularizers: Tuple[str, ...] = ()
  # (D's params, the loss config) -> D's params, after every D update.
  after_d_update: Optional[Callable] = None


@dataclasses.dataclass(frozen=True)
class DRegularizer:
  """A term added to D's loss: config.loss[weight_field] * penalty. Each
  penalises every example's own input gradient, which BatchNorm in D would
  mix across the batch, so it needs a discriminator without BatchNorm."""
  penalty: Penalty
  weight_field: str


losses: Registry = Registry('loss')
regularizers: Registry = Registry('D regulariser')


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


def r1_penalty(critic: Callable[[Array], Array], real: Array, fake: Array,
               key: jax.Array) -> Array:
  """R1 (Mescheder et al. 2018, "Which Training Methods for GANs do
  actually Converge?"): E[||grad_x D(x)||^2] / 2 on the real images, pushing
  D's gradient to zero on the data. Deterministic: `fake` and `key` are
  unused."""
  del fake, key
  grads = jax.grad(lambda x: jnp.sum(critic(x)))(real)
  return 0.5 * jnp.mean(jnp.sum(grads.reshape(grads.shape[0], -1) ** 2,
                                axis=-1))


def clip_critic_weights(d_params, loss_config: ml_collections.ConfigDict):
  """The original WGAN's Lipschitz constraint: every weight of the critic
  clipped to [-loss.weight_clip, loss.weight_clip] after each update."""
  clip = loss_config.weight_clip
  return jax.tree.map(lambda p: jnp.clip(p, -clip, clip), d_params)


regularizers.register('gradient_penalty')(
    DRegularizer(gradient_penalty, 'gp_weight'))
regularizers.register('r1')(DRegularizer(r1_penalty, 'r1_gamma'))

losses.register('non_saturating')(
    GANLoss(bce_discriminator_loss, non_saturating_generator_loss))
losses.register('saturating')(
    GANLoss(bce_discriminator_loss, saturating_generator_loss))
losses.register('wgan')(
    GANLoss(wasserstein_critic_loss, wasserstein_generator_loss,
            probability_output=False, wasserstein=True,
            after_d_update=clip_critic_weights))
losses.register('wgan_gp')(
    GANLoss(wasserstein_critic_loss, wasserstein_generator_loss,
            probability_output=False, wasserstein=True,
            d_regularizers=('gradient_penalty',)))
losses.register('hinge')(
    GANLoss(hinge_discriminator_loss, wasserstein_generator_loss,
            probability_output=False))
losses.register('least_squares')(
    GANLoss(least_squares_discriminator_loss, least_squares_generator_loss,
            probability_output=False))


def get_loss(name: str) -> GANLoss:
  return losses.get(name, 'loss.name')


def check_config(config: ml_collections.ConfigDict) -> None:
  checks.choice(config, 'loss.name', losses.names())
  checks.real(config, 'loss.gp_weight', 0.0)
  checks.real(config, 'loss.weight_clip', 0.0, low_open=True)
  checks.names(config, 'loss.d_regularizers', regularizers.names())
  checks.real(config, 'loss.r1_gamma', 0.0)


@dataclasses.dataclass(frozen=True)
class BoundLoss:
  """A loss with its config's values bound in: what a train step runs."""
  discriminator: Callable[[Array, Array], Array]
  generator: Callable[[Array], Array]
  probability_output: bool
  wasserstein: bool
  # (name, penalty, weight) of every D regulariser, the loss's own first.
  d_regularizers: Tuple[Tuple[str, Penalty, float], ...]
  after_d_update: Callable


def regularizer_names(loss_config: ml_collections.ConfigDict
                      ) -> Tuple[str, ...]:
  """The loss's own D regularisers, then loss.d_regularizers (once each)."""
  own = get_loss(loss_config.name).d_regularizers
  extra = tuple(name for name in loss_config.d_regularizers
                if name not in own)
  return own + extra


def bind(loss_config: ml_collections.ConfigDict) -> BoundLoss:
  loss = get_loss(loss_config.name)
  terms = []
  for name in regularizer_names(loss_config):
    regularizer = regularizers.get(name, 'loss.d_regularizers')
    terms.append((name, regularizer.penalty,
                  loss_config[regularizer.weight_field]))
  after = loss.after_d_update
  return BoundLoss(
      loss.discriminator, loss.generator, loss.probability_output,
      loss.wasserstein, tuple(terms),
      (lambda p: after(p, loss_config)) if after else (lambda p: p))
