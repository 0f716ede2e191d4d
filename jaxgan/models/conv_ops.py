"""Convolutions computed with stride-1 convolutions only.

XLA:CPU runs convolutions with lhs dilation (every transposed convolution,
and the input gradient of every strided convolution) 30-70x slower than
stride-1 convolutions of the same arithmetic (DESIGN.md, "Speed on CPU").
The same functions can be written without them, exactly:

* a stride-s transposed convolution is s*s stride-1 convolutions of the
  input with sub-kernels (one per output phase), interleaved by
  depth-to-space; all phases share one convolution here;
* a stride-s convolution is space-to-depth of the padded input followed by
  a stride-1 convolution with the kernel rearranged the same way.

Both are plain JAX, so their gradients are stride-1 convolutions too. Layout
NHWC / HWIO, as flax.linen.Conv and ConvTranspose use.
"""

from typing import Sequence, Tuple, Union

from jax import lax
import jax.numpy as jnp
import numpy as np

Padding = Union[str, Sequence[Tuple[int, int]]]
DIMENSION_NUMBERS = ('NHWC', 'HWIO', 'NHWC')


def _stride1_conv(x, kernel, pads):
  return lax.conv_general_dilated(x, kernel, (1,) * (x.ndim - 2), pads,
                                  dimension_numbers=DIMENSION_NUMBERS)


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


def _phase_selection(kernel_size: int, stride: int, pads: Tuple[int, int],
                     in_size: int):
  """Per dimension: which kernel tap feeds which output phase.

  Output o = s*q + r of the dilated convolution reads input q + c_r + j
  through tap k0_r + s*j. Returns a 0/1 array (L, s, k) placing each tap in a
  window of L input offsets shared by all phases, the window's first offset
  m, and the number of output rows per phase Q.
  """
  lo, hi = pads
  out_size = (in_size - 1) * stride + 1 + lo + hi - kernel_size + 1
  taps = []
  for r in range(stride):
    k0 = (lo - r) % stride
    count = max(0, -(-(kernel_size - k0) // stride))
    taps.append((k0, (r + k0 - lo) // stride, count))
  first = min(c for _, c, n in taps if n) if any(n for *_, n in taps) else 0
  last = max((c + n - 1 for _, c, n in taps if n), default=first)
  window = last - first + 1
  select = np.zeros((window, stride, kernel_size), np.float32)
  for r, (k0, c, count) in enumerate(taps):
    for j in range(count):
      select[c - first + j, r, k0 + stride * j] = 1.0
  return select, first, -(-out_size // stride), out_size


def conv_transpose(x: jnp.ndarray, kernel: jnp.ndarray,
                   strides: Sequence[int], padding: Padding) -> jnp.ndarray:
  """Equals lax.conv_transpose(x, kernel, strides, padding) (NHWC, HWIO,
  transpose_kernel=False, no dilation), without lhs-dilated convolutions."""
  if isinstance(padding, str):
    pads = [conv_transpose_padding(k, s, padding.upper())
            for k, s in zip(kernel.shape[:2], strides)]
  else:
    pads = [tuple(p) for p in padding]
  (sh, sw), (kh, kw) = strides, kernel.shape[:2]
  (h, w), (cin, cout) = x.shape[1:3], kernel.shape[2:]
  sel_h, m_h, q_h, out_h = _phase_selection(kh, sh, pads[0], h)
  sel_w, m_w, q_w, out_w = _phase_selection(kw, sw, pads[1], w)
  # One kernel for all phases: (Lh, Lw, Cin, sh*sw*Cout), phases major.
  phased = jnp.einsum('arh,bsw,hwio->abirso', sel_h, sel_w, kernel,
                      precision=lax.Precision.HIGHEST)
  phased = phased.reshape(sel_h.shape[0], sel_w.shape[0], cin,
                          sh * sw * cout).astype(kernel.dtype)
  conv_pads = [(-m_h, q_h - 1 + m_h + sel_h.shape[0] - 1 - (h - 1)),
               (-m_w, q_w - 1 + m_w + sel_w.shape[0] - 1 - (w - 1))]
  z = _stride1_conv(x, phased, conv_pads)  # (B, Qh, Qw, sh*sw*Cout)
  batch = x.shape[0]
  y = z.reshape(batch, q_h, q_w, sh, sw, cout).transpose(0, 1, 3, 2, 4, 5)
  y = y.reshape(batch, q_h * sh, q_w * sw, cout)
  return y[:, :out_h, :out_w, :]


def conv(x: jnp.ndarray, kernel: jnp.ndarray, strides: Sequence[int],
         padding: Padding) -> jnp.ndarray:
  """Equals lax.conv_general_dilated(x, kernel, strides, padding) (NHWC,
  HWIO, no dilation); strided convolutions go through space-to-depth."""
  (sh, sw), (kh, kw) = strides, kernel.shape[:2]
  (h, w), (cin, cout) = x.shape[1:3], kernel.shape[2:]
  pads = conv_padding((h, w), (kh, kw), strides, padding)
  if (sh, sw) == (1, 1):
    return _stride1_conv(x, kernel, pads)
  out_h = (h + sum(pads[0]) - kh) // sh + 1
  out_w = (w + sum(pads[1]) - kw) // sw + 1
  a_h, a_w = -(-kh // sh), -(-kw // sw)  # Kernel size after space-to-depth.
  # Pad (or crop) so the padded input is exactly (out + a - 1) blocks long.
  x = lax.pad(x, jnp.zeros((), x.dtype),
              [(0, 0, 0),
               (pads[0][0], sh * (out_h + a_h - 1) - h - pads[0][0], 0),
               (pads[1][0], sw * (out_w + a_w - 1) - w - pads[1][0], 0),
               (0, 0, 0)])
  batch, hb, wb = x.shape[0], out_h + a_h - 1, out_w + a_w - 1
  x = x.reshape(batch, hb, sh, wb, sw, cin).transpose(0, 1, 3, 2, 4, 5)
  x = x.reshape(batch, hb, wb, sh * sw * cin)
  kernel = jnp.pad(kernel, [(0, a_h * sh - kh), (0, a_w * sw - kw), (0, 0),
                            (0, 0)])
  kernel = kernel.reshape(a_h, sh, a_w, sw, cin, cout).transpose(0, 2, 1, 3, 4, 5)
  kernel = kernel.reshape(a_h, a_w, sh * sw * cin, cout)
  return _stride1_conv(x, kernel, [(0, 0), (0, 0)])

