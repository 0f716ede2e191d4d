"""The jitted GAN update: shapes, determinism, D:G ratio, batch sampling,
and that it compiles once."""

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxgan.core.errors import ConfigError
from jaxgan.datasets import batches, images
from jaxgan.run import assemble, config_validation
from jaxgan.step import losses, optimizers, sampling, steps
from tests.conftest import tiny_dcgan_config

BATCH = 4


def build(d_steps_per_g_step=1, steps_per_call=1, conv_impl='auto'):
  """The tiny DCGAN's initial state, train step (fused if asked) and data
  (images and labels)."""
  config = tiny_dcgan_config(d_steps_per_g_step=d_steps_per_g_step)
  if d_steps_per_g_step > 1:  # n_critic needs fresh noise per update.
    config.train.update_scheme = 'alternating_fresh_noise'
  config.data.batch_size = BATCH
  config.model.conv_impl = conv_impl
  state, train_step = assemble.initial_state_and_step(
      config, *assemble.build_models(config), (28, 28, 1), jax.random.key(0))
  fn = (train_step if steps_per_call == 1 else
        steps.make_multi_step(train_step, steps_per_call))
  return state, fn, tiny_data()


def tiny_data():
  """32 random uint8 28x28 images with labels 0..9."""
  images = jax.random.randint(jax.random.key(1), (32, 28, 28, 1), 0, 256
                              ).astype(jnp.uint8)
  return {'images': images, 'labels': jnp.arange(32, dtype=jnp.int32) % 10}


def test_an_abstract_state_has_the_state_s_shapes_and_placement():
  """What a checkpoint is restored into (evaluate, sample, a resumed run):
  the same tree, shapes, dtypes and placement, without initialising."""
  config = tiny_dcgan_config(g_ema_decay=0.999)
  models = assemble.build_models(config)
  state, _ = assemble.initial_state_and_step(config, *models, (28, 28, 1),
                                             jax.random.key(0))
  shapes, _ = assemble.initial_state_and_step(config, *models, (28, 28, 1),
                                              jax.random.key(0), abstract=True)
  assert jax.tree.structure(shapes) == jax.tree.structure(state)
  for x, s in zip(jax.tree.leaves(state), jax.tree.leaves(shapes)):
    assert isinstance(s, jax.ShapeDtypeStruct)
    assert (s.shape, s.dtype, s.sharding) == (x.shape, x.dtype, x.sharding)


def relative_difference(a, b) -> float:
  """||a - b|| / ||a|| over whole pytrees (jitted: op by op, each leaf's
  shape would compile programs of its own)."""
  return float(_relative_difference(a, b))


@jax.jit
def _relative_difference(a, b):
  return (optax.global_norm(jax.tree.map(jnp.subtract, a, b)) /
          optax.global_norm(a))


copy_tree = jax.jit(lambda tree: jax.tree.map(jnp.copy, tree))


def test_gradient_statistics_cover_every_element_of_every_leaf():
  grads = {'a': jnp.array([[1.0, 2.0], [3.0, 4.0]]),
           'b': {'c': jnp.array([-5.0, 0.5, 7.0], jnp.bfloat16)}}
  flat = np.array([1.0, 2.0, 3.0, 4.0, -5.0, 0.5, 7.0])
  stats = jax.jit(lambda g: steps.gradient_statistics(g, 'g'))(grads)
  assert set(stats) == {'g_grad_norm', 'g_grad_mean', 'g_grad_std'}
  np.testing.assert_allclose(stats['g_grad_mean'], flat.mean(), rtol=1e-6)
  np.testing.assert_allclose(stats['g_grad_std'], flat.std(), rtol=1e-6)
  np.testing.assert_allclose(stats['g_grad_norm'], np.linalg.norm(flat),
                             rtol=1e-6)


def keys(seed=0):
  return jax.random.key(seed), jax.random.key(seed + 100)


def test_step_shapes_metrics_and_determinism():
  state, fn, images = build()
  jitted = jax.jit(fn)
  new_state, metrics = jitted(state, images, *keys())
  assert int(new_state.step) == 1
  chex.assert_trees_all_equal_shapes_and_dtypes(state, new_state)
  assert set(metrics) == {'d_loss', 'g_loss', 'd_real', 'd_fake',
                          'd_grad_norm', 'd_grad_mean', 'd_grad_std',
                          'g_grad_norm', 'g_grad_mean', 'g_grad_std'}
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
  copy = copy_tree(state)
  for _ in range(5):
    state, _ = single_jit(state, images, *keys())
  five_steps = copy_tree(state.g_params)
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
  data = {'images': jnp.arange(num, dtype=jnp.uint8).reshape(num, 1, 1, 1),
          'labels': jnp.arange(num, dtype=jnp.int32) + 100}
  key = jax.random.key(0)

  def ids(i):
    x, labels = batches.real_batch(data, key, jnp.int32(i), batch)
    ids = np.round((np.asarray(x).ravel() + 1) * 127.5).astype(int).tolist()
    assert (np.asarray(labels) - 100).tolist() == ids  # Labels stay paired.
    return ids

  epoch0 = [ids(i) for i in range(3)]
  epoch1 = [ids(i) for i in range(3, 6)]
  for epoch in (epoch0, epoch1):
    flat = sum(epoch, [])
    assert len(set(flat)) == 9 and set(flat) <= set(range(num))
  assert epoch0 != epoch1
  assert ids(4) == ids(4)


