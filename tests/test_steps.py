"""The jitted GAN update: shapes, determinism, D:G ratio, batch sampling,
and that it compiles once."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxgan import models, optimizers, steps, train
from tests.conftest import tiny_dcgan_config

BATCH = 4


def build(d_steps_per_g_step=1, steps_per_call=1, conv_impl='auto'):
  """The tiny DCGAN's initial state, train step (fused if asked) and data."""
  config = tiny_dcgan_config(d_steps_per_g_step=d_steps_per_g_step)
  config.data.batch_size = BATCH
  config.model.conv_impl = conv_impl
  state, train_step = train.initial_state_and_step(
      config, models.build_generator(config.model),
      models.build_discriminator(config.model), (28, 28, 1),
      jax.random.key(0))
  fn = (train_step if steps_per_call == 1 else
        steps.make_multi_step(train_step, steps_per_call))
  images = jax.random.randint(jax.random.key(1), (32, 28, 28, 1), 0, 256
                              ).astype(jnp.uint8)
  return state, fn, images


def relative_difference(a, b) -> float:
  """||a - b|| / ||a|| over whole pytrees."""
  return float(optax.global_norm(jax.tree.map(jnp.subtract, a, b)) /
               optax.global_norm(a))


def keys(seed=0):
  return jax.random.key(seed), jax.random.key(seed + 100)


def test_step_shapes_metrics_and_determinism():
  state, fn, images = build()
  jitted = jax.jit(fn)
  new_state, metrics = jitted(state, images, *keys())
  assert int(new_state.step) == 1
  chex.assert_trees_all_equal_shapes_and_dtypes(state, new_state)
  assert set(metrics) == {'d_loss', 'g_loss', 'd_real', 'd_fake',
                          'd_grad_norm', 'g_grad_norm'}
  for value in metrics.values():
    chex.assert_shape(value, ())
    chex.assert_tree_all_finite(value)
  assert 0 < float(metrics['d_real']) < 1 and 0 < float(metrics['d_fake']) < 1
  # Both nets and G's BatchNorm statistics moved.
  for field in ('g_params', 'd_params', 'g_batch_stats'):
    assert not all(jax.tree.leaves(jax.tree.map(
        jnp.array_equal, getattr(state, field), getattr(new_state, field))))
  again, metrics_again = jitted(state, images, *keys())
  chex.assert_trees_all_equal(new_state, again)
  chex.assert_trees_all_equal(metrics, metrics_again)
  other, _ = jitted(state, images, *keys(1))
  assert not jnp.array_equal(other.g_params['Dense_0']['kernel'],
                             new_state.g_params['Dense_0']['kernel'])


def test_d_steps_per_g_step_sets_update_ratio():
  state, fn, images = build(d_steps_per_g_step=3)
  new_state, _ = jax.jit(fn)(state, images, *keys())
  d_count = optax.tree_utils.tree_get(new_state.d_opt_state, 'count')
  g_count = optax.tree_utils.tree_get(new_state.g_opt_state, 'count')
  assert (int(d_count), int(g_count)) == (3, 1)


def test_fused_steps_equal_single_steps_and_compile_once():
  state, single, images = build()
  _, fused, _ = build(steps_per_call=3)
  # Donation and a step counter that never changes type: one trace for all.
  chex.clear_trace_counter()
  single_jit = jax.jit(chex.assert_max_traces(single, n=1), donate_argnums=0)
  fused_jit = jax.jit(chex.assert_max_traces(fused, n=1), donate_argnums=0)
  copy = jax.tree.map(jnp.copy, state)
  for _ in range(5):
    state, _ = single_jit(state, images, *keys())
  five_steps = jax.tree.map(jnp.copy, state.g_params)
  state, _ = single_jit(state, images, *keys())
  for _ in range(2):
    copy, _ = fused_jit(copy, images, *keys())
  assert int(state.step) == int(copy.step) == 6
  # XLA fuses the scanned step differently, and Adam amplifies the round-off
  # on near-zero gradients, so compare whole trees by relative norm against
  # what one update moves them: a step too many or too few fails this.
  one_update = relative_difference(state.g_params, five_steps)
  assert relative_difference(state.g_params, copy.g_params) < 0.1 * one_update
  assert relative_difference(state.d_params, copy.d_params) < 0.1 * one_update

def test_real_batches_walk_a_fresh_permutation_each_epoch():
  num, batch = 10, 3  # 3 batches per epoch; one image left out per epoch.
  images = jnp.arange(num, dtype=jnp.uint8).reshape(num, 1, 1, 1)
  key = jax.random.key(0)

  def ids(i):
    x = steps.real_batch(images, key, jnp.int32(i), batch)
    return np.round((np.asarray(x).ravel() + 1) * 127.5).astype(int).tolist()

  epoch0 = [ids(i) for i in range(3)]
  epoch1 = [ids(i) for i in range(3, 6)]
  for epoch in (epoch0, epoch1):
    flat = sum(epoch, [])
    assert len(set(flat)) == 9 and set(flat) <= set(range(num))
  assert epoch0 != epoch1
  assert ids(4) == ids(4)


def test_to_unit_range_endpoints():
  x = steps.to_unit_range(jnp.array([0, 255], jnp.uint8))
  np.testing.assert_allclose(x, [-1.0, 1.0])


@pytest.mark.parametrize('clip', [0.0, 1.0])
def test_optimizer_grad_clipping(clip):
  config = tiny_dcgan_config()
  config.optimizer.grad_clip_norm = clip
  tx = optimizers.make_optimizer(config.optimizer, 1.0)
  params = {'w': jnp.zeros(3)}
  grads = {'w': jnp.array([30.0, 40.0, 0.0])}
  state = tx.init(params)
  _, state = tx.update(grads, state, params)
  mu = optax.tree_utils.tree_get(state, 'mu')['w']
  expected = (grads['w'] / 50.0 if clip else grads['w']) * (1 - config.optimizer.b1)
  np.testing.assert_allclose(mu, expected, rtol=1e-6)
