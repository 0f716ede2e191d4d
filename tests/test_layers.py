"""The matmul convolutions equal flax's nn.Conv / nn.ConvTranspose:
same parameters, outputs, and gradients for parameters and inputs; and
jaxgan's Dropout is flax's in distribution."""

import functools
import itertools

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.core.errors import ConfigError
from jaxgan.models import layers
from tests.test_parallel import json_line, run_script
from tests.test_steps import build, keys, relative_difference

# The layers compile far longer than they run here, and no bit-identity
# between differently fused programs is tested
# (conftest.xla_older_fusion_emitters).
pytestmark = pytest.mark.usefixtures('xla_fast_compiling')

CASES = list(itertools.product([3, 4, 5], [1, 2], ['SAME', 'VALID'],
                               [(7, 7), (8, 6)]))


def compare(reference: nn.Module, fast: nn.Module, x: jnp.ndarray):
  params, fast_params, (ref_out, fast_out), (ref_grads, fast_grads) = (
      _outputs_and_grads(reference, fast, x))
  chex.assert_trees_all_equal(params, fast_params)
  chex.assert_equal_shape((ref_out, fast_out))
  scale = float(jnp.abs(ref_out).max())
  np.testing.assert_allclose(fast_out, ref_out, atol=1e-5 * scale, rtol=1e-5)
  for ref_g, fast_g in zip(jax.tree.leaves(ref_grads),
                           jax.tree.leaves(fast_grads)):
    np.testing.assert_allclose(fast_g, ref_g, rtol=1e-4,
                               atol=1e-4 * float(jnp.abs(ref_g).max()))


@functools.partial(jax.jit, static_argnums=(0, 1))  # One program a case.
def _outputs_and_grads(reference: nn.Module, fast: nn.Module, x: jnp.ndarray):
  """Both modules' params (from one key), outputs on the reference's
  params, and gradients for params and input of a random projection."""
  params = reference.init(jax.random.key(0), x)
  fast_params = fast.init(jax.random.key(0), x)
  cotangent = jax.random.normal(jax.random.key(1),
                                reference.apply(params, x).shape)

  def loss(module):
    return lambda p, x: jnp.sum(module.apply(p, x) * cotangent)

  outputs = reference.apply(params, x), fast.apply(params, x)
  grads = (jax.grad(loss(reference), argnums=(0, 1))(params, x),
           jax.grad(loss(fast), argnums=(0, 1))(params, x))
  return params, fast_params, outputs, grads


@pytest.mark.parametrize('kernel,stride,padding,size', CASES)
def test_conv_matches_flax(kernel, stride, padding, size):
  x = jax.random.normal(jax.random.key(2), (2,) + size + (3,))
  args = dict(features=4, kernel_size=(kernel, kernel),
              strides=(stride, stride), padding=padding)
  compare(nn.Conv(**args), layers.Conv(**args, implementation='matmul'), x)


@pytest.mark.parametrize('kernel,stride,padding,size', CASES)
def test_conv_transpose_matches_flax(kernel, stride, padding, size):
  x = jax.random.normal(jax.random.key(2), (2,) + size + (3,))
  args = dict(features=4, kernel_size=(kernel, kernel),
              strides=(stride, stride), padding=padding)
  compare(nn.ConvTranspose(**args),
          layers.ConvTranspose(**args, implementation='matmul'), x)


@pytest.mark.parametrize('cls,reference', [(layers.Conv, nn.Conv),
                                           (layers.ConvTranspose, nn.ConvTranspose)])
def test_explicit_padding_stride_3_no_bias(cls, reference):
  x = jax.random.normal(jax.random.key(2), (1, 9, 5, 2))
  args = dict(features=3, kernel_size=(4, 2), strides=(3, 2),
              padding=((1, 2), (0, 1)), use_bias=False)
  compare(reference(**args), cls(**args, implementation='matmul'), x)


def test_xla_implementation_is_flax_native():
  x = jax.random.normal(jax.random.key(2), (2, 7, 7, 3))
  args = dict(features=4, kernel_size=(5, 5), strides=(2, 2))
  compare(nn.ConvTranspose(**args),
          layers.ConvTranspose(**args, implementation='xla'), x)


