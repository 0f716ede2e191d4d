"""Decoded images on disk: a folder is decoded once, and later runs map the
result (a uint8 .npy file) in seconds instead of decoding again.

An entry is keyed by what it was made from: every file's path, size and
modification time, and the decoding options, so a changed, added or removed
file (or another image size) makes a new entry. Entries are written to a
temporary folder and renamed into place, so a killed decode leaves nothing
half-written, and processes sharing the cache never read a partial entry.
"""

import concurrent.futures
import hashlib
import json
import os
import shutil
import tempfile
import time
from typing import Callable, Optional, Sequence, Tuple

from absl import logging
import numpy as np

from jaxgan.core import files

FORMAT_VERSION = 1
# Images decoded per chunk: bounds the decoder's memory whatever the folder's
# size (the output is written through a memory map).
CHUNK = 1024
PROGRESS_SECONDS = 10.0


def root(cache_dir: str) -> str:
  """data.cache_dir, else $JAXGAN_CACHE_DIR/decoded, else
  ~/.cache/jaxgan/decoded."""
  if cache_dir:
    return cache_dir
  base = os.environ.get('JAXGAN_CACHE_DIR') or os.path.join(
      os.path.expanduser('~'), '.cache', 'jaxgan')
  return os.path.join(base, 'decoded')


def key(folder: str, relative_paths: Sequence[str], options: dict) -> str:
  """A digest of the files' paths, sizes and modification times and of the
  decoding options: what decides the decoded arrays."""
  digest = hashlib.sha256(json.dumps(
      {'version': FORMAT_VERSION, 'options': options}, sort_keys=True).encode())
  for path in relative_paths:
    stat = os.stat(os.path.join(folder, path))
    digest.update(f'{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n'.encode())
  return digest.hexdigest()[:32]


class Entry:
  """A decoded split: `images` (memory-mapped, read-only), `labels` or None,
  and `meta` (what was decoded, what was skipped and why)."""

  def __init__(self, directory: str):
    self.directory = directory
    self.images = np.load(os.path.join(directory, 'images.npy'), mmap_mode='r')
    labels_path = os.path.join(directory, 'labels.npy')
    self.labels = np.load(labels_path) if os.path.exists(labels_path) else None
    self.meta = files.read_json(os.path.join(directory, 'meta.json'))


def load_or_decode(cache_root: str, entry_key: str, folder: str,
                   relative_paths: Sequence[str],
                   labels: Optional[np.ndarray],
                   decode: Callable[[str], np.ndarray],
                   image_shape: Tuple[int, int, int]) -> Tuple[Entry, bool]:
  """The cached entry `entry_key`, decoding the files into it first if it
  is not there. Returns (entry, whether it was decoded now)."""
  directory = os.path.join(cache_root, entry_key)
  if os.path.exists(os.path.join(directory, 'meta.json')):
    return Entry(directory), False
  os.makedirs(cache_root, exist_ok=True)
  staging = tempfile.mkdtemp(prefix=f'.{entry_key}-', dir=cache_root)
  try:
    _decode_into(staging, folder, relative_paths, labels, decode, image_shape)
    try:
      os.rename(staging, directory)
    except OSError:  # Another process finished the same entry first.
      if not os.path.exists(os.path.join(directory, 'meta.json')):
        raise
  finally:
    shutil.rmtree(staging, ignore_errors=True)
  return Entry(directory), True


def _decode_into(staging: str, folder: str, relative_paths: Sequence[str],
                 labels: Optional[np.ndarray], decode, image_shape) -> None:
  """Decodes every file (threads: PIL releases the GIL while it decodes and
  resizes) into staging/images.npy, leaving out the files that fail."""
  count = len(relative_paths)
  images = np.lib.format.open_memmap(
      os.path.join(staging, 'images.npy'), 'w+', np.uint8,
      (count,) + tuple(image_shape))
  good = np.zeros(count, bool)
  skipped = []
  start = last_report = time.time()

  def decode_one(i):
    try:
      return i, decode(os.path.join(folder, relative_paths[i])), None
    except (OSError, ValueError, SyntaxError) as e:  # PIL's decoding errors.
      return i, None, f'{type(e).__name__}: {e}'

  written = 0
  with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
    for first in range(0, count, CHUNK):
      indices = range(first, min(first + CHUNK, count))
      for i, image, error in pool.map(decode_one, indices):
        if error is None:
          images[written] = image
          good[i] = True
          written += 1
        else:
          skipped.append({'file': relative_paths[i], 'error': error})
      if time.time() - last_report > PROGRESS_SECONDS:
        last_report = time.time()
        logging.info('Decoding %s: %d / %d images (%.0f/s).', folder,
                     indices[-1] + 1, count,
                     (indices[-1] + 1) / (last_report - start))
  images.flush()
  del images
  if written < count:  # Drop the unused tail rows: rewrite the header.
    full = np.load(os.path.join(staging, 'images.npy'), mmap_mode='r')
    kept = np.lib.format.open_memmap(
        os.path.join(staging, 'kept.npy'), 'w+', np.uint8,
        (written,) + tuple(image_shape))
    for first in range(0, written, CHUNK):
      last = min(first + CHUNK, written)
      kept[first:last] = full[first:last]
    kept.flush()
    del kept, full
    os.replace(os.path.join(staging, 'kept.npy'),
               os.path.join(staging, 'images.npy'))
  if labels is not None:
    np.save(os.path.join(staging, 'labels.npy'),
            np.asarray(labels, np.int32)[good])
  files.write_json(os.path.join(staging, 'meta.json'), {
      'folder': folder, 'num_files': count, 'num_images': written,
      'skipped': skipped, 'seconds': round(time.time() - start, 1)})
