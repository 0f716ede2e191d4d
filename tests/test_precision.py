"""Mixed precision (model.compute_dtype): the bfloat16 matmul and its
gradients against float32, the layers' dtypes, and a whole train step."""

import re
import subprocess
import sys

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.core.errors import ConfigError
from jaxgan.evaluation import classifier
from jaxgan.models import conv_ops, layers, precision
from jaxgan.run import assemble, train
from tests.conftest import REPO, tiny_dcgan_config

# Tiny networks that compile far longer than they run, and no bit-identity
# between differently fused programs is tested
# (conftest.xla_older_fusion_emitters).
pytestmark = pytest.mark.usefixtures('xla_fast_compiling')

BF16 = jnp.bfloat16


def _close(a, b, rtol):
  """Relative error over the whole array: bfloat16 keeps 8 bits."""
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  assert np.linalg.norm(a - b) <= rtol * np.linalg.norm(b), (
      np.linalg.norm(a - b) / np.linalg.norm(b))


def test_float32_matmul_is_the_plain_contraction():
  x = jax.random.normal(jax.random.key(0), (5, 7))
  w = jax.random.normal(jax.random.key(1), (7, 3))
  chex.assert_trees_all_equal(precision.matmul(x, w), x @ w)


# n < k and n > k take the weight gradient's two routes (precision.py);
# 7, 11, 13: prime, so no 3-D transpose.
@pytest.mark.parametrize('shape', [(48, 36, 20), (7, 13, 11), (40, 12, 30),
                                   (7, 11, 13)])
def test_bfloat16_matmul_and_its_derivatives_match_float32(shape):
  m, k, n = shape
  x = jax.random.normal(jax.random.key(0), (m, k))
  w = jax.random.normal(jax.random.key(1), (k, n))

  def loss(x, w, dtype):  # Pre-activations of order 1: tanh not saturated.
    return jnp.sum(jnp.tanh(precision.matmul(x, w, dtype) / k ** 0.5) ** 2)

  y = jax.jit(lambda x, w: precision.matmul(x, w, BF16))(x, w)
  assert y.dtype == jnp.float32  # x's dtype: activations stay float32 here.
  _close(y, x @ w, 1e-2)
  grads = jax.jit(jax.grad(lambda x, w: loss(x, w, BF16), (0, 1)))(x, w)
  grads32 = jax.grad(lambda x, w: loss(x, w, jnp.float32), (0, 1))(x, w)
  for g, g32 in zip(grads, grads32):
    assert g.dtype == jnp.float32  # The weight's gradient is not rounded.
    _close(g, g32, 2e-2)
  # Second derivatives (the gradient penalty differentiates a gradient).
  hvp = jax.jit(jax.grad(lambda w: jnp.sum(
      jax.grad(lambda x: loss(x, w, BF16))(x) ** 2)))(w)
  hvp32 = jax.grad(lambda w: jnp.sum(
      jax.grad(lambda x: loss(x, w, jnp.float32))(x) ** 2))(w)
  _close(hvp, hvp32, 3e-2)


def test_bfloat16_dots_stay_bfloat16_on_cpu():
  """XLA:CPU runs a dot with a transposed operand in float32; the backward
  matmuls must reach it with row-major bfloat16 operands."""
  if jax.default_backend() != 'cpu':
    pytest.skip('XLA:CPU behaviour')
  x = jnp.ones((64, 96))
  w = jnp.ones((96, 32))
  grad = jax.jit(jax.grad(lambda x, w: jnp.sum(
      precision.matmul(x, w, BF16) ** 2), (0, 1)))
  hlo = grad.lower(x, w).compile().as_text()
  dots = [line for line in hlo.splitlines() if ' dot(' in line]
  assert len(dots) == 3
  for line in dots:
    operands = line.split(' dot(')[1].split(')')[0].split(', ')
    shapes = {name: hlo.split(f'{name} = ')[1].split('[')[0]
              for name in operands}
    assert set(shapes.values()) == {'bf16'}, line


@pytest.mark.parametrize('transpose,strides', [(False, (1, 1)),
                                               (False, (2, 2)),
                                               (True, (2, 2))])
