"""A folder of image files as a dataset: what is in it, and one image decoded.

Layout (data.source=folder, data.data_dir=FOLDER):
  FOLDER/*.png ...                  unlabelled: every image file under FOLDER
  FOLDER/<class>/*.png ...          labelled: one subfolder per class (files at
                                    the top level next to them are refused)
  FOLDER/train/..., FOLDER/test/... the folder's own split, each laid out as
                                    above; without one, a fixed share of the
                                    files is held out by a hash of its path
PNG, JPEG, WebP, BMP and GIF (first frame), any size and mode. Transparent
pixels are composited onto data.background; each image is centre-cropped to
a square and resized to data.image_size with data.resize_filter.
"""

import dataclasses
import hashlib
import os
from typing import List, Optional, Sequence, Tuple

import numpy as np

from jaxgan.core.errors import ConfigError, DatasetNotFoundError

EXTENSIONS = ('.png', '.jpg', '.jpeg', '.webp', '.bmp', '.gif')
# data.resize_filter -> PIL's resampling filter (each antialiases).
RESIZE_FILTERS = ('bicubic', 'bilinear', 'lanczos', 'box', 'nearest')
SPLIT_FOLDERS = ('train', 'test')


@dataclasses.dataclass(frozen=True)
class Listing:
  """The image files of one split, in a fixed order."""
  root: str
  files: Tuple[str, ...]  # Paths relative to root.
  labels: Optional[np.ndarray]  # int32 (N,), or None: unlabelled.
  class_names: Tuple[str, ...]  # () when unlabelled.


def has_split_folders(folder: str) -> bool:
  return all(os.path.isdir(os.path.join(folder, s)) for s in SPLIT_FOLDERS)


def _visible_entries(folder: str) -> List[os.DirEntry]:
  return sorted((e for e in os.scandir(folder) if not e.name.startswith('.')),
                key=lambda e: e.name)


def _is_image(name: str) -> bool:
  return name.lower().endswith(EXTENSIONS)


def class_names(folder: str) -> Tuple[str, ...]:
  """The class subfolders of `folder` (of its train/ split where it has
  one), or () for an unlabelled folder. Cheap: one directory listing."""
  _check_folder(folder)
  if has_split_folders(folder):
    folder = os.path.join(folder, 'train')
  entries = _visible_entries(folder)
  if any(e.is_file() and _is_image(e.name) for e in entries):
    return ()
  return tuple(e.name for e in entries if e.is_dir())


def _check_folder(folder: str) -> None:
  if not folder:
    raise ConfigError('data.source=folder needs data.data_dir: the folder of '
                      'images (optionally one subfolder per class).')
  if not os.path.isdir(folder):
    raise DatasetNotFoundError(
        f'data.data_dir={folder!r} is not a folder; data.source=folder reads '
        f'a folder of images ({", ".join(EXTENSIONS)}).')


def _image_files(folder: str) -> List[str]:
  """Every image file under `folder`, relative to it, sorted."""
  found = []
  for here, dirs, names in os.walk(folder, followlinks=True):
    dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
    rel = os.path.relpath(here, folder)
    found.extend(os.path.normpath(os.path.join(rel, n)) for n in sorted(names)
                 if _is_image(n) and not n.startswith('.'))
  return found


def list_split(folder: str, split: str, holdout_fraction: float) -> Listing:
  """The files of `split` ('train' | 'test'): the folder's own split where it
  has train/ and test/, else the files whose path hashes into the held-out
  share (test) or the rest (train): fixed per file, so adding images never
  moves others between splits."""
  _check_folder(folder)
  names = class_names(folder)
  own_split = has_split_folders(folder)
  root = os.path.join(folder, split) if own_split else folder
  if names:
    files, labels = [], []
    for label, name in enumerate(names):
      class_dir = os.path.join(root, name)
      in_class = (_image_files(class_dir) if os.path.isdir(class_dir) else [])
      files.extend(os.path.join(name, f) for f in in_class)
      labels.extend([label] * len(in_class))
    labels = np.asarray(labels, np.int32)
  else:
    files, labels = _image_files(root), None
  if not own_split:
    held = np.asarray([_held_out(f, holdout_fraction) for f in files], bool)
    keep = held if split == 'test' else ~held
    files = [f for f, k in zip(files, keep) if k]
    labels = None if labels is None else labels[keep]
  if not files:
    raise DatasetNotFoundError(_no_images_message(folder, split, own_split,
                                                  holdout_fraction))
  return Listing(root, tuple(files), labels, names)


def _held_out(relative_path: str, fraction: float) -> bool:
  digest = hashlib.sha1(relative_path.encode('utf-8')).digest()
  return int.from_bytes(digest[:4], 'big') < fraction * 2**32


def _no_images_message(folder, split, own_split, holdout_fraction) -> str:
  if own_split:
    return (f'data.data_dir={folder!r}: its {split}/ folder holds no image '
            f'files ({", ".join(EXTENSIONS)}).')
  if split == 'test':
    return (f'data.data_dir={folder!r}: no image is held out for testing '
            f'(data.holdout_fraction={holdout_fraction}); raise it, or give '
            f'the folder train/ and test/ subfolders.')
  return (f'data.data_dir={folder!r} holds no image files '
          f'({", ".join(EXTENSIONS)}) for training; put images in it, or one '
          f'subfolder of images per class.')


def parse_color(text: str) -> Tuple[int, int, int]:
  """data.background: a colour name PIL knows ('white', 'black') or '#rrggbb'
  or 'r,g,b'."""
  from PIL import ImageColor  # pylint: disable=g-import-not-at-top
  try:
    if ',' in text:
      rgb = tuple(int(v) for v in text.split(','))
      if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
        raise ValueError(text)
      return rgb
    return ImageColor.getrgb(text)[:3]
  except ValueError as e:
    raise ConfigError(f'data.background={text!r} is invalid: expected a '
                      f'colour name (white, black, ...), #rrggbb or r,g,b '
                      f'with each in 0..255.') from e


def decode(path: str, size: int, channels: int, resize_filter: str,
           background: Sequence[int]) -> np.ndarray:
  """One image file as uint8 (size, size, channels): transparency composited
  onto `background`, centre-cropped to a square, resized. Raises OSError
  (or PIL's subclasses of it, or ValueError) if it cannot be decoded."""
  from PIL import Image, ImageOps  # pylint: disable=g-import-not-at-top
  with Image.open(path) as image:
    image.load()  # Decodes now: a truncated file fails here.
    image = ImageOps.exif_transpose(image)
    if image.mode in ('RGBA', 'LA', 'PA') or (
        image.mode == 'P' and 'transparency' in image.info):
      rgba = image.convert('RGBA')
      image = Image.new('RGBA', rgba.size, tuple(background) + (255,))
      image.alpha_composite(rgba)
    image = image.convert('L' if channels == 1 else 'RGB')
    filter_ = getattr(Image.Resampling, resize_filter.upper())
    image = ImageOps.fit(image, (size, size), method=filter_)
    array = np.asarray(image, np.uint8)
  return array.reshape(size, size, channels)
