"""Draws images from a trained run:
python -m jaxgan.sample --workdir=DIR --num=N --out=FILE.npz|FILE.png

.npz: uint8 `images` (N, H, W, C) in 0..255 and, for conditional models,
`labels` (readable back with data.source=npz). .png: one grid.
"""

import os

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
from absl import logging
import numpy as np

from jaxgan import cli, images, runs, sampling
from jaxgan.errors import ConfigError

FLAGS = flags.FLAGS
FORMATS = ('.npz', '.png')


def sample(workdir: str, num: int, out: str, checkpoint: str = 'latest',
           seed: int = 0, labels: str = 'cycle') -> dict:
  """Writes `num` images of the run to `out`; returns the arrays written."""
  extension = os.path.splitext(out)[1].lower()
  if extension not in FORMATS:
    raise ConfigError(f'--out={out!r} is invalid: expected a file name '
                      f'ending in {" or ".join(FORMATS)}.')
  if num < 1:
    raise ConfigError(f'--num={num} is invalid: expected an integer >= 1.')
  config = runs.load_config(workdir)
  g_model, _, state = runs.load_state(workdir, config, checkpoint)
  arrays = sampling.draw_samples(config, g_model, state, num, seed, labels)
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  if extension == '.npz':
    tmp = out + '.tmp.npz'
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, out)
  else:
    images.save_png(out, images.make_grid(arrays['images']))
  logging.info('Wrote %d images of step %d to %s.', num, int(state.step), out)
  return arrays


def define_flags():
  """The command's flags; defined only when run as a command, so the
  library functions import anywhere."""
  flags.DEFINE_string('workdir', None, 'The training run.', required=True)
  flags.DEFINE_integer('num', 64, 'How many images.')
  flags.DEFINE_string('out', None, 'Output file: .npz or .png.',
                      required=True)
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
           FLAGS.seed, FLAGS.labels)
  print(f'Wrote {FLAGS.out}')


if __name__ == '__main__':
  define_flags()
  app.run(main)
