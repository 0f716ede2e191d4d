"""Optax optimizers from `config.optimizer`."""

import ml_collections
import optax


def make_optimizer(opt_config: ml_collections.ConfigDict,
                   learning_rate: float) -> optax.GradientTransformation:
  """Adam, optionally preceded by clipping to a global gradient norm."""
  adam = optax.adam(learning_rate, b1=opt_config.b1, b2=opt_config.b2,
                    eps=opt_config.eps)
  if opt_config.grad_clip_norm > 0:
    return optax.chain(optax.clip_by_global_norm(opt_config.grad_clip_norm),
                       adam)
  return adam
