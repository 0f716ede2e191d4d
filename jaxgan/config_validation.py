"""Checks a config before anything is loaded or compiled.

Every failure is a ConfigError naming the field, the value and what is valid.
"""

import numbers

import jax
import jax.numpy as jnp
import ml_collections

from jaxgan import data, divergence, losses, models, optimizers, sampling, steps
from jaxgan.errors import ConfigError
from jaxgan.evaluation import metrics, shipped
from jaxgan.models import conditional, layers, precision
from jaxgan.state import generator_output_shape

# Fields whose value may change when a run resumes: they change how long the
# run is, what it reports or how fast it computes, not what it computes
# (model.conv_impl: the same function to float32 round-off, so a run started
# on CPU may continue on GPU; model.compute_dtype: the same function at
# another precision).
RESUMABLE_CHANGES = frozenset({
    'train.num_epochs', 'train.num_steps', 'train.epoch_size',
    'train.steps_per_call', 'train.checkpoint_every_minutes',
    'train.log_every', 'train.sample_every', 'train.checkpoint_every',
    'train.max_checkpoints_to_keep', 'train.num_sample_images',
    'data.data_dir', 'data.allow_download', 'model.conv_impl',
    'model.compute_dtype', 'model.g_compute_dtype', 'model.d_compute_dtype',
    'train.eval_every', 'train.on_nan', 'train.max_rollbacks',
})
# Evaluation and report settings never change what trains, so a resumed run
# may change them all.
RESUMABLE_PREFIXES = ('eval.', 'report.')


def _get(config, path):
  node = config
  for part in path.split('.'):
    if part not in node:
      raise ConfigError(f'The config has no field {path!r}; every config '
                        f'starts from configs/default.py.')
    node = node[part]
  return node


def _is_int(value) -> bool:
  return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value) -> bool:
  return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _int(config, path, minimum):
  value = _get(config, path)
  if not _is_int(value) or value < minimum:
    raise ConfigError(f'{path}={value!r} is invalid: expected an integer '
                      f'>= {minimum}.')
  return value


def _real(config, path, low, high=None, low_open=False, high_open=True):
  value = _get(config, path)
  lo_ok = _is_real(value) and (value > low if low_open else value >= low)
  hi_ok = high is None or (_is_real(value) and
                           (value < high if high_open else value <= high))
  if not (lo_ok and hi_ok):
    interval = (('(' if low_open else '[') + f'{low:g}, ' +
                ('inf)' if high is None else f'{high:g}' +
                 (')' if high_open else ']')))
    raise ConfigError(f'{path}={value!r} is invalid: expected a number in '
                      f'{interval}.')
  return value


def _bool(config, path):
  value = _get(config, path)
  if not isinstance(value, bool):
    raise ConfigError(f'{path}={value!r} is invalid: expected True or False.')
  return value


def _layer_sizes(config, path):
  value = _get(config, path)
  if (not isinstance(value, (tuple, list)) or
      not all(_is_int(size) and size > 0 for size in value)):
    raise ConfigError(f'{path}={value!r} is invalid: expected a tuple of '
                      f'positive layer sizes, e.g. (256, 512).')
  return value


def _names(config, path, choices):
  value = _get(config, path)
  if (not isinstance(value, (tuple, list)) or
      any(name not in choices for name in value)):
    raise ConfigError(f'{path}={value!r} is invalid: expected a tuple of '
                      f'names from {", ".join(sorted(choices))}, e.g. '
                      f'({sorted(choices)[0]!r},), or ().')
  return value


def _choice(config, path, choices):
  value = _get(config, path)
  if value not in choices:
    raise ConfigError(f'Unknown {path}={value!r}; valid choices: '
                      f'{", ".join(sorted(choices))}.')
  return value


