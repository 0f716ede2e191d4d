"""Pure update functions: (state, data, loop_key, data_key) -> (state, metrics).

The whole uint8 dataset and its labels are an argument (they live on the
device). Each step draws its noise, labels, dropout masks and interpolation
weights from fold_in(loop_key, step) and its real batch from the epoch's
permutation under data_key, so a resumed run repeats an uninterrupted one bit
for bit.
"""

import dataclasses
from typing import Callable, Dict, NamedTuple, Optional, Tuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import optax

from jaxgan import checks
from jaxgan import losses as losses_lib
from jaxgan.errors import ConfigError
from jaxgan.batches import Data, real_batch
from jaxgan.sampling import latent_noise
from jaxgan.state import GANState

Metrics = Dict[str, jnp.ndarray]


# How one step orders and feeds the D and G updates (config
# train.update_scheme), as the sources' code does:
#   simultaneous             one G forward; D's and G's losses from the same
#                            D forward, both gradients from the same params,
#                            both applied (the TensorFlow DCGAN tutorial: two
#                            gradient tapes over one forward pass)
#   alternating              D update on fakes G(z), then a G update on the
#                            same fakes against the updated D (PyTorch's
#                            DCGAN example: one G forward per step)
#   alternating_fresh_noise  D update(s) on fakes from fresh noise, then G
#                            update(s) on fresh noise (one G forward per
#                            update; TF1 loops of separate session runs, and
#                            the only scheme with n_critic or k > 1)
UPDATE_SCHEMES = ('simultaneous', 'alternating', 'alternating_fresh_noise')


def check_config(config: ml_collections.ConfigDict) -> None:
  """The train.* fields a step reads: its update ratio and scheme."""
  d_steps = checks.integer(config, 'train.d_steps_per_g_step', 1)
  g_steps = checks.integer(config, 'train.g_steps_per_d_step', 1)
  if d_steps > 1 and g_steps > 1:
    raise ConfigError(
        f'train.d_steps_per_g_step={d_steps} and train.g_steps_per_d_step='
        f'{g_steps} are both > 1; a step is n D updates then m G updates, so '
        f'reduce the ratio: at most one of them may exceed 1.')
  scheme = checks.choice(config, 'train.update_scheme', UPDATE_SCHEMES)
  if scheme != 'alternating_fresh_noise' and (d_steps, g_steps) != (1, 1):
    raise ConfigError(
        f'train.update_scheme={scheme!r} makes one batch of fakes per step for '
        f'one D and one G update, but train.d_steps_per_g_step={d_steps} and '
        f'train.g_steps_per_d_step={g_steps}; set both to 1, or use '
        f'train.update_scheme=alternating_fresh_noise for several updates '
        f'per step.')
  checks.real(config, 'train.g_ema_decay', 0.0, 1.0)


@dataclasses.dataclass(frozen=True)
class StepOptions:
  """What one train step does, from the config (static under jit)."""
  batch_size: int
  noise_dim: int
  noise_distribution: str = 'normal'
  num_classes: int = 0  # > 0: conditional models, fed labels.
  update_scheme: str = 'alternating_fresh_noise'
  d_steps_per_g_step: int = 1
  g_steps_per_d_step: int = 1
  g_ema_decay: float = 0.0
  # Where each batch lives: split over the mesh's `data` axis (None: one
  # device). Every per-example array is constrained to it as it is made.
  batch_sharding: Optional[jax.sharding.NamedSharding] = None

  @classmethod
  def from_config(cls, config: ml_collections.ConfigDict,
                  batch_sharding=None) -> 'StepOptions':
    return cls(batch_sharding=batch_sharding,
               batch_size=config.data.batch_size,
               noise_dim=config.model.noise_dim,
               noise_distribution=config.model.noise_distribution,
               num_classes=config.model.num_classes,
               update_scheme=config.train.update_scheme,
               d_steps_per_g_step=config.train.d_steps_per_g_step,
               g_steps_per_d_step=config.train.g_steps_per_d_step,
               g_ema_decay=config.train.g_ema_decay)


