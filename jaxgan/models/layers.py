"""Building blocks shared by the model families."""

import dataclasses
import functools
import math
from typing import Callable, Sequence, Tuple, Union

import flax.linen as nn
import jax
from jax import lax
from jax.extend.random import threefry2x32_p
import jax.numpy as jnp

from jaxgan.core import checks
from jaxgan.core.errors import ConfigError
from jaxgan.models import conv_ops, precision, registry

KERNEL_INITS = {
    # Keras' default for Dense/Conv/ConvTranspose.
    'glorot_uniform': nn.initializers.glorot_uniform(),
    # DCGAN paper: "initialized from a zero-centered Normal with std 0.02".
    'normal_0.02': nn.initializers.normal(stddev=0.02),
    # Flax's default.
    'lecun_normal': nn.initializers.lecun_normal(),
}


def kernel_init(name: str) -> jax.nn.initializers.Initializer:
  if name not in KERNEL_INITS:
    raise ConfigError(checks.unknown('model.kernel_init', name,
                                     sorted(KERNEL_INITS)))
  return KERNEL_INITS[name]


def leaky_relu(slope: float):
  return functools.partial(nn.leaky_relu, negative_slope=slope)


ACTIVATIONS = ('relu', 'leaky_relu')

# BatchNorm scale initialisers: Keras/TF/Flax start at 1; the PyTorch DCGAN
# tutorial, which Singh's code follows, draws it from N(1, 0.02) like its
# other weights.
BN_SCALE_INITS = ('ones', 'normal_1_0.02')


class _MixedPrecision:
  """config.model.compute_dtype of a layer: float32 params, operands
  multiplied in `matmul_dtype`, activations in `dtype` (precision.py)."""

  @property
  def dtype(self) -> jnp.dtype:
    return precision.activation_dtype(self.compute_dtype)

  @property
  def matmul_dtype(self) -> jnp.dtype:
    return precision.compute_dtype(self.compute_dtype)

  def _add_bias(self, y, bias):
    return y if bias is None else y + bias.astype(self.dtype)


@dataclasses.dataclass(frozen=True)
class LayerOptions(_MixedPrecision):
  """Options every model family shares, from `config.model`: how weights
  start, which nonlinearity, how BatchNorm behaves, how convs compute."""
  kernel_init: str = 'normal_0.02'
  leaky_relu_slope: float = 0.2
  bn_epsilon: float = 1e-5
  bn_momentum: float = 0.9
  bn_use_scale: bool = True
  bn_use_bias: bool = True
  bn_scale_init: str = 'ones'
  conv_impl: str = 'auto'
  compute_dtype: str = 'float32'

  @classmethod
  def from_config(cls, cfg) -> 'LayerOptions':
    return cls(**{f.name: cfg[f.name] for f in dataclasses.fields(cls)})

  def init(self) -> jax.nn.initializers.Initializer:
    return kernel_init(self.kernel_init)

  def activation(self, name: str) -> Callable[[jnp.ndarray], jnp.ndarray]:
    if name == 'relu':
      return nn.relu
    if name == 'leaky_relu':
      return leaky_relu(self.leaky_relu_slope)
    raise ConfigError(f'Unknown activation {name!r}; valid choices: '
                      f'{", ".join(ACTIVATIONS)}.')

  def batch_norm(self, train: bool) -> nn.BatchNorm:
    if self.bn_scale_init not in BN_SCALE_INITS:
      raise ConfigError(checks.unknown('model.bn_scale_init',
                                       self.bn_scale_init, BN_SCALE_INITS))
    scale_init = (nn.initializers.ones if self.bn_scale_init == 'ones' else
                  lambda key, shape, dtype=jnp.float32: 1.0 + 0.02 *
                  jax.random.normal(key, shape, dtype))
    return nn.BatchNorm(use_running_average=not train, epsilon=self.bn_epsilon,
                        momentum=self.bn_momentum, use_scale=self.bn_use_scale,
                        use_bias=self.bn_use_bias, scale_init=scale_init,
                        dtype=self.dtype)