def test_to_unit_range_endpoints():
  x = images.to_unit_range(jnp.array([0, 255], jnp.uint8))
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


def test_optimizer_weight_decay_is_added_to_the_gradient():
  """L2 decay as the DCGAN authors' code applies it: g + wd * p, then Adam
  (so Adam's first moment sees the decayed gradient)."""
  config = tiny_dcgan_config()
  config.optimizer.weight_decay = 0.5
  tx = optimizers.make_optimizer(config.optimizer, 1.0)
  params = {'w': jnp.array([2.0, -4.0, 0.0])}
  grads = {'w': jnp.array([1.0, 1.0, 1.0])}
  _, state = tx.update(grads, tx.init(params), params)
  mu = optax.tree_utils.tree_get(state, 'mu')['w']
  np.testing.assert_allclose(mu, (grads['w'] + 0.5 * params['w']) *
                             (1 - config.optimizer.b1), rtol=1e-6)


def small_mlp_step(loss='non_saturating', **overrides):
  """A small MLP GAN's state, jitted step and data: every loss and schedule
  option through the real step, compiled in about a second."""
  config = tiny_dcgan_config()
  config.data.batch_size = BATCH
  config.model.generator, config.model.discriminator = 'mlp_g', 'mlp_d'
  config.model.mlp.g_hidden, config.model.mlp.d_hidden = (16,), (16,)
  config.loss.name = loss
  # The scheme with schedules (n_critic, k); overrides may pick another.
  config.train.update_scheme = 'alternating_fresh_noise'
  for key, value in overrides.items():
    section, field = key.split('__')
    config[section][field] = value
  state, train_step = assemble.initial_state_and_step(
      config, *assemble.build_models(config), (28, 28, 1), jax.random.key(0))
  return state, jax.jit(train_step), tiny_data()


@pytest.mark.parametrize('loss', ['non_saturating', 'saturating', 'wgan',
                                  'wgan_gp', 'hinge', 'least_squares'])
def test_every_loss_trains_deterministically(loss):
  state, step, data = small_mlp_step(loss)
  new_state, metrics = step(state, data, *keys())
  again, metrics_again = step(state, data, *keys())
  chex.assert_trees_all_equal((new_state, metrics), (again, metrics_again))
  chex.assert_tree_all_finite(metrics)
  assert not jnp.array_equal(new_state.d_params['Dense_0']['kernel'],
                             state.d_params['Dense_0']['kernel'])
  wasserstein = loss in ('wgan', 'wgan_gp')
  assert ('wasserstein_estimate' in metrics) == wasserstein
  assert ('gradient_penalty' in metrics) == (loss == 'wgan_gp')
  if loss in ('non_saturating', 'saturating'):  # D(x) is a probability.
    assert 0 < float(metrics['d_real']) < 1
  if wasserstein:
    np.testing.assert_allclose(metrics['wasserstein_estimate'],
                               metrics['d_real'] - metrics['d_fake'], rtol=1e-5)


def test_wgan_clips_every_critic_weight():
  state, step, data = small_mlp_step('wgan', loss__weight_clip=0.005)
  assert max(float(jnp.abs(p).max()) for p in
             jax.tree.leaves(state.d_params)) > 0.005  # Init exceeds the clip.
  new_state, _ = step(state, data, *keys())
  assert max(float(jnp.abs(p).max()) for p in
             jax.tree.leaves(new_state.d_params)) <= 0.005


def test_gradient_penalty_weight_enters_the_critic_loss():
  _, step_a, data = small_mlp_step('wgan_gp', loss__gp_weight=0.0)
  state, step_b, _ = small_mlp_step('wgan_gp', loss__gp_weight=100.0)
  a, metrics_a = step_a(state, data, *keys())
  b, metrics_b = step_b(state, data, *keys())
  assert float(metrics_b['gradient_penalty']) > 0
  # Same batch, same penalty value; only its weight in D's update differs.
  np.testing.assert_allclose(metrics_a['gradient_penalty'],
                             metrics_b['gradient_penalty'], rtol=1e-6)
  assert not jnp.allclose(a.d_params['Dense_0']['kernel'],
                          b.d_params['Dense_0']['kernel'])


