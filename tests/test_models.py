"""Shapes, dtypes, ranges and architectures of every registered model.

The cases come from configs/: each experiment's (generator, discriminator) on
its dataset's image shape, so a new config is tested here automatically, and
a registered model that no config uses fails `test_every_model_has_a_config`.
"""

import functools
import glob
import importlib
import os

import chex
import jax
import jax.numpy as jnp
import pytest

from jaxgan import models
from jaxgan.configs import default
from jaxgan.core.errors import ConfigError
from jaxgan.datasets import data
from jaxgan.run import config_validation
from jaxgan.step.state import generator_output_shape

# Models compile far longer than they run here, and no bit-identity between
# differently fused programs is tested (conftest.xla_older_fusion_emitters).
pytestmark = pytest.mark.usefixtures('xla_fast_compiling')

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG_NAMES = sorted(
    os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO, 'configs', '*.py'))
    if os.path.basename(p) not in ('__init__.py', 'default.py'))


def experiment_config(name):
  return importlib.import_module(f'jaxgan.configs.{name}').get_config()


def _distinct_models():
  """One config per distinct (models, dataset, model options) of configs/."""
  seen = {}
  for name in CONFIG_NAMES:
    config = experiment_config(name)
    key = (config.data.name, repr(sorted(config.model.to_dict().items())))
    seen.setdefault(key, name)
  return sorted(seen.values())


MODEL_CASES = _distinct_models()


def build(config):
  shape = data.dataset_spec(config.data).image_shape
  return (models.build_generator(config.model, shape),
          models.build_discriminator(config.model, shape), shape)


def jit_init(model, *args, **static):
  """model.init as one jitted program (op by op, every layer would compile
  programs of its own)."""
  return jax.jit(functools.partial(model.init, **static))(*args)


def jit_apply(model, variables, *args, **static):
  """model.apply as one jitted program."""
  return jax.jit(functools.partial(model.apply, **static))(variables, *args)


def labels_for(config, batch):
  n = config.model.num_classes
  return jnp.arange(batch) % n if n else None


def test_every_model_has_a_config():
  used_g = {experiment_config(n).model.generator for n in CONFIG_NAMES}
  used_d = {experiment_config(n).model.discriminator for n in CONFIG_NAMES}
  assert set(models.generators.names()) == used_g
  assert set(models.discriminators.names()) == used_d


@pytest.mark.parametrize('name', MODEL_CASES)
def test_generator_shape_dtype_and_range(name):
  config = experiment_config(name)
  g, _, shape = build(config)
  z = jax.random.normal(jax.random.key(0), (3, 100))
  labels = labels_for(config, 3)

  @jax.jit  # One program: each case's init and applies compile once.
  def generate(z, labels):
    variables = g.init(jax.random.key(1), z, labels, train=False)
    # Large kernels saturate tanh (BatchNorm would undo a large z).
    variables = jax.tree_util.tree_map_with_path(
        lambda path, x: x * 50.0 if 'kernel' in jax.tree_util.keystr(path)
        else x, variables)
    return [g.apply(variables, z, labels, train=train,
                    mutable=['batch_stats'],
                    rngs={'dropout': jax.random.key(2)})[0]
            for train in (False, True)]

  for out in generate(z, labels):
    chex.assert_shape(out, (3,) + shape)
    chex.assert_type(out, jnp.float32)
    assert float(out.min()) >= -1.0 and float(out.max()) <= 1.0
    assert float(jnp.abs(out).max()) > 0.9  # tanh really reaches the ends.
  assert generator_output_shape(g, 100) == shape


