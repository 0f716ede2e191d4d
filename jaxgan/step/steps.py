"""Pure update functions: (state, data, loop_key, data_key) -> (state, metrics).

The whole uint8 dataset and its labels are an argument (they live on the
device). Each step draws its noise, labels, dropout masks and interpolation
weights from fold_in(loop_key, step) and its real batch from the epoch's
permutation under data_key, so a resumed run repeats an uninterrupted one bit
for bit.
"""

import dataclasses
import functools
from typing import Callable, Dict, NamedTuple, Optional, Tuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import optax

from jaxgan.core import checks
from jaxgan.core.errors import ConfigError
from jaxgan.datasets.batches import Data, real_batch
from jaxgan.step import losses as losses_lib
from jaxgan.step.sampling import latent_noise
from jaxgan.step.state import GANState

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


@dataclasses.dataclass(frozen=True)
class Parts:
  """What every update shares: the two models, the bound loss, the two
  optimizers and the step's options (static under jit)."""
  g_model: nn.Module
  d_model: nn.Module
  loss: losses_lib.BoundLoss
  g_tx: optax.GradientTransformation
  d_tx: optax.GradientTransformation
  options: StepOptions


class DKeys(NamedTuple):
  """The randomness of one pass of D's loss: dropout on the real and the
  fake batch, the regularisers' interpolation and their dropout."""
  real_dropout: jax.Array
  fake_dropout: jax.Array
  penalty: jax.Array
  penalty_dropout: jax.Array


class DOutputs(NamedTuple):
  """What D's loss pass leaves besides its loss: logits, D's updated
  BatchNorm statistics and the loss terms to report."""
  real_logits: jnp.ndarray
  fake_logits: jnp.ndarray
  batch_stats: dict
  terms: Metrics


def sharded(parts: Parts, x):
  """`x` split over the mesh's data axis (unchanged on one device)."""
  if parts.options.batch_sharding is None:
    return x
  return jax.lax.with_sharding_constraint(x, parts.options.batch_sharding)


def noise(parts: Parts, key: jax.Array):
  opts = parts.options
  return sharded(parts, latent_noise(key, opts.batch_size, opts.noise_dim,
                                     opts.noise_distribution))


def apply_d(parts: Parts, d_params, d_batch_stats, x, labels, dropout_key):
  """D's float32 logits and updated BatchNorm statistics, in training mode."""
  logits, updates = parts.d_model.apply(
      {'params': d_params, 'batch_stats': d_batch_stats}, x, labels,
      train=True, rngs={'dropout': dropout_key}, mutable=['batch_stats'])
  return logits.astype(jnp.float32), updates.get('batch_stats', {})


def apply_g(parts: Parts, g_params, g_batch_stats, z, labels, dropout_key):
  """G's float32 images and updated BatchNorm statistics, in training mode."""
  images, updates = parts.g_model.apply(
      {'params': g_params, 'batch_stats': g_batch_stats}, z, labels,
      train=True, rngs={'dropout': dropout_key}, mutable=['batch_stats'])
  return images.astype(jnp.float32), updates.get('batch_stats', {})


def generator_forward(parts: Parts, state: GANState, z, labels, dropout_key):
  """G(z), the function from d(loss)/d(images) to G's gradient, and G's
  updated BatchNorm statistics: one forward pass for the whole step."""
  return jax.vjp(
      lambda p: apply_g(parts, p, state.g_batch_stats, z, labels, dropout_key),
      state.g_params, has_aux=True)