def test_auto_picks_matmul_on_cpu_only():
  assert layers.uses_matmul('auto') == (jax.default_backend() == 'cpu')
  assert layers.uses_matmul('matmul') and not layers.uses_matmul('xla')
  with pytest.raises(ConfigError, match=r"model.conv_impl='fast'.*matmul"):
    layers.uses_matmul('fast')


# 40 s of compiling the native step on 2 cores: with the slow tests. The
# per-layer tests above check each convolution's outputs and gradients.
@pytest.mark.slow
def test_dcgan_trains_the_same_with_either_implementation():
  """Train steps of the Sun & Yang's DCGAN, native vs matmul convolutions.

  After one step the params agree to 1% of what the update moved them. Over
  further steps Adam's normalisation amplifies float32 round-off on near-zero
  gradients (at batch 4, with BatchNorm), so trajectories drift apart
  chaotically; their losses must still agree."""
  results = {}
  for impl in ('xla', 'matmul'):
    state, step, data = build(conv_impl=impl)
    step = jax.jit(step)
    initial = state.g_params
    state, metrics = step(state, data, *keys())
    first = state
    losses = [metrics]
    for _ in range(4):
      state, metrics = step(state, data, *keys())
      losses.append(metrics)
    results[impl] = first, losses
  (xla, xla_losses), (fast, fast_losses) = results['xla'], results['matmul']
  one_update = relative_difference(xla.g_params, initial)
  assert relative_difference(xla.g_params, fast.g_params) < 0.01 * one_update
  assert relative_difference(xla.d_params, fast.d_params) < 0.01 * one_update
  for a, b in zip(xla_losses, fast_losses):
    np.testing.assert_allclose([a['d_loss'], a['g_loss']],
                               [b['d_loss'], b['g_loss']], rtol=2e-3)


def dropout(x, key, rate=0.3, deterministic=False):
  return layers.Dropout(rate, deterministic).apply({}, x,
                                                   rngs={'dropout': key})


@pytest.mark.parametrize('shape', [(64, 14, 14, 64), (250, 3, 5), (4001, 1)])
def test_dropout_drops_its_rate_and_scales_the_rest(shape):
  """Shapes whose per-example size is and is not a multiple of the four
  draws per hash."""
  y = jax.jit(dropout)(jnp.ones(shape), jax.random.key(0))
  chex.assert_shape(y, shape)
  chex.assert_type(y, jnp.float32)
  kept = np.asarray(y) != 0
  np.testing.assert_allclose(np.asarray(y)[kept], 1 / 0.7, rtol=1e-6)
  n = kept.size  # The dropped fraction within 5 standard deviations.
  assert abs((1 - kept.mean()) - 0.3) < 5 * np.sqrt(0.21 / n)
  # No example repeats another's mask, nor a column its neighbour's.
  rows = kept.reshape(shape[0], -1)
  if rows.shape[1] >= 16:
    assert len({r.tobytes() for r in rows}) == shape[0]
  if rows.shape[1] > 1:
    assert not np.array_equal(rows[:, 0], rows[:, -1])


def test_dropout_is_a_function_of_its_key():
  x = jax.random.normal(jax.random.key(9), (8, 7, 7, 16))
  chex.assert_trees_all_equal(dropout(x, jax.random.key(1)),
                              dropout(x, jax.random.key(1)))
  assert not np.array_equal(dropout(x, jax.random.key(1)),
                            dropout(x, jax.random.key(2)))
  chex.assert_trees_all_equal(
      dropout(x, jax.random.key(1), deterministic=True), x)
  chex.assert_trees_all_equal(dropout(x, jax.random.key(1), rate=0.0), x)
  chex.assert_trees_all_equal(dropout(x, jax.random.key(1), rate=1.0),
                              jnp.zeros_like(x))
  # Other PRNG implementations draw through jax.random.bits.
  rbg = dropout(jnp.ones((64, 100)), jax.random.key(1, impl='rbg'))
  assert abs(float(jnp.mean(rbg == 0)) - 0.3) < 0.03


def test_dropout_mask_is_the_same_with_the_batch_over_eight_devices(
    tmp_path):
  result = json_line(run_script('dropout_sharding_check.py', tmp_path / 'log',
                                devices=8))
  assert result == {'devices': 8, 'elements_differing': 0}
