"""Mixed precision: which dtypes the layers compute in, and the matmul that
does it with float32 accumulation.

`model.compute_dtype=bfloat16` multiplies in bfloat16: every convolution and
dense layer casts its operands to bfloat16 and accumulates in float32, while
parameters, optimizer states, BatchNorm statistics, losses, the gradient
penalty and every metric stay float32. Between the layers, activations are
bfloat16 on GPUs and TPUs (which compute it natively: half the memory
traffic) and float32 on CPUs, where XLA computes bfloat16 elementwise ops,
gathers and concatenations by converting to float32 and back, which costs
more than the bfloat16 matmul saves. On CPUs with AVX-512 BF16 (or AMX),
XLA's bfloat16 matmul with float32 accumulation runs at about twice its
float32 rate; with a bfloat16 result it runs slower than float32, which is
why the accumulation type is explicit here. float32 compute is the plain
float32 matmul, bit for bit.
"""

import functools
import math
from typing import Callable, Optional

import jax
from jax import lax
import jax.numpy as jnp

from jaxgan.core import checks
from jaxgan.core.errors import ConfigError

# config.model.compute_dtype: auto picks bfloat16 where the hardware computes
# it natively (GPU, TPU, CPUs with AVX-512 BF16 or AMX), else float32;
# bfloat16_on_accelerators bfloat16 on GPUs and TPUs only, float32 on every
# CPU (a config's default where bfloat16 was shown to keep its quality, with
# CPU runs bit-identical to float32 ones).
COMPUTE_DTYPES = ('auto', 'bfloat16_on_accelerators', 'float32', 'bfloat16')
# float32 is asked for as float32 in every dot and convolution: without it,
# XLA may run "float32" as TF32 on GPUs and as bfloat16 passes on TPUs.
FLOAT32 = lax.Precision.HIGHEST
# config.model.g_compute_dtype / d_compute_dtype: one network's own, or
# inherit model.compute_dtype.
NET_COMPUTE_DTYPES = ('inherit',) + COMPUTE_DTYPES

_CPU_BF16_FLAGS = ('avx512_bf16', 'amx_bf16')


@functools.lru_cache(maxsize=None)
def cpu_has_native_bfloat16() -> bool:
  """Whether this CPU has bfloat16 dot-product instructions (Linux flags;
  False where they cannot be read)."""
  try:
    with open('/proc/cpuinfo') as f:
      for line in f:
        if line.startswith('flags'):
          return any(flag in line.split() for flag in _CPU_BF16_FLAGS)
  except OSError:
    pass
  return False


def compute_dtype(name: str) -> jnp.dtype:
  """The dtype matmuls and convolutions multiply in for
  config.model.compute_dtype=`name`."""
  if name not in COMPUTE_DTYPES:
    raise ConfigError(checks.unknown('model.compute_dtype', name,
                                     COMPUTE_DTYPES))
  accelerator = jax.default_backend() != 'cpu'
  if name == 'auto':
    name = ('bfloat16' if accelerator or cpu_has_native_bfloat16() else
            'float32')
  elif name == 'bfloat16_on_accelerators':
    name = 'bfloat16' if accelerator else 'float32'
  return jnp.dtype(name)


def precision_of(dtype) -> Optional[lax.Precision]:
  """The `precision=` of a dot or convolution multiplying in `dtype`:
  float32 asked for explicitly, bfloat16 the backend's own."""
  return FLOAT32 if jnp.dtype(dtype) == jnp.float32 else None


def activation_dtype(name: str) -> jnp.dtype:
  """The dtype of the activations between layers for
  config.model.compute_dtype=`name`: the compute dtype, except float32 on
  CPU (module docstring)."""
  dtype = compute_dtype(name)
  return jnp.dtype(jnp.float32) if jax.default_backend() == 'cpu' else dtype


def _dot(a, b, compute: jnp.dtype, out: jnp.dtype):
  return lax.dot(a.astype(compute), b.astype(compute),
                 preferred_element_type=jnp.float32).astype(out)


def _smallest_divisor(n: int) -> int:
  return next((d for d in range(2, math.isqrt(n) + 1) if n % d == 0), n)


