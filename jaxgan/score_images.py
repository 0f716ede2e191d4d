"""Scores images made anywhere with jaxgan's evaluator:
python -m jaxgan.score_images --dataset=mnist [--features=inception] FILE ...

Samples of another framework, or the sample grids a paper's authors
released, measured by the evaluator that measures jaxgan's runs, beside as
many real held-out images. Every metric depends on the sample count (FD grows
as it shrinks), so figures compare only at equal counts: the reference row is
that count's, and `python -m jaxgan.sample --num=N` draws a run's N to match.

A FILE is a PNG or JPEG grid of images (cut into cells of the dataset's
image size, `--padding` pixels apart and around: 2 as `jaxgan.sample` writes
them, 0 for grids tiled edge to edge) or a .npz / .npy of uint8 images
(N, H, W, C) (an .npz's `images`, as `jaxgan.sample` writes).
"""

import os
import sys
from typing import Dict, Sequence

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
import numpy as np
from PIL import Image

from jaxgan.configs import default
from jaxgan.core import cli, files
from jaxgan.core.errors import ConfigError
from jaxgan.datasets import data, images
from jaxgan.evaluation import quality as quality_lib, results

FLAGS = flags.FLAGS
GRID_FORMATS = ('.png', '.jpg', '.jpeg')
FORMATS = GRID_FORMATS + ('.npz', '.npy')


def read_images(path: str, image_shape: Sequence[int],
                padding: int = 0) -> np.ndarray:
  """uint8 (N, H, W, C) images of one file (see the module docstring)."""
  extension = os.path.splitext(path)[1].lower()
  if extension not in FORMATS:
    raise ConfigError(f'{path!r} is not an image file jaxgan reads: expected '
                      f'a name ending in {" or ".join(FORMATS)}.')
  if not os.path.isfile(path):
    raise ConfigError(f'{path!r} does not exist.')
  height, width, channels = image_shape
  if extension in GRID_FORMATS:
    with Image.open(path) as image:
      grid = np.asarray(image.convert('L' if channels == 1 else 'RGB'))
    return images.split_grid(grid.reshape(grid.shape[:2] + (channels,)),
                             height, width, padding, path)
  if extension == '.npz':
    with np.load(path) as loaded:
      if 'images' not in loaded:
        raise ConfigError(f'{path!r} has no `images` array; it holds '
                          f'{", ".join(loaded.files) or "nothing"}.')
      array = loaded['images']
  else:
    array = np.load(path)
  if array.ndim == 3:
    array = array[..., None]
  if array.dtype != np.uint8 or array.shape[1:] != tuple(image_shape):
    raise ConfigError(
        f'{path!r} holds {array.dtype} images of shape {array.shape[1:]}; '
        f'expected uint8 images of shape {tuple(image_shape)}.')
  return array


def score(paths: Sequence[str], dataset: str = 'mnist', source: str = 'auto',
          data_dir: str = '', padding: int = 0, seed: int = 0,
          features: str = 'auto', inception_weights: str = ''
          ) -> Dict[str, object]:
  """Every metric of the images in `paths` and of as many real held-out
  images, as `jaxgan.evaluate` reports a run's, in the feature space
  `features` (eval.features)."""
  if not paths:
    raise ConfigError('No image files given: pass one or more PNG or JPEG '
                      'grids or .npz / .npy files after the flags.')
  if padding < 0:
    raise ConfigError(f'--padding={padding} is invalid: expected an integer '
                      f'>= 0.')
  image_shape = data.known_spec(dataset).image_shape
  pixels = np.concatenate([read_images(p, image_shape, padding)
                           for p in paths])
  config = default.get_config()
  config.data.name, config.data.source = dataset, source
  config.data.data_dir = data_dir
  config.eval.features, config.eval.inception_weights = (features,
                                                         inception_weights)
  quality_lib.check_config(config)
  quality, _ = quality_lib.from_config(config, pixels.shape[0], seed)
  if quality.num_samples < pixels.shape[0]:
    raise ConfigError(
        f'{pixels.shape[0]} images given, but the real {dataset} sets hold '
        f'only {quality.num_samples} to compare them with.')
  return {'files': list(paths), 'num_samples': quality.num_samples,
          'seed': seed, 'evaluator': quality.evaluator.info,
          'metrics': quality.score(pixels), 'reference': quality.reference,
          'protocols': {}}


def define_flags():
  """The command's flags; defined only when run as a command, so the
  library functions import anywhere."""
  flags.DEFINE_string('dataset', 'mnist',
                      'What the images are of: the real set and evaluator '
                      f'to use ({", ".join(sorted(data.DATASETS))}).')
  flags.DEFINE_string('data_source', 'auto',
                      'data.source of the real images '
                      f'({" | ".join(data.SOURCES)}).')
  flags.DEFINE_string('data_dir', '', 'data.data_dir of the real images.')
  flags.DEFINE_integer('padding', 0, 'Pixels between and around the cells '
                       'of an image grid (jaxgan.sample writes 2).')
  flags.DEFINE_integer('seed', 0, 'Seed of the real images drawn.')
  flags.DEFINE_enum('features', 'auto', quality_lib.FEATURE_CHOICES,
                    'The feature space: auto (the dataset\'s classifier '
                    'evaluator where it has labels) | classifier | inception '
                    '(FID and the label-free metrics).')
  flags.DEFINE_string('inception_weights', '', 'The FID Inception weights '
                      '(see eval.inception_weights).')
  flags.DEFINE_string('out', '', 'Also write the result to this JSON file.')


def main(argv):
  cli.start(argv[:1])
  with cli.user_errors_exit():
    result = score(argv[1:], FLAGS.dataset, FLAGS.data_source, FLAGS.data_dir,
                   FLAGS.padding, FLAGS.seed, FLAGS.features,
                   FLAGS.inception_weights)
  print(f'{len(argv) - 1} file(s), {result["num_samples"]} images:\n')
  print(results.format_table(result))
  if FLAGS.out:
    files.write_json(FLAGS.out, result)
    print(f'\nWritten to {FLAGS.out}')
  sys.stdout.flush()


if __name__ == '__main__':
  define_flags()
  app.run(main)
