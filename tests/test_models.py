"""Shapes, dtypes and ranges of the registered generators and discriminators."""

import chex
import jax
import jax.numpy as jnp
import pytest

from configs import default
from jaxgan import models
from jaxgan.errors import ConfigError
from jaxgan.state import generator_output_shape

VARIANTS = [('dcgan_mnist_g', (28, 28, 1)), ('dcgan_svhn_g', (32, 32, 3))]


def model_config(generator='dcgan_mnist_g', **overrides):
  cfg = default.get_config().model
  cfg.generator = generator
  cfg.d_dropout = 0.3
  cfg.update(overrides)
  return cfg


@pytest.mark.parametrize('name,image_shape', VARIANTS)
def test_generator_shape_dtype_and_range(name, image_shape):
  g = models.build_generator(model_config(name))
  z = jax.random.normal(jax.random.key(0), (3, 100)) * 50.0  # Saturate tanh.
  variables = g.init(jax.random.key(1), z, train=False)
  for train in (False, True):
    out, _ = g.apply(variables, z, train=train, mutable=['batch_stats'])
    chex.assert_shape(out, (3,) + image_shape)
    chex.assert_type(out, jnp.float32)
    assert float(out.min()) >= -1.0 and float(out.max()) <= 1.0
    assert float(jnp.abs(out).max()) > 0.9  # tanh really reaches the ends.
  assert generator_output_shape(g, 100) == image_shape


@pytest.mark.parametrize('_,image_shape', VARIANTS)
def test_discriminator_gives_one_logit_per_image(_, image_shape):
  d = models.build_discriminator(model_config())
  x = jax.random.uniform(jax.random.key(0), (5,) + image_shape, minval=-1.0)
  variables = d.init(jax.random.key(1), x, train=False)
  logits = d.apply(variables, x, train=True,
                   rngs={'dropout': jax.random.key(2)})
  chex.assert_shape(logits, (5,))
  chex.assert_type(logits, jnp.float32)
  chex.assert_tree_all_finite(logits)
  # Dropout is active in training mode only.
  eval_a = d.apply(variables, x, train=False)
  eval_b = d.apply(variables, x, train=False)
  chex.assert_trees_all_equal(eval_a, eval_b)
  train_b = d.apply(variables, x, train=True,
                    rngs={'dropout': jax.random.key(3)})
  assert not jnp.array_equal(logits, train_b)


def test_seed_000_architecture():
  """Layer shapes of seed 000, section 2.1: the parameter tree says it all."""
  g = models.build_generator(model_config())
  g_vars = g.init(jax.random.key(0), jnp.zeros((1, 100)), train=False)
  shapes = jax.tree.map(jnp.shape, g_vars['params'])
  assert shapes['Dense_0']['kernel'] == (100, 7 * 7 * 256)
  assert [shapes[f'ConvTranspose_{i}']['kernel'] for i in range(3)] == [
      (5, 5, 256, 128), (5, 5, 128, 64), (5, 5, 64, 1)]
  assert set(g_vars['batch_stats']) == {'BatchNorm_0', 'BatchNorm_1',
                                        'BatchNorm_2'}
  d = models.build_discriminator(model_config())
  d_vars = d.init(jax.random.key(0), jnp.zeros((1, 28, 28, 1)), train=False)
  shapes = jax.tree.map(jnp.shape, d_vars['params'])
  assert [shapes[f'Conv_{i}']['kernel'] for i in range(3)] == [
      (5, 5, 1, 64), (5, 5, 64, 128), (5, 5, 128, 256)]
  assert shapes['Dense_0']['kernel'] == (4 * 4 * 256, 1)  # 28->14->7->4.
  assert 'batch_stats' not in d_vars


def test_same_key_same_params_and_kernel_init_choice():
  cfg = model_config(kernel_init='normal_0.02')
  g = models.build_generator(cfg)
  a = g.init(jax.random.key(0), jnp.zeros((1, 100)), train=False)
  b = g.init(jax.random.key(0), jnp.zeros((1, 100)), train=False)
  chex.assert_trees_all_equal(a, b)
  kernel = a['params']['Dense_0']['kernel']
  assert abs(float(kernel.std()) - 0.02) < 0.001


@pytest.mark.parametrize('field,name', [('generator', 'dcgan_mnist_gen'),
                                        ('discriminator', 'resnet_d')])
def test_unknown_model_name_lists_choices(field, name):
  cfg = model_config(**{field: name})
  build = (models.build_generator if field == 'generator' else
           models.build_discriminator)
  with pytest.raises(ConfigError, match=rf"model\.{field}='{name}'.*valid choices: .*dcgan"):
    build(cfg)