@pytest.mark.parametrize('name', MODEL_CASES)
def test_discriminator_gives_one_logit_per_image(name):
  config = experiment_config(name)
  _, d, shape = build(config)
  x = jax.random.uniform(jax.random.key(0), (5,) + shape, minval=-1.0)
  labels = labels_for(config, 5)

  @jax.jit  # One program: each case's init and applies compile once.
  def logits(x, labels):
    """Training-mode logits under two dropout keys, and eval-mode logits."""
    variables = d.init(jax.random.key(1), x, labels, train=False)
    return (*[d.apply(variables, x, labels, train=True,
                      mutable=['batch_stats'],
                      rngs={'dropout': jax.random.key(key)})[0]
              for key in (2, 3)],
            d.apply(variables, x, labels, train=False))

  train_logits, other_key_logits, eval_logits = logits(x, labels)
  for value in (train_logits, eval_logits):
    chex.assert_shape(value, (5,))
    chex.assert_type(value, jnp.float32)
    chex.assert_tree_all_finite(value)
  chex.assert_trees_all_equal(logits(x, labels),
                              (train_logits, other_key_logits, eval_logits))
  if config.model.d_dropout > 0:  # Dropout is active in training mode only.
    assert not jnp.array_equal(train_logits, other_key_logits)
  else:
    chex.assert_trees_all_equal(train_logits, other_key_logits)


def param_shapes(module, *inputs):
  """Variable shapes by shape inference alone (no compute)."""
  variables = jax.eval_shape(
      lambda: module.init(jax.random.key(0), *inputs, train=False))
  return jax.tree.map(lambda v: v.shape, variables)


def test_seed_000_architecture():
  """Sun & Yang, section 2.1: the parameter tree says it all."""
  config = experiment_config('dcgan_mnist')
  g, d, _ = build(config)
  shapes = param_shapes(g, jnp.zeros((1, 100)))
  assert shapes['params']['Dense_0']['kernel'] == (100, 7 * 7 * 256)
  assert [shapes['params'][f'ConvTranspose_{i}']['kernel'] for i in range(3)] == [
      (5, 5, 256, 128), (5, 5, 128, 64), (5, 5, 64, 1)]
  assert set(shapes['batch_stats']) == {'BatchNorm_0', 'BatchNorm_1',
                                        'BatchNorm_2'}
  shapes = param_shapes(d, jnp.zeros((1, 28, 28, 1)))
  trunk = shapes['params']['trunk']
  assert [trunk[f'Conv_{i}']['kernel'] for i in range(3)] == [
      (5, 5, 1, 64), (5, 5, 64, 128), (5, 5, 128, 256)]
  assert shapes['params']['Dense_0']['kernel'] == (4 * 4 * 256, 1)  # 28->14->7->4.
  assert 'batch_stats' not in shapes


def test_seed_000_as_its_code_runs_it():
  """Sun & Yang's released code: no BatchNorm (and no bias) after G's
  projection; D normalises its second and third convs."""
  g, d, _ = build(experiment_config('dcgan_mnist_code'))
  shapes = param_shapes(g, jnp.zeros((1, 100)))
  assert shapes['params']['Dense_0'] == {'kernel': (100, 7 * 7 * 256)}
  assert set(shapes['batch_stats']) == {'BatchNorm_0', 'BatchNorm_1'}
  assert shapes['batch_stats']['BatchNorm_0']['mean'] == (128,)
  # The same kernels as the text's model: the two differ only in the BN.
  text_g, _, _ = build(experiment_config('dcgan_mnist'))
  kernels = lambda tree: {k: v['kernel'] for k, v in tree['params'].items()
                          if 'kernel' in v}
  assert kernels(shapes) == kernels(param_shapes(text_g, jnp.zeros((1, 100))))
  shapes = param_shapes(d, jnp.zeros((1, 28, 28, 1)))
  assert set(shapes['batch_stats']['trunk']) == {'BatchNorm_0', 'BatchNorm_1'}