def validate(config: ml_collections.ConfigDict) -> None:
  """Raises ConfigError on the first invalid field."""
  _int(config, 'seed', 0)

  _choice(config, 'data.name', data.DATASETS)
  _choice(config, 'data.source', data.SOURCES)
  if not isinstance(_get(config, 'data.data_dir'), str):
    raise ConfigError(f'data.data_dir={config.data.data_dir!r} is invalid: '
                      f'expected a path string.')
  batch_size = _int(config, 'data.batch_size', 1)
  if batch_size % jax.device_count():
    raise ConfigError(
        f'data.batch_size={batch_size} is not divisible by the device count '
        f'{jax.device_count()}; use a multiple of {jax.device_count()}.')

  _choice(config, 'model.generator', models.generators.names())
  _choice(config, 'model.discriminator', models.discriminators.names())
  _int(config, 'model.noise_dim', 1)
  _choice(config, 'model.noise_distribution', sampling.NOISE_DISTRIBUTIONS)
  num_classes = _int(config, 'model.num_classes', 0)
  dataset_classes = data.DATASETS[config.data.name].num_classes
  if num_classes > dataset_classes:
    raise ConfigError(
        f'model.num_classes={num_classes} is invalid for data.name='
        f'{config.data.name!r}, which has {dataset_classes} classes.')
  _choice(config, 'model.kernel_init', layers.KERNEL_INITS)
  _choice(config, 'model.conv_impl', layers.CONV_IMPLEMENTATIONS)
  _choice(config, 'model.compute_dtype', precision.COMPUTE_DTYPES)
  for net in ('g', 'd'):
    _choice(config, f'model.{net}_compute_dtype', precision.NET_COMPUTE_DTYPES)
  _choice(config, 'model.g_activation', layers.ACTIVATIONS)
  _real(config, 'model.leaky_relu_slope', 0.0)
  _real(config, 'model.g_dropout', 0.0, 1.0)
  _real(config, 'model.d_dropout', 0.0, 1.0)
  _bool(config, 'model.d_batchnorm')
  if _bool(config, 'model.unit_pixels'):
    for field, names in (('generator', ('cdcgan_radford_g',)),
                         ('discriminator', ('cdcgan_radford_d', 'cdcgan_he_d'))):
      if config.model[field] not in names:
        raise ConfigError(
            f'model.unit_pixels=True is only built into {" and ".join(names)}; '
            f'model.{field}={config.model[field]!r} works on [-1, 1] pixels: '
            f'set model.unit_pixels=False or model.{field}={names[0]!r}.')
  _real(config, 'model.bn_epsilon', 0.0, low_open=True)
  _real(config, 'model.bn_momentum', 0.0, 1.0)
  _bool(config, 'model.bn_use_scale')
  _bool(config, 'model.bn_use_bias')
  _choice(config, 'model.bn_scale_init', layers.BN_SCALE_INITS)
  for net in ('g', 'd'):
    _layer_sizes(config, f'model.mlp.{net}_hidden')
  for field in ('num_layers', 'features', 'kernel_size', 'stride', 'pool_size',
                'pool_stride'):
    _int(config, f'model.conv_gan.{field}', 1)
  _bool(config, 'model.conv_gan.pooling')
  _int(config, 'model.lstm.num_layers', 1)
  _int(config, 'model.lstm.units', 1)
  _int(config, 'model.conditional.embed_dim', 1)
  _choice(config, 'model.conditional.d_conditioning',
          conditional.CONDITIONINGS)

  _choice(config, 'loss.name', losses.losses.names())
  _real(config, 'loss.gp_weight', 0.0)
  _real(config, 'loss.weight_clip', 0.0, low_open=True)
  _names(config, 'loss.d_regularizers', losses.regularizers.names())
  _real(config, 'loss.r1_gamma', 0.0)

  _choice(config, 'optimizer.name', optimizers.optimizers.names())
  _real(config, 'optimizer.g_learning_rate', 0.0, low_open=True)
  _real(config, 'optimizer.d_learning_rate', 0.0, low_open=True)
  _real(config, 'optimizer.b1', 0.0, 1.0)
  _real(config, 'optimizer.b2', 0.0, 1.0)
  _real(config, 'optimizer.rms_decay', 0.0, 1.0)
  _real(config, 'optimizer.eps', 0.0, low_open=True)
  _real(config, 'optimizer.grad_clip_norm', 0.0)
  _real(config, 'optimizer.weight_decay', 0.0)

  num_epochs = _real(config, 'train.num_epochs', 0.0)
  num_steps = _int(config, 'train.num_steps', 0)
  _int(config, 'train.epoch_size', -1)
  if num_steps == 0 and num_epochs == 0:
    raise ConfigError('train.num_steps=0 and train.num_epochs=0: set one of '
                      'them > 0 to say how long to train.')
  d_steps = _int(config, 'train.d_steps_per_g_step', 1)
  g_steps = _int(config, 'train.g_steps_per_d_step', 1)
  if d_steps > 1 and g_steps > 1:
    raise ConfigError(
        f'train.d_steps_per_g_step={d_steps} and train.g_steps_per_d_step='
        f'{g_steps} are both > 1; a step is n D updates then m G updates, so '
        f'reduce the ratio: at most one of them may exceed 1.')
  scheme = _choice(config, 'train.update_scheme', steps.UPDATE_SCHEMES)
  if scheme != 'alternating_fresh_noise' and (d_steps, g_steps) != (1, 1):
    raise ConfigError(
        f'train.update_scheme={scheme!r} makes one batch of fakes per step for '
        f'one D and one G update, but train.d_steps_per_g_step={d_steps} and '
        f'train.g_steps_per_d_step={g_steps}; set both to 1, or use '
        f'train.update_scheme=alternating_fresh_noise for several updates '
        f'per step.')
  _real(config, 'train.g_ema_decay', 0.0, 1.0)
  steps_per_call = _int(config, 'train.steps_per_call', 0)
  for field, minimum in (('log_every', 1), ('sample_every', 0),
                         ('checkpoint_every', 1), ('eval_every', 0)):
    every = _int(config, f'train.{field}', minimum)
    if steps_per_call and every % steps_per_call:
      raise ConfigError(
          f'train.{field}={every} is not a multiple of '
          f'train.steps_per_call={steps_per_call}; steps are fused '
          f'{steps_per_call} at a time, so periodic actions can only happen '
          f'at multiples of it; train.steps_per_call=0 picks a count that '
          f'divides every interval.')
  _real(config, 'train.checkpoint_every_minutes', 0.0)
  _int(config, 'train.max_checkpoints_to_keep', 1)
  _choice(config, 'train.on_nan', divergence.ON_NAN)
  _int(config, 'train.max_rollbacks', 0)
  _int(config, 'train.num_sample_images', 1)
  eval_every = config.train.eval_every
  if eval_every and not data.DATASETS[config.data.name].num_classes:
    raise ConfigError(
        f'train.eval_every={eval_every}, but data.name={config.data.name!r} '
        f'has no class labels to train the evaluator classifier on; set '
        f'train.eval_every=0.')

  _int(config, 'eval.num_samples', 2)
  _choice(config, 'eval.best_metric', metrics.HIGHER_IS_BETTER)
  source = _choice(config, 'eval.evaluator_source',
                   shipped.SOURCES + shipped.available())
  if source == 'shipped' and config.data.name not in shipped.SHIPPED:
    raise ConfigError(
        f"eval.evaluator_source='shipped', but no evaluator ships for "
        f'data.name={config.data.name!r}; shipped for: '
        f'{", ".join(sorted(shipped.SHIPPED))}. eval.evaluator_source=auto '
        f'trains one where none ships.')
  if (source not in shipped.SOURCES
      and shipped.dataset_of(source) != config.data.name):
    raise ConfigError(
        f'eval.evaluator_source={source!r} classifies '
        f'{shipped.dataset_of(source)}, not data.name={config.data.name!r}.')
  if not isinstance(_get(config, 'eval.evaluator_dir'), str):
    raise ConfigError(f'eval.evaluator_dir={config.eval.evaluator_dir!r} is '
                      f'invalid: expected a path string.')
  _real(config, 'eval.holdout_fraction', 0.0, 1.0, low_open=True)
  _int(config, 'eval.evaluator.num_steps', 1)
  _int(config, 'eval.evaluator.batch_size', 1)
  _real(config, 'eval.evaluator.learning_rate', 0.0, low_open=True)
  _real(config, 'eval.evaluator.dropout', 0.0, 1.0)
  _int(config, 'eval.evaluator.seed', 0)

  _bool(config, 'report.at_end')


