"""Loss values at known logits and the saturating/non-saturating gradients."""

import chex
import jax.flatten_util
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from jaxgan.core.errors import ConfigError
from jaxgan.step import losses


def test_values_at_zero_logits():
  zeros = jnp.zeros((4,))
  for name in ('non_saturating', 'saturating'):
    loss = losses.get_loss(name)
    d = loss.discriminator(zeros, zeros)
    chex.assert_shape(d, ())
    np.testing.assert_allclose(d, 2 * np.log(2), rtol=1e-6)
  np.testing.assert_allclose(
      losses.get_loss('non_saturating').generator(zeros), np.log(2), rtol=1e-6)
  np.testing.assert_allclose(
      losses.get_loss('saturating').generator(zeros), -np.log(2), rtol=1e-6)


def test_discriminator_loss_matches_binary_cross_entropy():
  real = jnp.array([2.0, -1.0, 0.5])
  fake = jnp.array([-3.0, 0.2, 1.0])
  sig = jax.nn.sigmoid
  expected = (-jnp.mean(jnp.log(sig(real))) - jnp.mean(jnp.log(1 - sig(fake))))
  np.testing.assert_allclose(
      losses.get_loss('non_saturating').discriminator(real, fake), expected,
      rtol=1e-5)


def test_saturating_gradient_vanishes_when_discriminator_wins():
  confident_fake = jnp.full((8,), -10.0)  # D(G(z)) ~ 4.5e-5.
  sat = jax.grad(losses.get_loss('saturating').generator)(confident_fake)
  nonsat = jax.grad(losses.get_loss('non_saturating').generator)(confident_fake)
  assert float(jnp.abs(sat).max()) < 1e-5
  np.testing.assert_allclose(nonsat, -1.0 / 8, rtol=1e-3)


def test_stable_at_extreme_logits():
  big = jnp.array([1e4, -1e4])
  for name in ('non_saturating', 'saturating'):
    loss = losses.get_loss(name)
    chex.assert_tree_all_finite(
        (loss.discriminator(big, big), loss.generator(big),
         jax.grad(loss.generator)(big)))


def test_unknown_loss_lists_choices():
  with pytest.raises(ConfigError, match=r"loss\.name='wgan_typo'.*non_saturating"):
    losses.get_loss('wgan_typo')


REAL = jnp.array([2.0, -1.0, 0.5, 3.0])
FAKE = jnp.array([-3.0, 0.2, 1.0, -0.5])


def test_wasserstein_losses():
  loss = losses.get_loss('wgan_gp')
  np.testing.assert_allclose(loss.discriminator(REAL, FAKE),
                             FAKE.mean() - REAL.mean(), rtol=1e-6)
  np.testing.assert_allclose(loss.generator(FAKE), -FAKE.mean(), rtol=1e-6)
  assert loss.d_regularizers == ('gradient_penalty',)
  assert loss.after_d_update is None
  clipped = losses.get_loss('wgan')
  assert clipped.after_d_update is losses.clip_critic_weights
  assert not clipped.d_regularizers
  assert clipped.discriminator is loss.discriminator
  # The critic's gradient is +-1/B per example, never saturating.
  grad = jax.grad(loss.generator)(jnp.full((4,), -100.0))
  np.testing.assert_allclose(grad, -0.25)


def test_hinge_losses():
  loss = losses.get_loss('hinge')
  expected = (np.maximum(0, 1 - REAL).mean() + np.maximum(0, 1 + FAKE).mean())
  np.testing.assert_allclose(loss.discriminator(REAL, FAKE), expected, rtol=1e-6)
  # Confident, correct outputs cost nothing.
  assert float(loss.discriminator(jnp.full(3, 2.0), jnp.full(3, -2.0))) == 0.0
  np.testing.assert_allclose(loss.generator(FAKE), -FAKE.mean(), rtol=1e-6)


def test_least_squares_losses():
  loss = losses.get_loss('least_squares')
  np.testing.assert_allclose(
      loss.discriminator(REAL, FAKE),
      0.5 * (((REAL - 1) ** 2).mean() + (FAKE ** 2).mean()), rtol=1e-6)
  np.testing.assert_allclose(loss.generator(FAKE),
                             0.5 * ((FAKE - 1) ** 2).mean(), rtol=1e-6)
  assert float(loss.discriminator(jnp.ones(3), jnp.zeros(3))) == 0.0


@pytest.mark.parametrize('name', ['non_saturating', 'saturating', 'wgan',
                                  'wgan_gp', 'hinge', 'least_squares'])
def test_discriminator_loss_rewards_telling_real_from_fake(name):
  """Every D loss is lower when real scores are high and fake ones low; every
  G loss is lower when the fakes score high."""
  loss = losses.get_loss(name)
  good = loss.discriminator(jnp.full(4, 1.0), jnp.full(4, -1.0))
  bad = loss.discriminator(jnp.full(4, -1.0), jnp.full(4, 1.0))
  assert float(good) < float(bad)
  assert float(loss.generator(jnp.full(4, 0.5))) < float(
      loss.generator(jnp.full(4, -0.5)))


def linear_critic_penalty(w, real, fake, key):
  return losses.gradient_penalty(lambda x: x.reshape(x.shape[0], -1) @ w,
                                 real, fake, key)