def test_seed_000_svhn_variant():
  g, d, shape = build(experiment_config('dcgan_svhn'))
  assert shape == (32, 32, 3)
  shapes = param_shapes(g, jnp.zeros((1, 100)))['params']
  assert shapes['Dense_0']['kernel'] == (100, 8 * 8 * 256)
  assert shapes['ConvTranspose_2']['kernel'] == (5, 5, 64, 3)
  shapes = param_shapes(d, jnp.zeros((1,) + shape))['params']
  assert shapes['Dense_0']['kernel'] == (4 * 4 * 256, 1)  # 32->16->8->4.


def test_pytorch_style_dcgan_follows_the_dcgan_guidelines():
  """Singh: z as a 1x1 map, 4x4 VALID transposed conv to 4x4, then 7, 14,
  28; BN in G's hidden layers and in D except its input layer; no biases;
  a conv head to one logit."""
  g, d, _ = build(experiment_config('dcgan_nonsaturating_mnist'))
  shapes = param_shapes(g, jnp.zeros((1, 100)))
  assert [shapes['params'][f'ConvTranspose_{i}']['kernel'] for i in range(4)] == [
      (4, 4, 100, 256), (3, 3, 256, 128), (4, 4, 128, 64), (4, 4, 64, 1)]
  assert len(shapes['batch_stats']) == 3
  assert not any('bias' in layer for name, layer in shapes['params'].items()
                 if name.startswith('ConvTranspose'))
  shapes = param_shapes(d, jnp.zeros((1, 28, 28, 1)))
  assert set(shapes['batch_stats']['trunk']) == {'BatchNorm_0', 'BatchNorm_1'}
  assert shapes['params']['Conv_0']['kernel'] == (4, 4, 256, 1)


def test_bn_scale_init_draws_scales_around_one():
  config = experiment_config('dcgan_nonsaturating_mnist')
  g, _, _ = build(config)
  scale = jit_init(g, jax.random.key(0), jnp.zeros((1, 100)), train=False)[
      'params']['BatchNorm_0']['scale']
  assert 0.005 < float(scale.std()) < 0.05 and abs(float(scale.mean()) - 1) < 0.01


def test_radford_64_has_four_fractionally_strided_convs():
  g, d, shape = build(experiment_config('dcgan_radford_celeba'))
  assert shape == (64, 64, 3)
  shapes = param_shapes(g, jnp.zeros((1, 100)))['params']
  assert shapes['Dense_0']['kernel'] == (100, 4 * 4 * 1024)
  assert [shapes[f'ConvTranspose_{i}']['kernel'][2:] for i in range(4)] == [
      (1024, 512), (512, 256), (256, 128), (128, 3)]
  shapes = param_shapes(d, jnp.zeros((1,) + shape))['params']
  assert shapes['Dense_0']['kernel'] == (4 * 4 * 512, 1)


def test_batchnorm_without_scale_and_bias():
  """Vijaya Lakshmi & Ganaraju, section IX: the conditional MNIST model
  drops both."""
  g, _, _ = build(experiment_config('cdcgan_mnist'))
  params = jit_init(g, jax.random.key(0), jnp.zeros((1, 100)),
                    jnp.zeros((1,), int), train=False)['params']
  bn_params = [leaf for path, leaf in jax.tree_util.tree_leaves_with_path(params)
               if 'BatchNorm' in jax.tree_util.keystr(path)]
  assert bn_params == []


def test_label_reaches_every_layer_of_the_authors_conditional_model():
  """The DCGAN authors' conditional MNIST code: each layer's input is its
  predecessor's output plus the 10 one-hot label features; no biases."""
  g, d, shape = build(experiment_config('cdcgan_radford_mnist'))
  g_shapes = param_shapes(g, jnp.zeros((1, 100)), jnp.zeros((1,), int))
  assert g_shapes['params'] == {
      'Dense_0': {'kernel': (110, 1024)},
      'Dense_1': {'kernel': (1034, 7 * 7 * 128)},
      'ConvTranspose_0': {'kernel': (5, 5, 138, 64)},
      'ConvTranspose_1': {'kernel': (5, 5, 74, 1)}}
  d_shapes = param_shapes(d, jnp.zeros((1,) + shape), jnp.zeros((1,), int))
  assert d_shapes['params'] == {
      'Conv_0': {'kernel': (5, 5, 11, 64)},
      'Conv_1': {'kernel': (5, 5, 74, 128)},
      'Dense_0': {'kernel': (7 * 7 * 128 + 10, 1024)},
      'Dense_1': {'kernel': (1034, 1)}}