def discriminator_losses(parts: Parts, d_params, d_batch_stats, real, fake,
                         labels, keys: DKeys):
  """D's loss (with its regularisers) and G's loss on one D forward pass
  over the real and the fake batch; DOutputs as aux."""
  loss = parts.loss
  real_logits, stats = apply_d(parts, d_params, d_batch_stats, real, labels,
                               keys.real_dropout)
  fake_logits, stats = apply_d(parts, d_params, stats, fake, labels,
                               keys.fake_dropout)
  d_loss = loss.discriminator(real_logits, fake_logits)
  terms = {'d_loss': d_loss}
  critic = lambda x: apply_d(parts, d_params, stats, x, labels,
                             keys.penalty_dropout)[0]
  for i, (name, penalty_of, weight) in enumerate(loss.d_regularizers):
    penalty = penalty_of(
        critic, real, jax.lax.stop_gradient(fake),
        keys.penalty if i == 0 else jax.random.fold_in(keys.penalty, i))
    terms[name] = penalty
    d_loss = d_loss + weight * penalty
  return (d_loss, loss.generator(fake_logits)), DOutputs(
      real_logits, fake_logits, stats, terms)


def apply_d_gradients(parts: Parts, state: GANState, grads,
                      outputs: DOutputs) -> Tuple[GANState, Metrics]:
  """D's optimizer step, its BatchNorm statistics, and D's metrics."""
  loss = parts.loss
  updates, d_opt_state = parts.d_tx.update(grads, state.d_opt_state,
                                           state.d_params)
  d_params = loss.after_d_update(optax.apply_updates(state.d_params, updates))
  state = state.replace(d_params=d_params, d_batch_stats=outputs.batch_stats,
                        d_opt_state=d_opt_state)
  out = jax.nn.sigmoid if loss.probability_output else (lambda x: x)
  d_real = jnp.mean(out(outputs.real_logits))
  d_fake = jnp.mean(out(outputs.fake_logits))
  metrics = {**outputs.terms, 'd_real': d_real, 'd_fake': d_fake,
             **gradient_statistics(grads, 'd')}
  if loss.wasserstein:
    metrics['wasserstein_estimate'] = d_real - d_fake
  return state, metrics


def apply_g_gradients(parts: Parts, state: GANState, grads, g_stats,
                      g_loss) -> Tuple[GANState, Metrics]:
  """G's optimizer step, its BatchNorm statistics and average, G's metrics."""
  updates, g_opt_state = parts.g_tx.update(grads, state.g_opt_state,
                                           state.g_params)
  g_params = optax.apply_updates(state.g_params, updates)
  state = state.replace(g_params=g_params, g_batch_stats=g_stats,
                        g_opt_state=g_opt_state)
  decay = parts.options.g_ema_decay
  if decay > 0:
    state = state.replace(g_ema_params=optax.incremental_update(
        g_params, state.g_ema_params, 1.0 - decay))
  return state, {'g_loss': g_loss, **gradient_statistics(grads, 'g')}


def discriminator_update(parts: Parts, state: GANState, real, real_labels,
                         key: jax.Array) -> Tuple[GANState, Metrics]:
  """One D update on fakes from fresh noise (alternating_fresh_noise): G in
  training mode, its BatchNorm updates discarded."""
  z_key, g_drop, *d_keys = jax.random.split(key, 6)
  labels = real_labels if parts.options.num_classes else None
  fake, _ = apply_g(parts, state.g_params, state.g_batch_stats,
                    noise(parts, z_key), labels, g_drop)
  fake = jax.lax.stop_gradient(fake)

  def loss_fn(d_params):
    (d_loss, _), outputs = discriminator_losses(
        parts, d_params, state.d_batch_stats, real, fake, labels,
        DKeys(*d_keys))
    return d_loss, outputs

  (_, outputs), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.d_params)
  return apply_d_gradients(parts, state, grads, outputs)


def generator_update(parts: Parts, state: GANState,
                     key: jax.Array) -> Tuple[GANState, Metrics]:
  """One G update on fresh noise and uniformly drawn labels
  (alternating_fresh_noise); D's BatchNorm statistics stay as they are."""
  opts = parts.options
  z_key, label_key, g_drop, d_drop = jax.random.split(key, 4)
  z = noise(parts, z_key)
  labels = (sharded(parts, jax.random.randint(
      label_key, (opts.batch_size,), 0, opts.num_classes))
            if opts.num_classes else None)

  def loss_fn(g_params):
    fake, g_stats = apply_g(parts, g_params, state.g_batch_stats, z, labels,
                            g_drop)
    fake_logits, _ = apply_d(parts, state.d_params, state.d_batch_stats, fake,
                             labels, d_drop)
    return parts.loss.generator(fake_logits), g_stats

  (g_loss, g_stats), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.g_params)
  return apply_g_gradients(parts, state, grads, g_stats, g_loss)


