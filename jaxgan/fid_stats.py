"""Computes a dataset's Inception reference once, as a shareable file:
python -m jaxgan.fid_stats --config=configs/dcgan_folder.py \
    --config.data.data_dir=FOLDER --num_samples=10000 --out=emoji_ref.npz

The FID Inception features of n real training images and n held-out ones
(the data that --config describes, drawn as jaxgan.evaluate draws them), with
their mean and covariance and what made them (evaluation/reference_file.py).
`jaxgan.evaluate --reference=FILE` (or eval.reference) then scores a run
against it without the dataset and without recomputing the real side; the
real-vs-real FID printed here is the reference row at this count.
"""

import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
from ml_collections import config_flags

from jaxgan.core import cli
from jaxgan.core.errors import ConfigError
from jaxgan.evaluation import quality as quality_lib, reference_file
from jaxgan.run import config_validation

FLAGS = flags.FLAGS


def write_reference(config, num_samples: int, out: str, seed: int = 0):
  """Writes the reference file of config.data; returns the real held-out
  images' metrics against the training ones (the reference row)."""
  if num_samples < quality_lib.MIN_SAMPLES:
    raise ConfigError(f'--num_samples={num_samples} is invalid: expected an '
                      f'integer >= {quality_lib.MIN_SAMPLES}.')
  if not out.endswith('.npz'):
    raise ConfigError(f'--out={out!r} is invalid: expected a file name '
                      f'ending in .npz.')
  config.eval.features, config.eval.reference = 'inception', ''
  config_validation.validate(config)
  quality, splits = quality_lib.from_config(config, num_samples, seed)
  reference_file.write(out, quality.real_features, quality.heldout_features, {
      'space': quality.space, 'evaluator': quality.evaluator.info,
      'num_samples': quality.num_samples, 'seed': seed,
      'data': splits.train.description, 'heldout': splits.test_origin,
      'reference': quality.reference})
  return quality.reference, quality.num_samples


def define_flags():
  config_flags.DEFINE_config_file(
      'config', None, 'A config whose data.* fields name the dataset.')
  flags.DEFINE_integer('num_samples', 10000,
                       'Real training (and held-out) images to describe.')
  flags.DEFINE_integer('seed', 0, 'Seed of the images drawn.')
  flags.DEFINE_string('out', None, 'The .npz file to write.', required=True)


def main(argv):
  cli.start(argv)
  with cli.user_errors_exit():
    if FLAGS.config is None:
      raise ConfigError('--config is required: a config whose data.* fields '
                        'name the dataset (e.g. configs/dcgan_folder.py).')
    reference, num = write_reference(FLAGS.config, FLAGS.num_samples,
                                     FLAGS.out, FLAGS.seed)
  print(f'Wrote the Inception features of {num} real and {num} held-out '
        f'images to {FLAGS.out}; real vs real at this count: FID '
        f'{reference["fid"]:.3f}, KID {reference["kid"]:.5f}.')
  sys.stdout.flush()


if __name__ == '__main__':
  define_flags()
  app.run(main)