@pytest.mark.parametrize('loss', ['non_saturating', 'hinge', 'wgan_gp'])
def test_r1_regularises_any_loss_through_the_hook(loss):
  """loss.d_regularizers=('r1',) adds R1 to whichever loss: logged as `r1`,
  weighted by r1_gamma; at gamma 0 the step is bit-identical to no R1 (the
  regulariser enters D's loss only through its weight)."""
  state, plain, data = small_mlp_step(loss)
  _, off, _ = small_mlp_step(loss, loss__d_regularizers=('r1',),
                             loss__r1_gamma=0.0)
  _, on, _ = small_mlp_step(loss, loss__d_regularizers=('r1',),
                            loss__r1_gamma=10.0)
  reference, reference_metrics = plain(state, data, *keys())
  zero, zero_metrics = off(state, data, *keys())
  ten, ten_metrics = on(state, data, *keys())
  assert 'r1' not in reference_metrics
  assert float(ten_metrics['r1']) > 0
  np.testing.assert_array_equal(zero_metrics['r1'], ten_metrics['r1'])
  chex.assert_trees_all_equal(zero.d_params, reference.d_params)
  assert not jnp.allclose(ten.d_params['Dense_0']['kernel'],
                          reference.d_params['Dense_0']['kernel'])
  # The loss's own regulariser stays, the new one comes after it.
  assert ('gradient_penalty' in ten_metrics) == (loss == 'wgan_gp')


def test_d_and_g_updates_on_their_own_touch_only_their_own_net():
  """steps.make_updates: the D update changes D's params, optimizer state
  and BatchNorm statistics and nothing of G; the G update the reverse; the
  train step is the two in turn."""
  config = tiny_dcgan_config()
  config.data.batch_size = BATCH
  config.train.update_scheme = 'alternating_fresh_noise'
  g_model, d_model = assemble.build_models(config)
  state, _ = assemble.initial_state_and_step(config, g_model, d_model,
                                             (28, 28, 1), jax.random.key(0))
  g_tx = optimizers.make_optimizer(config.optimizer, 2e-4)
  d_tx = optimizers.make_optimizer(config.optimizer, 2e-4)
  updates = steps.make_updates(g_model, d_model, losses.bind(config.loss),
                               g_tx, d_tx, steps.StepOptions.from_config(
                                   config))
  real = images.to_unit_range(tiny_data()['images'][:BATCH])
  labels = tiny_data()['labels'][:BATCH]
  g_fields = ('g_params', 'g_batch_stats', 'g_opt_state')
  d_fields = ('d_params', 'd_batch_stats', 'd_opt_state')

  after_d, d_metrics = jax.jit(updates.discriminator)(
      state, real, labels, jax.random.key(1))
  assert {'d_loss', 'd_real', 'd_fake', 'd_grad_norm'} <= set(d_metrics)
  after_g, g_metrics = jax.jit(updates.generator)(state, jax.random.key(2))
  assert {'g_loss', 'g_grad_norm'} <= set(g_metrics)
  for changed, unchanged, new in ((d_fields, g_fields, after_d),
                                  (g_fields, d_fields, after_g)):
    for field in unchanged:
      chex.assert_trees_all_equal(getattr(new, field), getattr(state, field))
    assert not jnp.array_equal(
        jax.tree.leaves(getattr(new, changed[0]))[0],
        jax.tree.leaves(getattr(state, changed[0]))[0])
  assert int(after_d.step) == int(after_g.step) == 0  # The step counts steps.


def test_k_step_schedule_updates_g_k_minus_1_times():
  state, step, data = small_mlp_step(train__g_steps_per_d_step=3)
  new_state, _ = step(state, data, *keys())
  d_count = optax.tree_utils.tree_get(new_state.d_opt_state, 'count')
  g_count = optax.tree_utils.tree_get(new_state.g_opt_state, 'count')
  assert (int(d_count), int(g_count), int(new_state.step)) == (1, 3, 1)


def test_generator_ema_tracks_the_params_and_is_sampled():
  decay = 0.9
  state, step, data = small_mlp_step(train__g_ema_decay=decay)
  chex.assert_trees_all_equal(state.g_ema_params, state.g_params)
  new_state, _ = step(state, data, *keys())
  expected = jax.tree.map(lambda e, p: decay * e + (1 - decay) * p,
                          state.g_ema_params, new_state.g_params)
  chex.assert_trees_all_close(new_state.g_ema_params, expected, rtol=1e-6,
                              atol=1e-9)
  assert new_state.sampling_params() is new_state.g_ema_params
  plain_state, _, _ = small_mlp_step()
  assert plain_state.g_ema_params == {}
  assert plain_state.sampling_params() is plain_state.g_params