def loss_weights(d: float, g: float):
  """The cotangent of (D's loss, G's loss) that picks one of them. Made
  inside the traced function: arrays made at import would start JAX's
  backend before jax.distributed.initialize may run."""
  return jnp.asarray(d, jnp.float32), jnp.asarray(g, jnp.float32)


class SharedFakes(NamedTuple):
  """One batch of fakes and D's pass over it, for the schemes in which both
  nets learn from the same fakes."""
  fake: jnp.ndarray
  labels: Optional[jnp.ndarray]
  g_pullback: Callable  # d(loss)/d(fakes) -> (G's gradient,)
  g_stats: dict
  g_loss: jnp.ndarray
  d_pullback: Callable  # (weight of D's loss, of G's) -> (D's grads, fakes')
  d_grads: dict
  d_outputs: DOutputs
  g_d_dropout: jax.Array  # D's dropout when G's loss takes a second D pass.


def shared_fakes(parts: Parts, state: GANState, real, real_labels,
                 key: jax.Array) -> SharedFakes:
  """G's forward pass, D's loss pass over its fakes and D's gradient. Each
  pullback computes only what is kept of it (XLA drops the rest)."""
  z_key, g_drop, *d_keys, g_d_drop = jax.random.split(key, 7)
  labels = real_labels if parts.options.num_classes else None
  fake, g_pullback, g_stats = generator_forward(
      parts, state, noise(parts, z_key), labels, g_drop)
  (_, g_loss), d_pullback, outputs = jax.vjp(
      lambda d_params, fake: discriminator_losses(
          parts, d_params, state.d_batch_stats, real, fake, labels,
          DKeys(*d_keys)),
      state.d_params, fake, has_aux=True)
  d_grads, _ = d_pullback(loss_weights(d=1, g=0))
  return SharedFakes(fake, labels, g_pullback, g_stats, g_loss, d_pullback,
                     d_grads, outputs, g_d_drop)


def simultaneous_update(parts: Parts, state: GANState, real, real_labels,
                        key: jax.Array) -> Tuple[GANState, Metrics]:
  """Both gradients from the same params and the same D forward pass, both
  applied (the TensorFlow DCGAN tutorial's two gradient tapes)."""
  shared = shared_fakes(parts, state, real, real_labels, key)
  _, fake_grads = shared.d_pullback(loss_weights(d=0, g=1))
  state, d_metrics = apply_d_gradients(parts, state, shared.d_grads,
                                       shared.d_outputs)
  (g_grads,) = shared.g_pullback(fake_grads)
  state, g_metrics = apply_g_gradients(parts, state, g_grads, shared.g_stats,
                                       shared.g_loss)
  return state, {**d_metrics, **g_metrics}


def alternating_update(parts: Parts, state: GANState, real, real_labels,
                       key: jax.Array) -> Tuple[GANState, Metrics]:
  """D's update on the fakes, then G's on the same fakes against the
  updated D (PyTorch's DCGAN example)."""
  shared = shared_fakes(parts, state, real, real_labels, key)
  state, d_metrics = apply_d_gradients(parts, state, shared.d_grads,
                                       shared.d_outputs)
  g_loss, fake_grads = jax.value_and_grad(
      lambda x: parts.loss.generator(apply_d(
          parts, state.d_params, state.d_batch_stats, x, shared.labels,
          shared.g_d_dropout)[0]))(shared.fake)
  (g_grads,) = shared.g_pullback(fake_grads)
  state, g_metrics = apply_g_gradients(parts, state, g_grads, shared.g_stats,
                                       g_loss)
  return state, {**d_metrics, **g_metrics}


SHARED_FAKE_UPDATES = {'simultaneous': simultaneous_update,
                       'alternating': alternating_update}


