"""Convolutions as matmuls, for CPUs.

XLA:CPU runs convolutions with lhs dilation (every transposed convolution,
and the input gradient of every strided convolution) 30-70x slower than
stride-1 convolutions of the same arithmetic, and even its stride-1
convolutions and their kernel gradients at a fraction of its matmul rate on
the small maps of GAN models (docs/performance.md). The same functions
written as one large matmul each, exactly:

* a strided convolution gathers its kh*kw strided input windows into the
  channels (im2col) and multiplies once by the (kh*kw*C, O) kernel;
* a stride-1 convolution gathers only the kw width taps (kw copies instead
  of kh*kw), multiplies by a (kw*C, kh*O) kernel, and sums the kh row taps
  with shifts;
* a stride-s transposed convolution is s*s stride-1 convolutions of the input
  with sub-kernels (one per output phase), run as one stride-1 convolution
  whose outputs are interleaved by depth-to-space.

All are plain JAX, and their autodiff transposes are the same shape of work:
one matmul between gathers and shifted sums, never a convolution. Layout
NHWC / HWIO, as flax.linen.Conv and ConvTranspose use. Gathers and sums run
in x's dtype; the matmul multiplies in `dtype` (float32, or bfloat16 with
float32 accumulation: precision.py), and the kernel stays float32.
"""

from typing import Optional, Sequence, Tuple, Union

from jax import lax
import jax.numpy as jnp

from jaxgan.models import precision

Padding = Union[str, Sequence[Tuple[int, int]]]
DIMENSION_NUMBERS = ('NHWC', 'HWIO', 'NHWC')


def _pad(x, pads):
  """Zero-pads (or, for negative pads, crops) x by (lo, hi) per dimension."""
  return lax.pad(x, jnp.zeros((), x.dtype), [(lo, hi, 0) for lo, hi in pads])


def _stride1_conv(x, kernel, pads, dtype):
  """Stride-1 convolution: width taps gathered, row taps summed."""
  kh, kw, cin, cout = kernel.shape
  (lo_h, hi_h), (lo_w, hi_w) = pads
  batch, h, w = x.shape[:3]
  out_h = h + lo_h + hi_h - kh + 1
  out_w = w + lo_w + hi_w - kw + 1
  x = _pad(x, [(0, 0), (0, 0), (lo_w, hi_w), (0, 0)])
  x_taps = jnp.concatenate([x[:, :, j:j + out_w] for j in range(kw)], -1)
  kernel = kernel.transpose(1, 2, 0, 3).reshape(kw * cin, kh * cout)

  def taps_transposed():  # x_taps as (kw*cin, B*H*out_w), for the gradient.
    x_c = x.transpose(3, 0, 1, 2)
    return jnp.concatenate([x_c[..., j:j + out_w] for j in range(kw)],
                           0).reshape(kw * cin, -1)

  # The row taps are summed in float32 too, then rounded once.
  z = precision.matmul(x_taps.reshape(-1, kw * cin), kernel, dtype,
                       out_dtype=jnp.float32, x_transposed=taps_transposed)
  # Row h of the output sums tap i of input row h + i - lo_h.
  z = _pad(z.reshape(batch, h, out_w, kh, cout),
           [(0, 0), (lo_h, hi_h), (0, 0), (0, 0), (0, 0)])
  return sum(z[:, i:i + out_h, :, i, :] for i in range(kh)).astype(x.dtype)


def _strided_conv(x, kernel, strides, pads, dtype):
  """Strided convolution: all kh*kw strided windows gathered (im2col)."""
  kh, kw, cin, cout = kernel.shape
  (sh, sw), batch = strides, x.shape[0]
  x = _pad(x, [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)])
  out_h = (x.shape[1] - kh) // sh + 1
  out_w = (x.shape[2] - kw) // sw + 1
  windows = [(slice(i, i + sh * (out_h - 1) + 1, sh),
              slice(j, j + sw * (out_w - 1) + 1, sw))
             for i in range(kh) for j in range(kw)]
  patches = jnp.concatenate([x[:, rows, cols] for rows, cols in windows], -1)

  def patches_transposed():  # (kh*kw*cin, B*out_h*out_w), for the gradient.
    x_c = x.transpose(3, 0, 1, 2)
    return jnp.concatenate([x_c[:, :, rows, cols] for rows, cols in windows],
                           0).reshape(kh * kw * cin, -1)

  y = precision.matmul(patches.reshape(-1, kh * kw * cin),
                       kernel.reshape(-1, cout), dtype,
                       x_transposed=patches_transposed)
  return y.reshape(batch, out_h, out_w, cout)


def conv_padding(in_sizes, kernel_sizes, strides, padding: Padding):
  """Explicit (lo, hi) pads of a forward convolution, as lax computes them."""
  if isinstance(padding, str):
    return lax.padtype_to_pads(in_sizes, kernel_sizes, strides, padding.upper())
  return [tuple(p) for p in padding]