def gradient_statistics(grads, net: str) -> Metrics:
  """Global norm, mean and standard deviation over every element of a
  network's gradient, in float32 whatever the gradient's dtype (Singh
  plots G's mean and std per iteration to show the saturating loss starving
  the generator)."""
  leaves = [g.astype(jnp.float32) for g in jax.tree.leaves(grads)]
  count = sum(g.size for g in leaves)
  mean = sum(jnp.sum(g) for g in leaves) / count
  variance = sum(jnp.sum(jnp.square(g - mean)) for g in leaves) / count
  norm = jnp.sqrt(sum(jnp.sum(jnp.square(g)) for g in leaves))
  return {f'{net}_grad_norm': norm, f'{net}_grad_mean': mean,
          f'{net}_grad_std': jnp.sqrt(variance)}


TrainStep = Callable[[GANState, Data, jax.Array, jax.Array],
                     Tuple[GANState, Metrics]]


class Updates(NamedTuple):
  """The updates a train step is made of, each usable on its own:
  discriminator(state, real, real_labels, key) and generator(state, key)
  (alternating_fresh_noise), shared_fake(state, real, real_labels, key)
  (simultaneous, alternating), each -> (state, metrics)."""
  discriminator: Callable
  generator: Callable
  shared_fake: Callable
  train_step: TrainStep


def make_train_step(g_model: nn.Module, d_model: nn.Module,
                    loss: losses_lib.BoundLoss,
                    g_tx: optax.GradientTransformation,
                    d_tx: optax.GradientTransformation,
                    options: StepOptions) -> TrainStep:
  """One train step under `options.update_scheme` (see make_updates)."""
  return make_updates(g_model, d_model, loss, g_tx, d_tx, options).train_step