def test_gradient_penalty_of_a_linear_critic():
  """D(x) = w.x has gradient w everywhere: the penalty is (||w|| - 1)^2."""
  real = jax.random.normal(jax.random.key(0), (6, 4, 4, 1))
  fake = jax.random.normal(jax.random.key(1), (6, 4, 4, 1))
  for scale in (0.3, 1.0, 2.5):
    w = scale * jax.random.normal(jax.random.key(2), (16,))
    penalty = linear_critic_penalty(w, real, fake, jax.random.key(3))
    chex.assert_shape(penalty, ())
    np.testing.assert_allclose(penalty, (jnp.linalg.norm(w) - 1.0) ** 2,
                               rtol=1e-5, atol=1e-7)


def test_gradient_penalty_gradient_matches_finite_differences():
  """Double backprop: d penalty / d critic params, against central
  differences in float64."""
  with jax.enable_x64():
    real = jax.random.normal(jax.random.key(0), (5, 3), jnp.float64)
    fake = jax.random.normal(jax.random.key(1), (5, 3), jnp.float64)
    key = jax.random.key(2)

    def penalty(params):  # A small nonlinear critic: v . tanh(W x).
      critic = lambda x: jnp.tanh(x @ params['w']) @ params['v']
      return losses.gradient_penalty(critic, real, fake, key)

    params = {'w': jax.random.normal(jax.random.key(3), (3, 4), jnp.float64),
              'v': jax.random.normal(jax.random.key(4), (4,), jnp.float64)}
    grads = jax.grad(penalty)(params)
    flat, unravel = jax.flatten_util.ravel_pytree(params)
    flat_grads, _ = jax.flatten_util.ravel_pytree(grads)
    h = 1e-6
    numeric = np.array([
        (penalty(unravel(flat.at[i].add(h))) -
         penalty(unravel(flat.at[i].add(-h)))) / (2 * h)
        for i in range(flat.size)])
    np.testing.assert_allclose(flat_grads, numeric, rtol=1e-6, atol=1e-9)
    assert np.abs(numeric).max() > 1e-3  # Not trivially zero.


def test_gradient_penalty_uses_per_example_interpolates():
  """Interpolates lie on the segments between paired real and fake examples:
  a critic that is 1-Lipschitz along them only is not penalised."""
  real = jnp.zeros((8, 2))
  fake = jnp.ones((8, 2))
  # |grad| = 1 exactly for C(x) = (x1 + x2) / sqrt(2).
  penalty = losses.gradient_penalty(lambda x: x.sum(-1) / jnp.sqrt(2.0),
                                    real, fake, jax.random.key(0))
  np.testing.assert_allclose(penalty, 0.0, atol=1e-10)


# --------------------------------------------------------------- R1 and hooks
def test_r1_of_a_linear_critic_is_half_its_squared_norm():
  """D(x) = w.x has gradient w at every real image: R1 = ||w||^2 / 2,
  whatever the fakes and the key."""
  real = jax.random.normal(jax.random.key(0), (6, 4, 4, 1))
  w = 0.7 * jax.random.normal(jax.random.key(2), (16,))
  critic = lambda x: x.reshape(x.shape[0], -1) @ w
  penalty = losses.r1_penalty(critic, real, jnp.full_like(real, jnp.nan),
                              jax.random.key(3))
  chex.assert_shape(penalty, ())
  np.testing.assert_allclose(penalty, 0.5 * jnp.sum(w ** 2), rtol=1e-5)


def test_r1_is_measured_on_real_images_only():
  """For D(x) = sum(x^2) / 2 the input gradient is x itself, so R1 is half
  the mean squared norm of the real images."""
  real = jnp.array([[1.0, 2.0], [0.0, 3.0]])
  penalty = losses.r1_penalty(lambda x: 0.5 * jnp.sum(x ** 2, -1), real,
                              100 * real, jax.random.key(0))
  np.testing.assert_allclose(penalty, 0.5 * (5.0 + 9.0) / 2, rtol=1e-6)


def loss_config(**fields):
  config = ml_collections.ConfigDict({
      'name': 'non_saturating', 'gp_weight': 10.0, 'weight_clip': 0.01,
      'd_regularizers': (), 'r1_gamma': 10.0})
  config.update(fields)
  return config


def test_binding_a_loss_collects_its_regularisers_and_weights():
  bound = losses.bind(loss_config(name='wgan_gp', d_regularizers=('r1',),
                                  r1_gamma=0.5))
  assert [(name, weight) for name, _, weight in bound.d_regularizers] == [
      ('gradient_penalty', 10.0), ('r1', 0.5)]
  # Named twice, counted once.
  bound = losses.bind(loss_config(name='wgan_gp',
                                  d_regularizers=('gradient_penalty',)))
  assert [name for name, _, _ in bound.d_regularizers] == ['gradient_penalty']
  assert losses.bind(loss_config()).d_regularizers == ()
  with pytest.raises(ConfigError, match=r"loss\.d_regularizers='r2'.*r1"):
    losses.bind(loss_config(d_regularizers=('r2',)))


def test_after_update_hook_clips_only_where_the_loss_asks():
  params = {'w': jnp.array([-1.0, 0.005, 2.0])}
  clipped = losses.bind(loss_config(name='wgan')).after_d_update(params)
  np.testing.assert_array_equal(clipped['w'],
                                np.float32([-0.01, 0.005, 0.01]))
  same = losses.bind(loss_config()).after_d_update(params)
  assert same is params
