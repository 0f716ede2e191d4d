"""GANState: everything a training run carries from one step to the next."""

import functools
from typing import Any, Optional, Tuple

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import optax


@flax.struct.dataclass
class GANState:
  """Step counter, both nets' params and BatchNorm stats, both Optax states,
  and the exponential moving average of G's params ({} when
  train.g_ema_decay is 0).

  Pure data: the optimizers' update rules are not stored here (they are
  rebuilt from the config), so a checkpoint is a plain pytree of arrays.
  """
  step: jnp.ndarray  # Generator updates done (int32 scalar).
  g_params: Any
  g_batch_stats: Any
  d_params: Any
  d_batch_stats: Any
  g_opt_state: optax.OptState
  d_opt_state: optax.OptState
  g_ema_params: Any = None

  def sampling_params(self):
    """G's params to sample with: the EMA where kept, else the live ones."""
    return self.g_ema_params if self.g_ema_params else self.g_params


def generator_output_shape(g_model: nn.Module, noise_dim: int) -> Tuple[int, ...]:
  """Shape of one generated image, found without compiling or allocating."""
  z = jax.ShapeDtypeStruct((1, noise_dim), jnp.float32)
  labels = jax.ShapeDtypeStruct((1,), jnp.int32)
  out, _ = jax.eval_shape(
      lambda z, y: g_model.init_with_output(jax.random.key(0), z, y,
                                            train=False), z, labels)
  return tuple(out.shape[1:])


def create_state(g_model: nn.Module, d_model: nn.Module,
                 g_tx: optax.GradientTransformation,
                 d_tx: optax.GradientTransformation,
                 noise_dim: int, image_shape: Tuple[int, ...],
                 key: jax.Array, g_ema: bool = False,
                 sharding: Optional[jax.sharding.Sharding] = None,
                 abstract: bool = False) -> GANState:
  """Initialises both nets (in one jitted call) and their optimizer states,
  placed with `sharding` (replicated over the mesh) where given.

  `abstract`: only the state's shapes, dtypes and placement, computing and
  compiling nothing: all a checkpoint needs to be restored into."""

  @functools.partial(jax.jit, out_shardings=sharding)
  def init(key):
    g_key, d_key = jax.random.split(key)
    labels = jnp.zeros((1,), jnp.int32)
    g_vars = g_model.init(g_key, jnp.zeros((1, noise_dim)), labels,
                          train=False)
    d_vars = d_model.init(d_key, jnp.zeros((1,) + tuple(image_shape)), labels,
                          train=False)
    return GANState(
        step=jnp.zeros((), jnp.int32),
        g_params=g_vars['params'],
        g_batch_stats=g_vars.get('batch_stats', {}),
        d_params=d_vars['params'],
        d_batch_stats=d_vars.get('batch_stats', {}),
        g_opt_state=g_tx.init(g_vars['params']),
        d_opt_state=d_tx.init(d_vars['params']),
        g_ema_params=g_vars['params'] if g_ema else {})

  if abstract:
    placed = sharding or jax.sharding.SingleDeviceSharding(jax.devices()[0])
    return jax.tree.map(
        lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=placed),
        jax.eval_shape(init, key))
  return init(key)