def make_updates(g_model: nn.Module, d_model: nn.Module,
                 loss: losses_lib.BoundLoss,
                 g_tx: optax.GradientTransformation,
                 d_tx: optax.GradientTransformation,
                 options: StepOptions) -> Updates:
  """The D and G updates and the train step under `options.update_scheme`
  (UPDATE_SCHEMES).

  alternating_fresh_noise: `d_steps_per_g_step` discriminator updates, then
  `g_steps_per_d_step` generator updates (He's k-step schedule: k - 1
  G updates per D one); each D update sees a fresh real batch and fakes from
  fresh noise (G in training mode, its BatchNorm updates discarded), each G
  update fresh noise and uniformly drawn labels. The other schemes make one
  batch of fakes per step, conditioned on the real batch's labels, and both
  nets learn from it. Only G's forward pass changes G's BatchNorm statistics
  and only D's passes on the D loss change D's; losses, D regularisers and
  metrics are float32 whatever the models compute in.
  """
  opts = options
  batch = opts.batch_size

  def sharded(x):
    if opts.batch_sharding is None:
      return x
    return jax.lax.with_sharding_constraint(x, opts.batch_sharding)

  def noise(key):
    return sharded(latent_noise(key, batch, opts.noise_dim,
                                opts.noise_distribution))

  def apply_d(d_params, d_batch_stats, x, labels, dropout_key):
    logits, updates = d_model.apply(
        {'params': d_params, 'batch_stats': d_batch_stats}, x, labels,
        train=True, rngs={'dropout': dropout_key}, mutable=['batch_stats'])
    return logits.astype(jnp.float32), updates.get('batch_stats', {})

  def apply_g(g_params, g_batch_stats, z, labels, dropout_key):
    images, updates = g_model.apply(
        {'params': g_params, 'batch_stats': g_batch_stats}, z, labels,
        train=True, rngs={'dropout': dropout_key}, mutable=['batch_stats'])
    return images.astype(jnp.float32), updates.get('batch_stats', {})

  def d_output_means(real_logits, fake_logits):
    out = jax.nn.sigmoid if loss.probability_output else (lambda x: x)
    return jnp.mean(out(real_logits)), jnp.mean(out(fake_logits))

  def generator_forward(state: GANState, z, labels, dropout_key):
    """G(z), the function from d(loss)/d(images) to G's gradient, and G's
    updated BatchNorm statistics: one forward pass for the whole step."""
    return jax.vjp(
        lambda p: apply_g(p, state.g_batch_stats, z, labels, dropout_key),
        state.g_params, has_aux=True)

  def discriminator_losses(d_params, d_batch_stats, real, fake, labels, keys):
    """D's loss (with its regularisers) and G's loss on one D forward
    pass over the real and the fake batch."""
    real_drop, fake_drop, gp_key, gp_drop = keys
    real_logits, stats = apply_d(d_params, d_batch_stats, real, labels,
                                 real_drop)
    fake_logits, stats = apply_d(d_params, stats, fake, labels, fake_drop)
    d_loss = loss.discriminator(real_logits, fake_logits)
    aux = {'d_loss': d_loss}
    critic = lambda x: apply_d(d_params, stats, x, labels, gp_drop)[0]
    for i, (name, penalty_of, weight) in enumerate(loss.d_regularizers):
      penalty = penalty_of(
          critic, real, jax.lax.stop_gradient(fake),
          gp_key if i == 0 else jax.random.fold_in(gp_key, i))
      aux[name] = penalty
      d_loss = d_loss + weight * penalty
    return (d_loss, loss.generator(fake_logits)), (real_logits, fake_logits,
                                                   stats, aux)

  def apply_d_gradients(state: GANState, grads, stats, real_logits,
                        fake_logits, aux):
    updates, d_opt_state = d_tx.update(grads, state.d_opt_state, state.d_params)
    d_params = loss.after_d_update(optax.apply_updates(state.d_params,
                                                       updates))
    state = state.replace(d_params=d_params, d_batch_stats=stats,
                          d_opt_state=d_opt_state)
    d_real, d_fake = d_output_means(real_logits, fake_logits)
    metrics = {**aux, 'd_real': d_real, 'd_fake': d_fake,
               **gradient_statistics(grads, 'd')}
    if loss.wasserstein:
      metrics['wasserstein_estimate'] = d_real - d_fake
    return state, metrics

  def apply_g_gradients(state: GANState, grads, g_stats, g_loss):
    updates, g_opt_state = g_tx.update(grads, state.g_opt_state, state.g_params)
    g_params = optax.apply_updates(state.g_params, updates)
    state = state.replace(g_params=g_params, g_batch_stats=g_stats,
                          g_opt_state=g_opt_state)
    if opts.g_ema_decay > 0:
      state = state.replace(g_ema_params=optax.incremental_update(
          g_params, state.g_ema_params, 1.0 - opts.g_ema_decay))
    return state, {'g_loss': g_loss, **gradient_statistics(grads, 'g')}

  def discriminator_step(state: GANState, real, real_labels, key):
    """One D update on fakes from fresh noise (alternating_fresh_noise)."""
    z_key, g_drop, real_drop, fake_drop, gp_key, gp_drop = jax.random.split(
        key, 6)
    labels = real_labels if opts.num_classes else None
    fake, _ = apply_g(state.g_params, state.g_batch_stats, noise(z_key),
                      labels, g_drop)
    fake = jax.lax.stop_gradient(fake)

    def loss_fn(d_params):
      (d_loss, _), aux = discriminator_losses(
          d_params, state.d_batch_stats, real, fake, labels,
          (real_drop, fake_drop, gp_key, gp_drop))
      return d_loss, aux

    (_, (real_logits, fake_logits, stats, aux)), grads = jax.value_and_grad(
        loss_fn, has_aux=True)(state.d_params)
    return apply_d_gradients(state, grads, stats, real_logits, fake_logits,
                             aux)

  def generator_step(state: GANState, key: jax.Array):
    """One G update on fresh noise (alternating_fresh_noise)."""
    z_key, label_key, g_drop, d_drop = jax.random.split(key, 4)
    z = noise(z_key)
    labels = (sharded(jax.random.randint(label_key, (batch,), 0,
                                         opts.num_classes))
              if opts.num_classes else None)

    def loss_fn(g_params):
      fake, g_stats = apply_g(g_params, state.g_batch_stats, z, labels, g_drop)
      # D's BatchNorm statistics are not updated by the generator's step.
      fake_logits, _ = apply_d(state.d_params, state.d_batch_stats, fake,
                               labels, d_drop)
      return loss.generator(fake_logits), g_stats

    (g_loss, g_stats), grads = jax.value_and_grad(
        loss_fn, has_aux=True)(state.g_params)
    return apply_g_gradients(state, grads, g_stats, g_loss)

  def shared_fake_update(state: GANState, real, real_labels, key):
    """simultaneous or alternating: one batch of fakes feeds both updates."""
    z_key, g_drop, *d_keys, g_d_drop = jax.random.split(key, 7)
    labels = real_labels if opts.num_classes else None
    fake, g_pullback, g_stats = generator_forward(state, noise(z_key), labels,
                                                  g_drop)
    (_, g_loss), d_pullback, (real_logits, fake_logits, stats, aux) = jax.vjp(
        lambda d_params, fake: discriminator_losses(
            d_params, state.d_batch_stats, real, fake, labels, d_keys),
        state.d_params, fake, has_aux=True)
    # Each pullback computes only what is kept of it (XLA drops the rest):
    # D's parameter gradient of its loss, the fakes' gradient of G's.
    one, zero = jnp.ones((), jnp.float32), jnp.zeros((), jnp.float32)
    d_grads, _ = d_pullback((one, zero))
    if opts.update_scheme == 'simultaneous':
      _, fake_grads = d_pullback((zero, one))
    new_state, d_metrics = apply_d_gradients(state, d_grads, stats,
                                             real_logits, fake_logits, aux)
    if opts.update_scheme == 'alternating':  # Against the updated D.
      g_loss, fake_grads = jax.value_and_grad(
          lambda x: loss.generator(apply_d(
              new_state.d_params, new_state.d_batch_stats, x, labels,
              g_d_drop)[0]))(fake)
    (g_grads,) = g_pullback(fake_grads)
    new_state, g_metrics = apply_g_gradients(new_state, g_grads, g_stats,
                                             g_loss)
    return new_state, {**d_metrics, **g_metrics}

  def repeat(update, state, keys):
    """`update` once per key, the state threaded through; a scan when there
    are several, so compile time does not grow with n_critic or k."""
    if keys.shape[0] == 1:
      return update(state, 0, keys[0])
    state, metrics = jax.lax.scan(
        lambda s, ik: update(s, ik[0], ik[1]), state,
        (jnp.arange(keys.shape[0]), keys))
    return state, jax.tree.map(lambda m: m[-1], metrics)

  def train_step(state: GANState, data: Data, loop_key: jax.Array,
                 data_key: jax.Array) -> Tuple[GANState, Metrics]:
    step_key = jax.random.fold_in(loop_key, state.step)
    if opts.update_scheme != 'alternating_fresh_noise':
      real, real_labels = real_batch(data, data_key, state.step, batch,
                                     sharded)
      state, metrics = shared_fake_update(state, real, real_labels, step_key)
      return state.replace(step=state.step + 1), metrics

    d_keys = jax.random.split(jax.random.fold_in(step_key, 0),
                              opts.d_steps_per_g_step)
    g_keys = jax.random.split(jax.random.fold_in(step_key, 1),
                              opts.g_steps_per_d_step)

    def d_update(state, i, key):
      real, real_labels = real_batch(
          data, data_key, state.step * opts.d_steps_per_g_step + i, batch,
          sharded)
      return discriminator_step(state, real, real_labels, key)

    state, d_metrics = repeat(d_update, state, d_keys)
    state, g_metrics = repeat(lambda s, _, key: generator_step(s, key), state,
                              g_keys)
    state = state.replace(step=state.step + 1)
    return state, {**d_metrics, **g_metrics}

  return Updates(discriminator_step, generator_step, shared_fake_update,
                 train_step)


def make_multi_step(train_step, steps_per_call: int):
  """Fuses `steps_per_call` steps into one call (lax.scan); returns the last
  step's metrics. Fewer host round trips and dispatches per step."""

  def multi_step(state, data, loop_key, data_key):
    if steps_per_call == 1:
      return train_step(state, data, loop_key, data_key)
    state, metrics = jax.lax.scan(
        lambda s, _: train_step(s, data, loop_key, data_key), state, None,
        length=steps_per_call)
    return state, jax.tree.map(lambda m: m[-1], metrics)

  return multi_step