def test_unit_pixels_computes_the_authors_sigmoid_nets_in_jaxgans_range():
  """model.unit_pixels keeps the parameters; G returns 2 s - 1 for the
  authors' sigmoid output s of the same pre-activation, and D reads an image
  x in [-1, 1] as the authors' D reads (x + 1) / 2."""
  config = experiment_config('cdcgan_radford_mnist')
  g, d, shape = build(config)
  config.model.unit_pixels = True
  g_unit, d_unit, _ = build(config)
  z = jax.random.uniform(jax.random.key(0), (4, 100), minval=-1.0)
  labels = jnp.arange(4)
  g_vars = jit_init(g, jax.random.key(1), z, labels, train=False)
  tanh_out = jit_apply(g, g_vars, z, labels, train=False)
  unit_out = jit_apply(g_unit, g_vars, z, labels, train=False)
  pre_activation = jnp.arctanh(tanh_out)
  chex.assert_trees_all_close(unit_out, 2 * jax.nn.sigmoid(pre_activation) - 1,
                              atol=1e-4)
  assert float(unit_out.min()) >= -1.0 and float(unit_out.max()) <= 1.0
  x = jax.random.uniform(jax.random.key(2), (4,) + shape, minval=-1.0)
  d_vars = jit_init(d, jax.random.key(3), x, labels, train=False)
  unit_logits = jit_apply(d_unit, d_vars, x, labels, train=False)
  chex.assert_trees_all_close(
      unit_logits, jit_apply(d, d_vars, (x + 1) / 2, labels, train=False),
      atol=1e-5)
  assert not jnp.allclose(unit_logits,
                          jit_apply(d, d_vars, x, labels, train=False))


def test_unit_pixels_is_refused_by_models_without_it():
  config = experiment_config('cdcgan_mnist')
  config.model.unit_pixels = True
  with pytest.raises(ConfigError, match=r"unit_pixels=True is only built into "
                     r"cdcgan_radford_g; model.generator='cdcgan_g'"):
    config_validation.validate(config)


def test_he_port_discriminator_normalises_and_clips_the_authors_logit():
  """cdcgan_he_d is the authors' D with He's port's head: the logit batch-
  normalised over the batch (no scale, bias), LeakyReLU, then clipped to
  [1e-7, 1 - 1e-7]; with the same parameters it is that function of theirs."""
  config = experiment_config('cdcgan_he_mnist')
  _, he_d, shape = build(config)
  config.model.discriminator = 'cdcgan_radford_d'
  _, authors_d, _ = build(config)
  x = jax.random.uniform(jax.random.key(0), (16,) + shape, minval=-1.0)
  labels = jnp.arange(16) % 10
  variables = jit_init(he_d, jax.random.key(1), x, labels, train=False)
  out, _ = jit_apply(he_d, variables, x, labels, train=True,
                     mutable=['batch_stats'])
  authors_vars = {'params': variables['params'], 'batch_stats': {
      k: v for k, v in variables['batch_stats'].items() if k != 'BatchNorm_2'}}
  logit, _ = jit_apply(authors_d, authors_vars, x, labels, train=True,
                             mutable=['batch_stats'])
  normalised = (logit - logit.mean()) / jnp.sqrt(logit.var() +
                                                 config.model.bn_epsilon)
  slope = config.model.leaky_relu_slope
  expected = jnp.clip(jnp.where(normalised > 0, normalised, slope * normalised),
                      1e-7, 1 - 1e-7)
  chex.assert_trees_all_close(out, expected, atol=1e-4)
  assert float(out.min()) >= 1e-7 and float(out.max()) <= 1 - 1e-7
  assert 0 < int(jnp.sum(out == 1e-7)) < 16  # The clip binds on some.


