"""Checks a config before anything is loaded or compiled: each component's
own check_config, the loop's fields, the built models against each other
and the data, and which fields a resumed run may change.

Every failure is a ConfigError naming the field, the value and what is valid.
"""

import jax
import jax.numpy as jnp
import ml_collections

from jaxgan import models
from jaxgan.core import checks
from jaxgan.core.errors import ConfigError
from jaxgan.datasets import data, input_pipeline
from jaxgan.evaluation import quality
from jaxgan.run import divergence
from jaxgan.step import losses, optimizers, sampling, steps
from jaxgan.step.state import generator_output_shape

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
    'data.data_dir', 'data.allow_download', 'data.pipeline',
    'data.in_memory_limit_mb', 'data.cache_dir', 'model.conv_impl',
    'model.compute_dtype', 'model.g_compute_dtype', 'model.d_compute_dtype',
    'train.eval_every', 'train.on_nan', 'train.max_rollbacks',
})
# Evaluation and report settings never change what trains, so a resumed run
# may change them all.
RESUMABLE_PREFIXES = ('eval.', 'report.')


def validate(config: ml_collections.ConfigDict) -> None:
  """Raises ConfigError on the first invalid field. Each component checks
  the fields it reads, where it is defined; the loop's own (run length,
  intervals, divergence) are checked here."""
  checks.integer(config, 'seed', 0)
  data.check_config(config)
  input_pipeline.check_config(config)
  models.check_config(config)
  sampling.check_config(config)
  losses.check_config(config)
  optimizers.check_config(config)
  steps.check_config(config)
  _check_loop(config)
  quality.check_config(config)
  checks.boolean(config, 'report.at_end')


def _check_loop(config: ml_collections.ConfigDict) -> None:
  """The train.* fields of the loop: run length, intervals, divergence."""
  num_epochs = checks.real(config, 'train.num_epochs', 0.0)
  num_steps = checks.integer(config, 'train.num_steps', 0)
  checks.integer(config, 'train.epoch_size', -1)
  if num_steps == 0 and num_epochs == 0:
    raise ConfigError('train.num_steps=0 and train.num_epochs=0: set one of '
                      'them > 0 to say how long to train.')
  steps_per_call = checks.integer(config, 'train.steps_per_call', 0)
  for field, minimum in (('log_every', 1), ('sample_every', 0),
                         ('checkpoint_every', 1), ('eval_every', 0)):
    every = checks.integer(config, f'train.{field}', minimum)
    if steps_per_call and every % steps_per_call:
      raise ConfigError(
          f'train.{field}={every} is not a multiple of '
          f'train.steps_per_call={steps_per_call}; steps are fused '
          f'{steps_per_call} at a time, so periodic actions can only happen '
          f'at multiples of it; train.steps_per_call=0 picks a count that '
          f'divides every interval.')
  checks.real(config, 'train.checkpoint_every_minutes', 0.0)
  checks.integer(config, 'train.max_checkpoints_to_keep', 1)
  checks.choice(config, 'train.on_nan', divergence.ON_NAN)
  checks.integer(config, 'train.max_rollbacks', 0)


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