def repeat(update, state, keys):
  """`update(state, i, key)` once per key, the state threaded through; a
  scan when there are several, so compile time does not grow with n_critic
  or k. The last update's metrics."""
  if keys.shape[0] == 1:
    return update(state, 0, keys[0])
  state, metrics = jax.lax.scan(
      lambda s, ik: update(s, ik[0], ik[1]), state,
      (jnp.arange(keys.shape[0]), keys))
  return state, jax.tree.map(lambda m: m[-1], metrics)


def fresh_noise_step(parts: Parts, state: GANState, data: Data,
                     step_key: jax.Array, data_key: jax.Array):
  """alternating_fresh_noise: `d_steps_per_g_step` D updates, each on a
  fresh real batch, then `g_steps_per_d_step` G updates (He's k-step
  schedule: k - 1 G updates per D one)."""
  opts = parts.options
  d_keys = jax.random.split(jax.random.fold_in(step_key, 0),
                            opts.d_steps_per_g_step)
  g_keys = jax.random.split(jax.random.fold_in(step_key, 1),
                            opts.g_steps_per_d_step)

  def d_update(state, i, key):
    real, real_labels = real_batch(
        data, data_key, state.step * opts.d_steps_per_g_step + i,
        opts.batch_size, functools.partial(sharded, parts))
    return discriminator_update(parts, state, real, real_labels, key)

  state, d_metrics = repeat(d_update, state, d_keys)
  state, g_metrics = repeat(
      lambda s, _, key: generator_update(parts, s, key), state, g_keys)
  return state, {**d_metrics, **g_metrics}


def train_step(parts: Parts, state: GANState, data: Data, loop_key: jax.Array,
               data_key: jax.Array) -> Tuple[GANState, Metrics]:
  """One step under `parts.options.update_scheme`; its randomness from
  fold_in(loop_key, step), its real batches from the epoch's order."""
  opts = parts.options
  step_key = jax.random.fold_in(loop_key, state.step)
  if opts.update_scheme == 'alternating_fresh_noise':
    state, metrics = fresh_noise_step(parts, state, data, step_key, data_key)
  else:
    real, real_labels = real_batch(data, data_key, state.step,
                                   opts.batch_size,
                                   functools.partial(sharded, parts))
    state, metrics = SHARED_FAKE_UPDATES[opts.update_scheme](
        parts, state, real, real_labels, step_key)
  return state.replace(step=state.step + 1), metrics


class Updates(NamedTuple):
  """A run's updates, each usable on its own: discriminator(state, real,
  real_labels, key) and generator(state, key) (alternating_fresh_noise),
  simultaneous and alternating(state, real, real_labels, key), and the
  train step; each -> (state, metrics)."""
  discriminator: Callable
  generator: Callable
  simultaneous: Callable
  alternating: Callable
  train_step: TrainStep


def make_updates(g_model: nn.Module, d_model: nn.Module,
                 loss: losses_lib.BoundLoss,
                 g_tx: optax.GradientTransformation,
                 d_tx: optax.GradientTransformation,
                 options: StepOptions) -> Updates:
  """The module's update functions bound to one run's parts. Only G's
  forward pass changes G's BatchNorm statistics and only D's passes on the
  D loss change D's; losses, D regularisers and metrics are float32 whatever
  the models compute in."""
  parts = Parts(g_model, d_model, loss, g_tx, d_tx, options)

  def bind(update):
    @functools.wraps(update)
    def bound(*args):
      return update(parts, *args)
    return bound

  return Updates(bind(discriminator_update), bind(generator_update),
                 bind(simultaneous_update), bind(alternating_update),
                 bind(train_step))


def make_train_step(g_model: nn.Module, d_model: nn.Module,
                    loss: losses_lib.BoundLoss,
                    g_tx: optax.GradientTransformation,
                    d_tx: optax.GradientTransformation,
                    options: StepOptions) -> TrainStep:
  """One train step under `options.update_scheme` (UPDATE_SCHEMES)."""
  return make_updates(g_model, d_model, loss, g_tx, d_tx, options).train_step


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