def test_mlp_layer_sizes_come_from_the_config():
  config = experiment_config('mlp_gan_mnist')
  config.model.mlp.g_hidden = (32, 64, 128)
  config.model.mlp.d_hidden = (48,)
  g, d, _ = build(config)
  g_shapes = param_shapes(g, jnp.zeros((1, 100)))['params']
  assert [g_shapes[f'Dense_{i}']['kernel'] for i in range(4)] == [
      (100, 32), (32, 64), (64, 128), (128, 784)]
  d_shapes = param_shapes(d, jnp.zeros((1, 28, 28, 1)))['params']
  assert [d_shapes[f'Dense_{i}']['kernel'] for i in range(2)] == [(784, 48), (48, 1)]


def test_conv_gan_pooling_changes_the_function_not_the_params():
  """Kapoor & Orozco, Table 1: 2 convs of 5 channels; pooling 2x2 / stride 1
  adds no parameters but changes what D computes."""
  plain = experiment_config('conv_gan_mnist')
  pooled = experiment_config('conv_pool_gan_mnist')
  _, d_plain, _ = build(plain)
  _, d_pooled, _ = build(pooled)
  x = jax.random.uniform(jax.random.key(0), (2, 28, 28, 1), minval=-1.0)
  variables = jit_init(d_plain, jax.random.key(1), x, train=False)
  chex.assert_trees_all_equal_shapes(
      variables, jit_init(d_pooled, jax.random.key(1), x, train=False))
  kernels = [variables['params']['stack'][f'Conv_{i}']['kernel'].shape
             for i in range(2)]
  assert kernels == [(3, 3, 1, 5), (3, 3, 5, 5)]
  assert not jnp.allclose(jit_apply(d_plain, variables, x, train=False),
                          jit_apply(d_pooled, variables, x, train=False))


def test_lstm_gan_reads_rows_as_a_sequence():
  g, d, _ = build(experiment_config('lstm_gan_mnist'))
  d_params = param_shapes(d, jnp.zeros((1, 28, 28, 1)))['params']
  assert len(d_params['stack']) == 2  # Two LSTM layers.
  x = jax.random.uniform(jax.random.key(0), (2, 28, 28, 1), minval=-1.0)
  variables = jit_init(d, jax.random.key(1), x, train=False)
  # The last row is the last step: changing it changes the logit; the model
  # sees rows in order (reversing them changes the logit too).
  base = jit_apply(d, variables, x, train=False)
  assert not jnp.allclose(base, jit_apply(d, variables, x.at[:, -1].set(0.0),
                                        train=False))
  assert not jnp.allclose(base, jit_apply(d, variables, x[:, ::-1],
                                          train=False))


@pytest.mark.parametrize('name,conditioning', [
    ('cdcgan_mnist', 'projection'), ('cdcgan_mnist', 'concat'),
    ('cdcgan_radford_mnist', 'projection')])  # The last ignores it.
def test_conditional_models_depend_on_the_label(name, conditioning):
  config = experiment_config(name)
  config.model.conditional.d_conditioning = conditioning
  g, d, _ = build(config)
  z = jnp.tile(jax.random.normal(jax.random.key(0), (1, 100)), (10, 1))
  labels = jnp.arange(10)
  g_vars = jit_init(g, jax.random.key(1), z, labels, train=False)
  images = jit_apply(g, g_vars, z, labels, train=False)
  # Same noise, different classes: different images.
  assert float(jnp.abs(images[0] - images[1]).max()) > 1e-3
  d_vars = jit_init(d, jax.random.key(2), images, labels, train=False)
  logits = jit_apply(d, d_vars, images[:1].repeat(10, 0), labels, train=False)
  assert float(jnp.std(logits)) > 1e-4  # One image, ten labels, ten logits.
  with pytest.raises(ValueError, match='needs labels'):
    g.apply(g_vars, z, None, train=False)


