"""Pure update functions: (state, images, loop_key, data_key) -> (state, metrics).

The whole uint8 dataset is an argument (it lives on the device). Each step
draws its noise and dropout masks from fold_in(loop_key, step) and its real
batch from the epoch's permutation under data_key, so a resumed run repeats
an uninterrupted one bit for bit.
"""

from typing import Callable, Dict, Tuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from jaxgan.losses import GANLoss
from jaxgan.state import GANState

Metrics = Dict[str, jnp.ndarray]


def to_unit_range(images_uint8: jnp.ndarray) -> jnp.ndarray:
  """uint8 [0, 255] -> float32 [-1, 1], the range of the generator's tanh."""
  return images_uint8.astype(jnp.float32) / 127.5 - 1.0


def real_batch(images: jnp.ndarray, data_key: jax.Array, batch_index: jnp.ndarray,
               batch_size: int) -> jnp.ndarray:
  """Batch `batch_index` of an epoch-wise shuffle, without replacement.

  Epoch e visits the images in the order permutation(fold_in(data_key, e));
  the trailing N % batch_size images of each epoch's order are skipped.
  """
  num_images = images.shape[0]
  batches_per_epoch = num_images // batch_size
  epoch = batch_index // batches_per_epoch
  order = jax.random.permutation(jax.random.fold_in(data_key, epoch), num_images)
  start = (batch_index % batches_per_epoch) * batch_size
  indices = jax.lax.dynamic_slice_in_dim(order, start, batch_size)
  return to_unit_range(jnp.take(images, indices, axis=0))


def make_train_step(g_model: nn.Module, d_model: nn.Module, loss: GANLoss,
                    g_tx: optax.GradientTransformation,
                    d_tx: optax.GradientTransformation, *, noise_dim: int,
                    batch_size: int, d_steps_per_g_step: int
                    ) -> Callable[[GANState, jnp.ndarray, jax.Array, jax.Array],
                                  Tuple[GANState, Metrics]]:
  """One generator step preceded by `d_steps_per_g_step` discriminator steps.

  Alternating updates: each D step sees a fresh real batch and fakes from
  fresh noise (G in training mode, its BatchNorm updates discarded); the G
  step then uses fresh noise against the updated D. Only the G step updates
  G's BatchNorm statistics and only D steps update D's.
  """

  def apply_d(d_params, d_batch_stats, x, dropout_key):
    logits, updates = d_model.apply(
        {'params': d_params, 'batch_stats': d_batch_stats}, x, train=True,
        rngs={'dropout': dropout_key}, mutable=['batch_stats'])
    return logits, updates.get('batch_stats', {})

  def apply_g(g_params, g_batch_stats, z):
    images, updates = g_model.apply(
        {'params': g_params, 'batch_stats': g_batch_stats}, z, train=True,
        mutable=['batch_stats'])
    return images, updates.get('batch_stats', {})

  def discriminator_step(state: GANState, real: jnp.ndarray, key: jax.Array):
    z_key, real_drop, fake_drop = jax.random.split(key, 3)
    z = jax.random.normal(z_key, (batch_size, noise_dim))
    fake, _ = apply_g(state.g_params, state.g_batch_stats, z)
    fake = jax.lax.stop_gradient(fake)

    def loss_fn(d_params):
      real_logits, stats = apply_d(d_params, state.d_batch_stats, real,
                                   real_drop)
      fake_logits, stats = apply_d(d_params, stats, fake, fake_drop)
      return loss.discriminator(real_logits, fake_logits), (
          real_logits, fake_logits, stats)

    (d_loss, (real_logits, fake_logits, stats)), grads = jax.value_and_grad(
        loss_fn, has_aux=True)(state.d_params)
    updates, d_opt_state = d_tx.update(grads, state.d_opt_state, state.d_params)
    state = state.replace(d_params=optax.apply_updates(state.d_params, updates),
                          d_batch_stats=stats, d_opt_state=d_opt_state)
    metrics = {
        'd_loss': d_loss,
        'd_real': jnp.mean(jax.nn.sigmoid(real_logits)),
        'd_fake': jnp.mean(jax.nn.sigmoid(fake_logits)),
        'd_grad_norm': optax.global_norm(grads),
    }
    return state, metrics

  def generator_step(state: GANState, key: jax.Array):
    z_key, drop_key = jax.random.split(key)
    z = jax.random.normal(z_key, (batch_size, noise_dim))

    def loss_fn(g_params):
      fake, g_stats = apply_g(g_params, state.g_batch_stats, z)
      # D's BatchNorm statistics are not updated by the generator's step.
      fake_logits, _ = apply_d(state.d_params, state.d_batch_stats, fake,
                               drop_key)
      return loss.generator(fake_logits), g_stats

    (g_loss, g_stats), grads = jax.value_and_grad(
        loss_fn, has_aux=True)(state.g_params)
    updates, g_opt_state = g_tx.update(grads, state.g_opt_state, state.g_params)
    state = state.replace(g_params=optax.apply_updates(state.g_params, updates),
                          g_batch_stats=g_stats, g_opt_state=g_opt_state)
    return state, {'g_loss': g_loss, 'g_grad_norm': optax.global_norm(grads)}

  def train_step(state: GANState, images: jnp.ndarray, loop_key: jax.Array,
                 data_key: jax.Array) -> Tuple[GANState, Metrics]:
    step_key = jax.random.fold_in(loop_key, state.step)
    d_keys = jax.random.split(jax.random.fold_in(step_key, 0),
                              d_steps_per_g_step)
    g_key = jax.random.fold_in(step_key, 1)
    d_metrics = {}
    for i in range(d_steps_per_g_step):
      real = real_batch(images, data_key,
                        state.step * d_steps_per_g_step + i, batch_size)
      state, d_metrics = discriminator_step(state, real, d_keys[i])
    state, g_metrics = generator_step(state, g_key)
    state = state.replace(step=state.step + 1)
    return state, {**d_metrics, **g_metrics}

  return train_step


def make_multi_step(train_step, steps_per_call: int):
  """Fuses `steps_per_call` steps into one call (lax.scan); returns the last
  step's metrics. Fewer host round trips and dispatches per step."""

  def multi_step(state, images, loop_key, data_key):
    if steps_per_call == 1:
      return train_step(state, images, loop_key, data_key)
    state, metrics = jax.lax.scan(
        lambda s, _: train_step(s, images, loop_key, data_key), state, None,
        length=steps_per_call)
    return state, jax.tree.map(lambda m: m[-1], metrics)

  return multi_step


def generate(g_model: nn.Module, state: GANState, z: jnp.ndarray) -> jnp.ndarray:
  """Samples in inference mode (BatchNorm running averages)."""
  return g_model.apply({'params': state.g_params,
                        'batch_stats': state.g_batch_stats}, z, train=False)
