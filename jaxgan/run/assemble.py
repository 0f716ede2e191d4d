"""A run's parts from its config: the checked models, the initial state and
the train step. What training, resuming, evaluation and the benchmark share."""

from typing import Optional

import jax
from jax.sharding import Mesh
import ml_collections

from jaxgan import models
from jaxgan.core import parallel
from jaxgan.datasets import data
from jaxgan.run import config_validation
from jaxgan.step import losses, optimizers, steps
from jaxgan.step.state import create_state


def build_models(config: ml_collections.ConfigDict,
                 spec: Optional[data.DatasetSpec] = None):
  """The generator and discriminator of `config`, checked against each other,
  the dataset and the loss before anything compiles. `spec`: the run's
  dataset spec where the caller resolved it already."""
  image_shape = (spec or data.dataset_spec(config.data)).image_shape
  g_model = models.build_generator(config.model, image_shape)
  d_model = models.build_discriminator(config.model, image_shape)
  config_validation.check_models(config, g_model, d_model, image_shape)
  return g_model, d_model


def initial_state_and_step(config: ml_collections.ConfigDict, g_model,
                           d_model, image_shape, init_key: jax.Array,
                           mesh: Optional[Mesh] = None,
                           abstract: bool = False):
  """The freshly initialised GANState and the (unjitted) train step of
  `config`: what training runs and `jaxgan.bench` times. With a mesh, the
  state is replicated over it and batches are sharded. `abstract`: the
  state's shapes only (create_state), to restore a checkpoint into."""
  g_tx = optimizers.make_optimizer(config.optimizer,
                                   config.optimizer.g_learning_rate)
  d_tx = optimizers.make_optimizer(config.optimizer,
                                   config.optimizer.d_learning_rate)
  on_mesh = mesh is not None
  state = create_state(g_model, d_model, g_tx, d_tx, config.model.noise_dim,
                       image_shape, init_key,
                       g_ema=config.train.g_ema_decay > 0,
                       sharding=parallel.replicated(mesh) if on_mesh else None,
                       abstract=abstract)
  train_step = steps.make_train_step(
      g_model, d_model, losses.bind(config.loss), g_tx, d_tx,
      steps.StepOptions.from_config(
          config, parallel.batch_sharded(mesh) if on_mesh else None))
  return state, train_step