def _transpose(x: jnp.ndarray) -> jnp.ndarray:
  """x.T (2-D), materialised on CPU. XLA folds a plain transpose into the
  dot that consumes it, and XLA:CPU's matmul library (YNNPACK) multiplies
  bfloat16 only with row-major operands, so XLA would run that dot in
  float32. Through a 3-D transpose the copy is made and the dot stays
  bfloat16."""
  rows, cols = x.shape
  if jax.default_backend() != 'cpu':
    return x.T
  d = _smallest_divisor(rows)
  if d < rows:
    return x.reshape(rows // d, d, cols).transpose(2, 0, 1).reshape(cols, rows)
  d = _smallest_divisor(cols)
  if d < cols:
    return x.reshape(rows, cols // d, d).transpose(1, 2, 0).reshape(cols, rows)
  return x.T


@functools.partial(jax.custom_vjp, nondiff_argnums=(3, 4))
def _mixed_matmul(a, b, a_t, compute: jnp.dtype, out: jnp.dtype):
  """a @ b (2-D) with both operands in `compute`, float32 accumulation and
  an `out` result; a_t is a.T, which only the gradient uses. The gradients
  are the same kind of matmul, each returned in its operand's dtype: a
  float32 weight's gradient is accumulated and kept in float32, not rounded
  through bfloat16."""
  del a_t
  return _dot(a, b, compute, out)


def _mixed_matmul_fwd(a, b, a_t, compute, out):
  a_low, b_low = a.astype(compute), b.astype(compute)
  # Empty arrays carry the operands' dtypes to the backward pass.
  dtypes = (jnp.zeros((0,), a.dtype), jnp.zeros((0,), b.dtype),
            jnp.zeros((0,), a_t.dtype))
  return (_dot(a_low, b_low, compute, out),
          (a_low, b_low, a_t.astype(compute), dtypes))


def _mixed_matmul_bwd(compute, out, residuals, g):
  del out
  a_low, b_low, a_t_low, (a_dtype, b_dtype, a_t_dtype) = residuals
  g = g.astype(compute)
  # Through _mixed_matmul again, so second derivatives (the gradient
  # penalty) are mixed-precision matmuls too; what they alone need (the
  # third operands) is dropped by XLA otherwise.
  g_t = _transpose(g)
  a_grad = _mixed_matmul(g, _transpose(b_low), g_t, compute, a_dtype.dtype)
  if g.shape[1] < a_low.shape[1]:
    # b's gradient as (g.T @ a).T: transposing the narrower g costs less
    # than a.T, and a_t is then never made (XLA drops it).
    b_grad = _transpose(_mixed_matmul(g_t, a_low, g, compute, jnp.float32)
                        ).astype(b_dtype.dtype)
  else:
    b_grad = _mixed_matmul(a_t_low, g, a_low, compute, b_dtype.dtype)
  return a_grad, b_grad, jnp.zeros(a_t_low.shape, a_t_dtype.dtype)


_mixed_matmul.defvjp(_mixed_matmul_fwd, _mixed_matmul_bwd)


def matmul(x: jnp.ndarray, kernel: jnp.ndarray,
           dtype: Optional[jnp.dtype] = None,
           out_dtype: Optional[jnp.dtype] = None,
           x_transposed: Optional[Callable[[], jnp.ndarray]] = None
           ) -> jnp.ndarray:
  """x (..., K) @ kernel (K, N), multiplied in `dtype` (default: x's
  dtype); the result in `out_dtype` (default: x's dtype).

  float32: the plain float32 contraction. bfloat16: both operands cast to
  it, float32 accumulation, one rounding to `out_dtype`. `x_transposed`
  makes x as a (K, M) matrix for the weight's gradient where the caller
  can do that more cheaply than transposing x (the convolutions gather
  their patches in transposed order).
  """
  dtype = jnp.dtype(dtype or x.dtype)
  out_dtype = jnp.dtype(out_dtype or x.dtype)
  if dtype == jnp.float32:
    return lax.dot_general(x, kernel, (((x.ndim - 1,), (0,)), ((), ())),
                           precision=FLOAT32).astype(out_dtype)
  lead, a = x.shape[:-1], x.reshape(-1, x.shape[-1])
  a_t = x_transposed() if x_transposed else _transpose(a)
  y = _mixed_matmul(a, kernel, a_t, dtype, out_dtype)
  return y.reshape(lead + (kernel.shape[-1],))