def test_unknown_conditioning_lists_choices():
  config = experiment_config('cdcgan_mnist')
  config.model.conditional.d_conditioning = 'film'
  with pytest.raises(ConfigError, match=r"d_conditioning='film'.*concat"):
    config_validation.validate(config)


@pytest.mark.parametrize('generator,discriminator,num_classes,expected', [
    ('dcgan_mnist_g', 'dcgan_d', 10, r"generator='dcgan_mnist_g' is "
     r"unconditional, but model.num_classes=10"),
    ('cdcgan_g', 'dcgan_d', 10, r"discriminator='dcgan_d' is unconditional"),
    ('cdcgan_g', 'cdcgan_d', 0, r'model.num_classes=0 is invalid for the '
     r'conditional models'),
])
def test_conditional_mismatches_are_refused(generator, discriminator,
                                            num_classes, expected):
  config = experiment_config('cdcgan_mnist')
  config.model.generator = generator
  config.model.discriminator = discriminator
  config.model.num_classes = num_classes
  with pytest.raises(ConfigError, match=expected):
    g, d, shape = build(config)
    config_validation.check_models(config, g, d, shape)


def test_gradient_penalty_with_batchnorm_critic_is_refused():
  config = experiment_config('wgan_gp_mnist')
  config.model.d_batchnorm = True
  g, d, shape = build(config)
  with pytest.raises(ConfigError, match=r"loss.name='wgan_gp'.*BatchNorm.*"
                     r"d_batchnorm=False"):
    config_validation.check_models(config, g, d, shape)


def test_r1_with_batchnorm_critic_is_refused():
  config = experiment_config('dcgan_tutorial_mnist')  # D has BatchNorm.
  config.loss.d_regularizers = ('r1',)
  g, d, shape = build(config)
  with pytest.raises(ConfigError, match=r"loss.d_regularizers=\('r1',\) "
                     r"penalises.*BatchNorm.*d_batchnorm=False"):
    config_validation.check_models(config, g, d, shape)


@pytest.mark.parametrize('generator,data_name', [
    ('dcgan_mnist_g', 'svhn_cropped'), ('dcgan_radford64_g', 'mnist'),
    ('dcgan_torch_g', 'cifar10')])
def test_generator_for_another_image_size_is_refused(generator, data_name):
  config = default.get_config()
  config.model.generator = generator
  config.data.name = data_name
  with pytest.raises(ConfigError, match=generator):
    g, d, shape = build(config)
    config_validation.check_models(config, g, d, shape)


def test_conv_gan_needs_a_square_noise_dim():
  config = experiment_config('conv_gan_mnist')
  config.model.noise_dim = 99
  with pytest.raises(ConfigError, match=r'model.noise_dim=99.*square'):
    build(config)


def test_same_key_same_params_and_kernel_init_choice():
  config = experiment_config('dcgan_mnist')
  config.model.kernel_init = 'normal_0.02'
  g, _, _ = build(config)
  a = jit_init(g, jax.random.key(0), jnp.zeros((1, 100)), train=False)
  b = jit_init(g, jax.random.key(0), jnp.zeros((1, 100)), train=False)
  chex.assert_trees_all_equal(a, b)
  kernel = a['params']['Dense_0']['kernel']
  assert abs(float(kernel.std()) - 0.02) < 0.001


@pytest.mark.parametrize('field,name', [('generator', 'dcgan_mnist_gen'),
                                        ('discriminator', 'resnet_d')])
def test_unknown_model_name_lists_choices(field, name):
  config = default.get_config()
  config.model[field] = name
  with pytest.raises(ConfigError, match=rf"model\.{field}='{name}'.*valid choices: .*dcgan"):
    build(config)
