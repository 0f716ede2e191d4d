"""Loss values at known logits and the saturating/non-saturating gradients."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import losses
from jaxgan.errors import ConfigError


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