def conv_transpose_padding(kernel_size: int, stride: int, padding) -> Tuple[int, int]:
  """(lo, hi) pads of the lhs-dilated convolution lax.conv_transpose runs."""
  if padding == 'SAME':
    pad_len = kernel_size + stride - 2
    lo = kernel_size - 1 if stride > kernel_size - 1 else -(-pad_len // 2)
  elif padding == 'VALID':
    pad_len = kernel_size + stride - 2 + max(kernel_size - stride, 0)
    lo = kernel_size - 1
  else:
    lo, hi = padding
    return lo, hi
  return lo, pad_len - lo


def _phase_taps(kernel_size: int, stride: int, pads: Tuple[int, int],
                in_size: int):
  """Per dimension: which kernel tap feeds which output phase.

  Output o = s*q + r of the dilated convolution reads input q + c_r + j
  through tap k0_r + s*j. Returns, for a window of L input offsets shared by
  all phases, taps[l][r]: the tap that offset l feeds phase r through (None
  where it feeds none); the window's first offset m; the number of output
  rows per phase Q; and the output size.
  """
  lo, hi = pads
  out_size = (in_size - 1) * stride + 1 + lo + hi - kernel_size + 1
  phases = []
  for r in range(stride):
    k0 = (lo - r) % stride
    count = max(0, -(-(kernel_size - k0) // stride))
    phases.append((k0, (r + k0 - lo) // stride, count))
  first = min((c for _, c, n in phases if n), default=0)
  last = max((c + n - 1 for _, c, n in phases if n), default=first)
  taps = [[None] * stride for _ in range(last - first + 1)]
  for r, (k0, c, count) in enumerate(phases):
    for j in range(count):
      taps[c - first + j][r] = k0 + stride * j
  return taps, first, -(-out_size // stride), out_size


def _select_taps(kernel: jnp.ndarray, taps, axis: int) -> jnp.ndarray:
  """kernel with `axis` replaced by two, (L, s): tap taps[l][r], or zeros."""
  zeros = jnp.zeros_like(lax.index_in_dim(kernel, 0, axis, keepdims=False))
  rows = [jnp.stack([zeros if t is None else
                     lax.index_in_dim(kernel, t, axis, keepdims=False)
                     for t in phase_taps], axis)
          for phase_taps in taps]
  return jnp.stack(rows, axis)


def conv_transpose(x: jnp.ndarray, kernel: jnp.ndarray,
                   strides: Sequence[int], padding: Padding,
                   dtype: Optional[jnp.dtype] = None) -> jnp.ndarray:
  """Equals lax.conv_transpose(x, kernel, strides, padding) (NHWC, HWIO,
  transpose_kernel=False, no dilation), as matmuls multiplying in `dtype`
  (default: x's)."""
  if isinstance(padding, str):
    pads = [conv_transpose_padding(k, s, padding.upper())
            for k, s in zip(kernel.shape[:2], strides)]
  else:
    pads = [tuple(p) for p in padding]
  (sh, sw), (kh, kw) = strides, kernel.shape[:2]
  (h, w), (cin, cout) = x.shape[1:3], kernel.shape[2:]
  taps_h, m_h, q_h, out_h = _phase_taps(kh, sh, pads[0], h)
  taps_w, m_w, q_w, out_w = _phase_taps(kw, sw, pads[1], w)
  # One kernel for all phases: (Lh, Lw, Cin, sh*sw*Cout), phases major,
  # from static slices of the kernel (exact, and no matmul).
  phased = _select_taps(_select_taps(kernel, taps_h, 0), taps_w, 2)
  l_h, l_w = len(taps_h), len(taps_w)  # phased: (Lh, sh, Lw, sw, Cin, Cout)
  phased = phased.transpose(0, 2, 4, 1, 3, 5).reshape(l_h, l_w, cin,
                                                      sh * sw * cout)
  conv_pads = [(-m_h, q_h - 1 + m_h + l_h - 1 - (h - 1)),
               (-m_w, q_w - 1 + m_w + l_w - 1 - (w - 1))]
  z = _stride1_conv(x, phased, conv_pads, dtype)  # (B, Qh, Qw, sh*sw*Cout)
  batch = x.shape[0]
  y = z.reshape(batch, q_h, q_w, sh, sw, cout).transpose(0, 1, 3, 2, 4, 5)
  y = y.reshape(batch, q_h * sh, q_w * sw, cout)
  return y[:, :out_h, :out_w, :]


def conv(x: jnp.ndarray, kernel: jnp.ndarray, strides: Sequence[int],
         padding: Padding, dtype: Optional[jnp.dtype] = None) -> jnp.ndarray:
  """Equals lax.conv_general_dilated(x, kernel, strides, padding) (NHWC,
  HWIO, no dilation), multiplying in `dtype` (default: x's)."""
  pads = conv_padding(x.shape[1:3], kernel.shape[:2], strides, padding)
  if tuple(strides) == (1, 1):
    return _stride1_conv(x, kernel, pads, dtype)
  return _strided_conv(x, kernel, strides, pads, dtype)