def check_models(config: ml_collections.ConfigDict, g_model, d_model,
                 image_shape) -> None:
  """Checks the built models against the dataset, each other and the loss,
  by shape inference only (nothing compiles)."""
  g_shape = generator_output_shape(g_model, config.model.noise_dim)
  if g_shape != tuple(image_shape):
    raise ConfigError(
        f'model.generator={config.model.generator!r} makes images of shape '
        f'{g_shape}, but data.name={config.data.name!r} has images of shape '
        f'{tuple(image_shape)}; choose a generator for this dataset.')
  num_classes = config.model.num_classes
  for field, model in (('generator', g_model), ('discriminator', d_model)):
    model_classes = models.num_classes(model)
    if model_classes != num_classes:
      name = config.model[field]
      raise ConfigError(
          f'model.{field}={name!r} is '
          + (f'conditional on {model_classes} classes' if model_classes else
             'unconditional')
          + f', but model.num_classes={num_classes}; use conditional models '
          f'(e.g. cdcgan_g / cdcgan_d) with num_classes > 0, or unconditional '
          f'ones with num_classes=0.')
  regularizers = losses.regularizer_names(config.loss)
  if regularizers:
    x = jax.ShapeDtypeStruct((1,) + tuple(image_shape), jnp.float32)
    y = jax.ShapeDtypeStruct((1,), jnp.int32)
    d_vars = jax.eval_shape(
        lambda x, y: d_model.init(jax.random.key(0), x, y, train=False), x, y)
    if d_vars.get('batch_stats'):
      own = losses.get_loss(config.loss.name).d_regularizers
      what = (f'loss.name={config.loss.name!r}' if own else
              f'loss.d_regularizers={tuple(config.loss.d_regularizers)!r}')
      raise ConfigError(
          f'{what} penalises each example\'s own input gradient, which '
          f'BatchNorm in the critic mixes across the batch (Gulrajani et al. '
          f'2017, section 4): set model.d_batchnorm=False or choose a '
          f'discriminator without BatchNorm '
          f'(model.discriminator={config.model.discriminator!r}).')


def flatten(config) -> dict:
  """{'a.b': value} for every leaf of a (nested) ConfigDict or dict."""
  flat = {}
  items = config.items() if hasattr(config, 'items') else []
  for key, value in items:
    if hasattr(value, 'items'):
      for sub_key, sub_value in flatten(value).items():
        flat[f'{key}.{sub_key}'] = sub_value
    else:
      flat[key] = value
  return flat


def _as_list(value):
  return list(value) if isinstance(value, tuple) else value


def resume_differences(saved: dict, current: ml_collections.ConfigDict):
  """Fields that differ between a run's saved config and the current one,
  other than those a resumed run may change. [(field, saved, current)]."""
  saved_flat, current_flat = flatten(saved), flatten(current.to_dict())
  diffs = []
  for field in sorted(set(saved_flat) | set(current_flat)):
    if field in RESUMABLE_CHANGES or field.startswith(RESUMABLE_PREFIXES):
      continue
    # JSON stores tuples as lists: compare sequences by their items.
    old = _as_list(saved_flat.get(field, '<absent>'))
    new = _as_list(current_flat.get(field, '<absent>'))
    if old != new:
      diffs.append((field, old, new))
  return diffs
