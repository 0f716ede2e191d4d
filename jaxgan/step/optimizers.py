"""Optax optimizers from `config.optimizer`, registered by name: a new
optimizer is one `register` here (a function of the optimizer config and a
learning rate) plus the fields it reads in configs/default.py."""

import ml_collections
import optax

from jaxgan.core import checks
from jaxgan.core.registry import Registry

optimizers: Registry = Registry('optimizer')


@optimizers.register('adam')
def _adam(opt_config: ml_collections.ConfigDict, learning_rate: float):
  return optax.adam(learning_rate, b1=opt_config.b1, b2=opt_config.b2,
                    eps=opt_config.eps)


@optimizers.register('rmsprop')
def _rmsprop(opt_config: ml_collections.ConfigDict, learning_rate: float):
  # As torch.optim.RMSprop, which the WGAN paper's code used: eps is added to
  # the root, not inside it.
  return optax.rmsprop(learning_rate, decay=opt_config.rms_decay,
                       eps=opt_config.eps, eps_in_sqrt=False)


def check_config(config: ml_collections.ConfigDict) -> None:
  checks.choice(config, 'optimizer.name', optimizers.names())
  checks.real(config, 'optimizer.g_learning_rate', 0.0, low_open=True)
  checks.real(config, 'optimizer.d_learning_rate', 0.0, low_open=True)
  checks.real(config, 'optimizer.b1', 0.0, 1.0)
  checks.real(config, 'optimizer.b2', 0.0, 1.0)
  checks.real(config, 'optimizer.rms_decay', 0.0, 1.0)
  checks.real(config, 'optimizer.eps', 0.0, low_open=True)
  checks.real(config, 'optimizer.grad_clip_norm', 0.0)
  checks.real(config, 'optimizer.weight_decay', 0.0)


def make_optimizer(opt_config: ml_collections.ConfigDict,
                   learning_rate: float) -> optax.GradientTransformation:
  """The optimizer `optimizer.name` (adam: b1, b2, eps; rmsprop: rms_decay,
  eps), optionally preceded by clipping to a global gradient norm, then L2
  weight decay added to the gradients (as the DCGAN authors' code does:
  decay before Adam's scaling, unlike AdamW)."""
  tx = optimizers.get(opt_config.name, 'optimizer.name')(opt_config,
                                                         learning_rate)
  if opt_config.weight_decay > 0:
    tx = optax.chain(optax.add_decayed_weights(opt_config.weight_decay), tx)
  if opt_config.grad_clip_norm > 0:
    tx = optax.chain(optax.clip_by_global_norm(opt_config.grad_clip_norm), tx)
  return tx