def torch_transpose_padding(kernel_size: int, padding: int):
  """lax pads of the dilated conv equal to PyTorch's ConvTranspose2d(padding=p):
  output (i - 1) * s - 2p + k."""
  pad = kernel_size - 1 - padding
  return ((pad, pad), (pad, pad))


# How convolutions are computed (config.model.conv_impl):
#   auto    matmul on CPU, XLA's native convolution elsewhere
#   xla     XLA's native convolution everywhere (lhs-dilated when strided)
#   matmul  convolutions as gathers + one matmul each (conv_ops.py)
CONV_IMPLEMENTATIONS = ('auto', 'xla', 'matmul')


def uses_matmul(implementation: str) -> bool:
  if implementation not in CONV_IMPLEMENTATIONS:
    raise ConfigError(checks.unknown('model.conv_impl', implementation,
                                     CONV_IMPLEMENTATIONS))
  if implementation == 'auto':
    return jax.default_backend() == 'cpu'
  return implementation == 'matmul'


class Dense(_MixedPrecision, nn.Module):
  """flax.linen.Dense (same 'kernel' and 'bias') in mixed precision."""
  features: int
  use_bias: bool = True
  kernel_init: Callable = nn.initializers.lecun_normal()
  bias_init: Callable = nn.initializers.zeros_init()
  compute_dtype: str = 'float32'

  @nn.compact
  def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
    kernel = self.param('kernel', self.kernel_init,
                        (x.shape[-1], self.features))
    bias = (self.param('bias', self.bias_init, (self.features,))
            if self.use_bias else None)
    y = precision.matmul(x.astype(self.dtype), kernel, self.matmul_dtype)
    return self._add_bias(y, bias)


class _ConvBase(_MixedPrecision, nn.Module):
  """Parameters exactly as flax.linen.Conv / ConvTranspose name and shape
  them ('kernel' HWIO, 'bias'), so checkpoints and inits are interchangeable.
  Mixed precision as Dense."""
  features: int
  kernel_size: Sequence[int]
  strides: Sequence[int] = (1, 1)
  padding: Union[str, Sequence[Tuple[int, int]]] = 'SAME'
  use_bias: bool = True
  kernel_init: Callable = nn.initializers.lecun_normal()
  bias_init: Callable = nn.initializers.zeros_init()
  implementation: str = 'auto'
  compute_dtype: str = 'float32'

  def _params(self, x):
    kernel = self.param('kernel', self.kernel_init,
                        tuple(self.kernel_size) + (x.shape[-1], self.features))
    bias = (self.param('bias', self.bias_init, (self.features,))
            if self.use_bias else None)
    return kernel, bias

  def _native(self, conv, x, kernel, *args, **kwargs):
    """XLA's convolution with both operands in the matmul dtype (GPUs and
    TPUs accumulate in float32 internally), the result in `dtype`."""
    return conv(x.astype(self.matmul_dtype), kernel.astype(self.matmul_dtype),
                *args, dimension_numbers=conv_ops.DIMENSION_NUMBERS,
                precision=precision.precision_of(self.matmul_dtype),
                **kwargs).astype(self.dtype)

  def _padding(self):
    return self.padding.upper() if isinstance(self.padding, str) else tuple(
        tuple(p) for p in self.padding)


class Conv(_ConvBase):
  """flax.linen.Conv (NHWC, no dilation, no groups), fast on CPU."""

  @nn.compact
  def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
    kernel, bias = self._params(x)
    x = x.astype(self.dtype)
    if uses_matmul(self.implementation):
      y = conv_ops.conv(x, kernel, tuple(self.strides), self._padding(),
                        self.matmul_dtype)
    else:
      y = self._native(lax.conv_general_dilated, x, kernel,
                       tuple(self.strides), self._padding())
    return self._add_bias(y, bias)


