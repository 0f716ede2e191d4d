"""Trains a GAN: python -m jaxgan.main --config=configs/dcgan_mnist.py --workdir=DIR

Override any config field on the command line, e.g.
  --config.train.num_steps=300 --config.data.batch_size=64
Rerunning with the same --workdir resumes from its latest checkpoint.
"""

import glob
import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')  # TF (for tfds/CLU) is noisy.

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
from absl import logging
import jax
from ml_collections import config_flags

from jaxgan import cli, config_validation, interrupts, parallel
from jaxgan.errors import ConfigError

_WORKDIR = flags.DEFINE_string(
    'workdir', None, 'Directory for checkpoints, logs and samples.',
    required=True)
_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Experiment config file, e.g. configs/dcgan_mnist.py.',
    lock_config=True)
# Multi-process runs (launch/local.sh sets these; SLURM and Cloud TPU pods
# are detected without them).
_COORDINATOR = flags.DEFINE_string(
    'coordinator_address', '', 'HOST:PORT of process 0, for jax.distributed.')
_NUM_PROCESSES = flags.DEFINE_integer(
    'num_processes', 0, 'Processes in the run (0: one, or detected).')
_PROCESS_ID = flags.DEFINE_integer('process_id', -1,
                                   'This process\'s index, 0..N-1.')


def main(argv):
  cli.start(argv)
  with cli.user_errors_exit():
    parallel.initialize(_COORDINATOR.value, _NUM_PROCESSES.value,
                        _PROCESS_ID.value)
  logging.info('JAX %s: process %d of %d, %d local / %d global devices (%s).',
               jax.__version__, jax.process_index(), jax.process_count(),
               jax.local_device_count(), jax.device_count(),
               jax.devices()[0].platform)
  with cli.user_errors_exit():
    try:
      config = _CONFIG.value
      'seed' in config  # pylint: disable=pointless-statement
      # (A config file that failed to load raises on first use.)
    except OSError as e:
      configs = sorted(glob.glob(os.path.join('configs', '[!_]*.py')))
      raise ConfigError(
          f'--config cannot be loaded: {" ".join(str(e).split())}. Configs '
          f'here: '
          f'{", ".join(configs) or "none (run from the repository root)"}.'
      ) from e
    # Bad config values fail here, before TensorFlow (imported by the loop's
    # data and metric-writer libraries) takes seconds to load.
    config_validation.validate(config)
    from jaxgan import train  # pylint: disable=g-import-not-at-top
    try:
      train.train_and_evaluate(config, _WORKDIR.value)
    except interrupts.Interrupted as e:
      sys.exit(e.exit_code)
    except KeyboardInterrupt:
      print('jaxgan: interrupted; the workdir keeps the latest checkpoint.',
            file=sys.stderr)
      sys.exit(130)


def parse_flags(argv):
  """absl's parser, with bad --config.* overrides reported in one line."""
  try:
    return flags.FLAGS(argv)
  except (flags.Error, AttributeError, KeyError, TypeError, ValueError) as e:
    detail = e
    while isinstance(detail, BaseException) and detail.args:
      detail = detail.args[0]  # ml_collections nests KeyError in AttributeError.
    detail = '. '.join(l.strip() for l in str(detail).splitlines() if l.strip())
    if isinstance(e, (AttributeError, KeyError)):
      detail = f'unknown config field {detail}'
    print(f'jaxgan: error: bad command-line flag: {detail}\n'
          f'Run with --helpfull for the flags; config fields are listed in '
          f'configs/default.py.', file=sys.stderr)
    sys.exit(2)


if __name__ == '__main__':
  flags.mark_flags_as_required(['config'])
  app.run(main, flags_parser=parse_flags)