def test_conditional_step_feeds_labels_to_both_nets():
  config = tiny_dcgan_config()
  config.data.batch_size = BATCH
  config.model.generator, config.model.discriminator = 'cdcgan_g', 'cdcgan_d'
  config.model.num_classes = 10
  state, train_step = assemble.initial_state_and_step(
      config, *assemble.build_models(config), (28, 28, 1), jax.random.key(0))
  new_state, metrics = jax.jit(train_step)(state, tiny_data(), *keys())
  chex.assert_tree_all_finite(metrics)
  # Both label embeddings were trained.
  for params, old in ((new_state.g_params, state.g_params),
                      (new_state.d_params, state.d_params)):
    assert not jnp.array_equal(params['label_embed']['embedding'],
                               old['label_embed']['embedding'])


@pytest.mark.parametrize('distribution', ['normal', 'uniform'])
def test_latent_noise(distribution):
  z = sampling.latent_noise(jax.random.key(0), 512, 100, distribution)
  chex.assert_shape(z, (512, 100))
  if distribution == 'uniform':
    assert -1.0 <= float(z.min()) and float(z.max()) <= 1.0
    np.testing.assert_allclose(float(z.std()), 1 / np.sqrt(3), rtol=0.02)
  else:
    np.testing.assert_allclose(float(z.std()), 1.0, rtol=0.02)


def _scheme_step(scheme):
  config = tiny_dcgan_config(update_scheme=scheme)
  config.data.batch_size = BATCH
  g_model, d_model = assemble.build_models(config)
  state, step = assemble.initial_state_and_step(config, g_model, d_model,
                                             (28, 28, 1), jax.random.key(0))
  return config, (g_model, d_model), state, jax.jit(step)


def _g_grad_norm(config, models, g_params, g_stats, d_params, keys_used):
  """G's gradient norm computed directly: the fakes of the step's noise
  through D with the given params (no BatchNorm in this D)."""
  return float(_g_grad_norm_jitted(*models, config.model.noise_dim, g_params,
                                   g_stats, d_params, *keys_used))


@functools.partial(jax.jit, static_argnums=(0, 1, 2))  # Once for both schemes.
def _g_grad_norm_jitted(g_model, d_model, noise_dim, g_params, g_stats,
                        d_params, z_key, g_drop, d_drop):
  z = sampling.latent_noise(z_key, BATCH, noise_dim, 'normal')

  def loss(p):
    fake, _ = g_model.apply({'params': p, 'batch_stats': g_stats}, z, None,
                            train=True, rngs={'dropout': g_drop},
                            mutable=['batch_stats'])
    logits = d_model.apply({'params': d_params}, fake, None, train=True,
                           rngs={'dropout': d_drop})
    return jnp.mean(jax.nn.softplus(-logits))  # Non-saturating.

  return optax.global_norm(jax.grad(loss)(g_params))


@pytest.mark.parametrize('scheme', ['simultaneous', 'alternating'])
def test_shared_fake_schemes_train_g_against_the_right_discriminator(scheme):
  """simultaneous: G's gradient comes from the D of before the step (the
  TF tutorial's two tapes); alternating: from the updated D (PyTorch's
  DCGAN). Both make one batch of fakes and the same D update."""
  config, models, state, step = _scheme_step(scheme)
  new_state, metrics = step(state, tiny_data(), *keys())
  z_key, g_drop, _, fake_drop, _, _, g_d_drop = jax.random.split(
      jax.random.fold_in(keys()[0], 0), 7)
  d_params, d_drop = ((state.d_params, fake_drop) if scheme == 'simultaneous'
                      else (new_state.d_params, g_d_drop))
  expected = _g_grad_norm(config, models, state.g_params, state.g_batch_stats,
                          d_params, (z_key, g_drop, d_drop))
  np.testing.assert_allclose(float(metrics['g_grad_norm']), expected,
                             rtol=1e-5)


def test_shared_fake_schemes_make_the_same_discriminator_update():
  results = {}
  for scheme in ('simultaneous', 'alternating'):
    _, _, state, step = _scheme_step(scheme)
    results[scheme] = step(state, tiny_data(), *keys())[0]
  chex.assert_trees_all_equal(results['simultaneous'].d_params,
                              results['alternating'].d_params)
  assert relative_difference(results['simultaneous'].g_params,
                             results['alternating'].g_params) > 0


def test_update_scheme_is_checked_against_the_update_ratio():
  config = tiny_dcgan_config(update_scheme='simultaneous',
                             d_steps_per_g_step=5)
  with pytest.raises(ConfigError, match=r"train.update_scheme='simultaneous'.*"
                     r"d_steps_per_g_step=5.*alternating_fresh_noise"):
    config_validation.validate(config)
  config = tiny_dcgan_config(update_scheme='together')
  with pytest.raises(ConfigError, match=r"train.update_scheme='together'.*"
                     r"alternating, alternating_fresh_noise, simultaneous"):
    config_validation.validate(config)