def test_conv_layers_in_bfloat16_match_float32(transpose, strides):
  cls = layers.ConvTranspose if transpose else layers.Conv
  x = jax.random.normal(jax.random.key(0), (2, 7, 7, 6))
  outputs = {}
  for dtype in ('float32', 'bfloat16'):
    layer = cls(5, (5, 5), strides=strides, implementation='matmul',
                compute_dtype=dtype)

    @jax.jit
    def forward_and_back(x):
      params = layer.init(jax.random.key(1), x)
      y, vjp = jax.vjp(layer.apply, params, x)
      return y, vjp(jnp.ones_like(y))

    outputs[dtype] = forward_and_back(x)
  (y32, g32), (y16, g16) = outputs['float32'], outputs['bfloat16']
  _close(y16, y32, 1e-2)
  for a, b in zip(jax.tree.leaves(g16), jax.tree.leaves(g32)):
    assert a.dtype == jnp.float32
    _close(a, b, 2e-2)


def test_compute_dtype_names():
  assert precision.compute_dtype('float32') == jnp.float32
  assert precision.compute_dtype('bfloat16') == BF16
  native = (jax.default_backend() != 'cpu' or
            precision.cpu_has_native_bfloat16())
  assert precision.compute_dtype('auto') == (BF16 if native else jnp.float32)
  assert precision.compute_dtype('bfloat16_on_accelerators') == (
      jnp.float32 if jax.default_backend() == 'cpu' else BF16)
  if jax.default_backend() == 'cpu':
    assert precision.activation_dtype('bfloat16') == jnp.float32
  with pytest.raises(ConfigError, match=r"model.compute_dtype='half'.*"
                     r"auto, bfloat16_on_accelerators, float32, bfloat16"):
    precision.compute_dtype('half')


def test_conv_ops_multiply_in_the_given_dtype():
  x = jax.random.normal(jax.random.key(0), (2, 7, 7, 4))
  k = jax.random.normal(jax.random.key(1), (5, 5, 4, 3))
  y32 = conv_ops.conv(x, k, (1, 1), 'SAME')
  y16 = conv_ops.conv(x, k, (1, 1), 'SAME', BF16)
  assert y16.dtype == jnp.float32
  _close(y16, y32, 1e-2)
  assert not np.array_equal(y16, y32)  # It did round the operands.


# Each scheme compiles a bfloat16 step (15 s here): the default one in CI,
# the other two with the slow tests.
@pytest.mark.parametrize('scheme', [
    pytest.param('simultaneous', marks=pytest.mark.slow),
    pytest.param('alternating', marks=pytest.mark.slow),
    'alternating_fresh_noise'])
def test_bfloat16_step_keeps_float32_state_and_tracks_float32(scheme):
  results = {}
  for dtype in ('float32', 'bfloat16'):
    config = tiny_dcgan_config(update_scheme=scheme)
    config.model.compute_dtype = dtype
    state, step = assemble.initial_state_and_step(
        config, *assemble.build_models(config), (28, 28, 1), jax.random.key(0))
    data = {'images': jax.random.randint(jax.random.key(1), (32, 28, 28, 1),
                                         0, 256).astype(jnp.uint8),
            'labels': jnp.zeros((32,), jnp.int32)}
    new_state, metrics = jax.jit(step)(state, data, jax.random.key(2),
                                       jax.random.key(3))
    for leaf in jax.tree.leaves((new_state.g_params, new_state.d_params,
                                 new_state.g_opt_state, new_state.d_opt_state,
                                 new_state.g_batch_stats, metrics)):
      if jnp.issubdtype(leaf.dtype, jnp.floating):
        assert leaf.dtype == jnp.float32
    results[dtype] = metrics
  for name in ('d_loss', 'g_loss', 'd_real', 'd_fake'):
    np.testing.assert_allclose(results['bfloat16'][name],
                               results['float32'][name], rtol=2e-2)


@pytest.mark.parametrize('net', ['g', 'd'])
def test_one_network_keeps_its_own_compute_dtype(net):
  """model.{g,d}_compute_dtype=float32 under model.compute_dtype=bfloat16:
  that network computes bit for bit as in float32, the other as in
  bfloat16."""
  outputs = {}
  for setting in ('float32', 'bfloat16', 'mixed'):
    config = tiny_dcgan_config()
    config.model.compute_dtype = 'float32' if setting == 'float32' else 'bfloat16'
    if setting == 'mixed':
      config.model[f'{net}_compute_dtype'] = 'float32'
    g_model, d_model = assemble.build_models(config)

    @jax.jit  # One program per setting, not one per op.
    def forward():
      z = jax.random.normal(jax.random.key(0), (4, config.model.noise_dim))
      g_vars = g_model.init(jax.random.key(1), z, None, train=False)
      images = g_model.apply(g_vars, z, None, train=False)
      real = jax.random.uniform(jax.random.key(2), images.shape, minval=-1)
      d_vars = d_model.init(jax.random.key(3), real, None, train=False)
      return images, d_model.apply(d_vars, real, None, train=False)

    outputs[setting] = forward()
  own, other = (0, 1) if net == 'g' else (1, 0)
  chex.assert_trees_all_equal(outputs['mixed'][own], outputs['float32'][own])
  chex.assert_trees_all_equal(outputs['mixed'][other],
                              outputs['bfloat16'][other])
  assert not np.array_equal(outputs['bfloat16'][own], outputs['float32'][own])


