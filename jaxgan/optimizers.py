"""Optax optimizers from `config.optimizer`."""

import ml_collections
import optax

from jaxgan.errors import ConfigError

OPTIMIZERS = ('adam', 'rmsprop')


def make_optimizer(opt_config: ml_collections.ConfigDict,
                   learning_rate: float) -> optax.GradientTransformation:
  """Adam (b1, b2, eps) or RMSProp (rms_decay, eps), optionally preceded by
  clipping to a global gradient norm, then L2 weight decay added to the
  gradients (as the DCGAN authors' code does: decay before Adam's scaling,
  unlike AdamW)."""
  if opt_config.name == 'adam':
    tx = optax.adam(learning_rate, b1=opt_config.b1, b2=opt_config.b2,
                    eps=opt_config.eps)
  elif opt_config.name == 'rmsprop':
    # As torch.optim.RMSprop, which the WGAN paper's code used: eps is added
    # to the root, not inside it.
    tx = optax.rmsprop(learning_rate, decay=opt_config.rms_decay,
                       eps=opt_config.eps, eps_in_sqrt=False)
  else:
    raise ConfigError(f'Unknown optimizer.name={opt_config.name!r}; valid '
                      f'choices: {", ".join(OPTIMIZERS)}.')
  if opt_config.weight_decay > 0:
    tx = optax.chain(optax.add_decayed_weights(opt_config.weight_decay), tx)
  if opt_config.grad_clip_norm > 0:
    tx = optax.chain(optax.clip_by_global_norm(opt_config.grad_clip_norm), tx)
  return tx