class ConvTranspose(_ConvBase):
  """flax.linen.ConvTranspose (transpose_kernel=False), fast on CPU."""

  @nn.compact
  def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
    kernel, bias = self._params(x)
    x = x.astype(self.dtype)
    if uses_matmul(self.implementation):
      y = conv_ops.conv_transpose(x, kernel, tuple(self.strides),
                                  self._padding(), self.matmul_dtype)
    else:
      y = self._native(lax.conv_transpose, x, kernel, tuple(self.strides),
                       self._padding())
    return self._add_bias(y, bias)


def dropout_keep_mask(key: jax.Array, rate: float, shape) -> jax.Array:
  """Where inverted dropout at `rate` keeps an element: a boolean array.

  Four 16-bit draws from each threefry hash (its two 32-bit words), kept
  where a draw is at least rate * 2**16 (the rate exact to 2**-16).
  jax.random.uniform, which flax.linen.Dropout uses, hashes once per
  element: four times the work, 5-8% of a DCGAN step on CPU. Counters run
  along the leading (batch) axis, so a mask is partitioned with the batch
  and is the same however the batch is split over devices.
  """
  batch, per_example = shape[0], math.prod(shape[1:])
  threshold = min(round(rate * 2**16), 2**16)
  if str(jax.random.key_impl(key)) != 'threefry2x32':
    draws = jax.random.bits(key, shape, jnp.uint16).astype(jnp.uint32)
    return draws >= threshold
  hashes = -(-per_example // 4)
  counts = (lax.broadcasted_iota(jnp.uint32, (batch, hashes), 0) * hashes +
            lax.broadcasted_iota(jnp.uint32, (batch, hashes), 1))
  k1, k2 = jax.random.key_data(key)
  a, b = threefry2x32_p.bind(k1, k2, counts, jnp.zeros_like(counts))
  draws = jnp.concatenate([a & 0xFFFF, a >> 16, b & 0xFFFF, b >> 16], 1)
  return (draws[:, :per_example] >= threshold).reshape(shape)


class Dropout(nn.Module):
  """flax.linen.Dropout's inverted dropout (its 'dropout' RNG stream, active
  unless deterministic), from a quarter of its random work
  (dropout_keep_mask)."""
  rate: float
  deterministic: bool = False

  @nn.compact
  def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
    if self.deterministic or self.rate == 0:
      return x
    if self.rate >= 1:
      return jnp.zeros_like(x)
    keep = dropout_keep_mask(self.make_rng('dropout'), self.rate, x.shape)
    return jnp.where(keep, x / (1 - self.rate), jnp.zeros_like(x))


@registry.checks_options
def _check_layer_options(config) -> None:
  """The options every family's layers read."""
  checks.choice(config, 'model.kernel_init', KERNEL_INITS)
  checks.choice(config, 'model.conv_impl', CONV_IMPLEMENTATIONS)
  checks.choice(config, 'model.compute_dtype', precision.COMPUTE_DTYPES)
  for net in ('g', 'd'):
    checks.choice(config, f'model.{net}_compute_dtype',
                  precision.NET_COMPUTE_DTYPES)
  checks.choice(config, 'model.g_activation', ACTIVATIONS)
  checks.real(config, 'model.leaky_relu_slope', 0.0)
  checks.real(config, 'model.g_dropout', 0.0, 1.0)
  checks.real(config, 'model.d_dropout', 0.0, 1.0)
  checks.boolean(config, 'model.d_batchnorm')
  checks.real(config, 'model.bn_epsilon', 0.0, low_open=True)
  checks.real(config, 'model.bn_momentum', 0.0, 1.0)
  checks.boolean(config, 'model.bn_use_scale')
  checks.boolean(config, 'model.bn_use_bias')
  checks.choice(config, 'model.bn_scale_init', BN_SCALE_INITS)