@pytest.mark.parametrize('strides', [(1, 1), (2, 2)])
def test_bfloat16_conv_second_derivatives_match_float32(strides):
  """The gradient penalty differentiates D's input gradient with respect to
  its weights, through the convolutions' transposed patches."""
  x = jax.random.normal(jax.random.key(0), (2, 8, 8, 3))
  k = jax.random.normal(jax.random.key(1), (3, 3, 3, 4)) / 3

  def penalty(k, dtype):
    input_grad = jax.grad(lambda x: jnp.sum(jnp.tanh(
        conv_ops.conv(x, k, strides, 'SAME', dtype))))(x)
    return jnp.sum(input_grad ** 2)

  got = jax.jit(jax.grad(lambda k: penalty(k, BF16)))(k)
  want = jax.grad(lambda k: penalty(k, jnp.float32))(k)
  _close(got, want, 3e-2)


@pytest.mark.slow
def test_bf16_gradient_check_reports_every_loss_term(tmp_path):
  """launch/bf16_gradient_check.py on a few WGAN-GP steps: both
  comparisons, every term, and bfloat16 closer to float32 than another
  batch is."""
  config = tiny_dcgan_config()
  config.loss.name = 'wgan_gp'
  train.train_and_evaluate(config, str(tmp_path / 'run'))
  result = subprocess.run(
      [sys.executable, 'launch/bf16_gradient_check.py',
       f'--workdir={tmp_path / "run"}', '--batch_size=8'],
      cwd=REPO,
      capture_output=True, text=True, timeout=600, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  sections = result.stdout.split('== ')[1:]
  assert [s.splitlines()[0] for s in sections] == [
      'bfloat16, the same batch', 'float32, another batch']
  differences = []
  for section in sections:
    terms = dict(re.findall(r'^(\w+): .*relative difference ([\d.]+)',
                            section, re.M))
    assert set(terms) == {'d_loss', 'gradient_penalty', 'g_loss'}, section
    differences.append({k: float(v) for k, v in terms.items()})
  for term, bf16 in differences[0].items():
    assert bf16 < 0.1 and bf16 < differences[1][term], (term, differences)


def _dots_and_convolutions(lowered) -> list:
  return re.findall(r'stablehlo\.(?:dot_general|convolution)\b[^\n]*',
                    lowered.as_text())


def test_float32_is_asked_for_in_every_dot_and_convolution():
  """Unasked, XLA may run a float32 dot as TF32 on GPUs and as bfloat16
  passes on TPUs: every dot and convolution of a float32 train step (its
  gradients and the gradient penalty's second derivatives included) and of
  the evaluator says HIGHEST in the lowered program."""
  config = tiny_dcgan_config()
  config.loss.name = 'wgan_gp'
  config.model.d_batchnorm = False
  config.model.compute_dtype = 'float32'
  # Lowered, not run: the state's shapes are all it needs.
  state, step = assemble.initial_state_and_step(
      config, *assemble.build_models(config), (28, 28, 1), jax.random.key(0),
      abstract=True)
  data = {'images': jnp.zeros((16, 28, 28, 1), jnp.uint8)}
  ops = _dots_and_convolutions(jax.jit(step).lower(
      state, data, jax.random.key(1), jax.random.key(2)))
  assert len(ops) > 10
  assert all('precision = [HIGHEST, HIGHEST]' in op for op in ops), ops
  # bfloat16 leaves the backend its own precision.
  config.model.compute_dtype = 'bfloat16'
  state, step = assemble.initial_state_and_step(
      config, *assemble.build_models(config), (28, 28, 1), jax.random.key(0),
      abstract=True)
  ops = _dots_and_convolutions(jax.jit(step).lower(
      state, data, jax.random.key(1), jax.random.key(2)))
  assert not any('HIGHEST' in op for op in ops if 'bf16' in op), ops

  model = classifier.EvaluatorCNN(num_classes=10)
  x = jnp.zeros((2, 28, 28, 1))
  variables = jax.eval_shape(
      lambda: model.init(jax.random.key(0), x, train=False))
  ops = _dots_and_convolutions(jax.jit(
      lambda v: model.apply(v, x, train=False)).lower(variables))
  assert ops and all('precision = [HIGHEST, HIGHEST]' in op for op in ops)
