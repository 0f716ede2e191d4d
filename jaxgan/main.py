"""Trains a GAN: python -m jaxgan.main --config=configs/dcgan_mnist.py --workdir=DIR

--config takes a config file's path or a shipped config's name
(--config=dcgan_mnist). Override any config field on the command line, e.g.
  --config.train.num_steps=300 --config.data.batch_size=64
Rerunning with the same --workdir resumes from its latest checkpoint.
Exit codes: 0 done, 2 bad flag/config/data/workdir, 1 damaged checkpoint,
failed save or diverged run, 128+N stopped by signal N (checkpoint saved).
"""

import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')  # TF (for tfds/CLU) is noisy.

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
from absl import logging
import jax
from ml_collections import config_flags

from jaxgan.core import cli, config_files, interrupts, parallel
from jaxgan.core.errors import ConfigError
from jaxgan.run import config_validation

_WORKDIR = flags.DEFINE_string(
    'workdir', None, 'Directory for checkpoints, logs and samples.',
    required=True)
_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Experiment config: a file (configs/dcgan_mnist.py) or a '
    'shipped config\'s name (dcgan_mnist).', lock_config=True)
_RESTORE_FALLBACK = flags.DEFINE_bool(
    'restore_fallback', False,
    'If the latest checkpoint is damaged, move it to '
    'workdir/damaged_checkpoints and resume from the newest intact one '
    '(default: stop and name it).')
_FORCE = flags.DEFINE_bool(
    'force', False,
    'Start this experiment even if --workdir holds another one (a different '
    'config or data), moving that run to workdir/replaced/TIME.')
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
      raise ConfigError(_config_load_error(e)) from e
    if not _WORKDIR.value.strip():
      raise ConfigError('--workdir is empty: give the directory for the '
                        'run\'s checkpoints, logs and samples.')
    # Bad config values fail here, before TensorFlow (imported by the loop's
    # data and metric-writer libraries) takes seconds to load.
    config_validation.validate(config)
    from jaxgan import api  # pylint: disable=g-import-not-at-top
    try:
      api.train(config, _WORKDIR.value,
                restore_fallback=_RESTORE_FALLBACK.value, force=_FORCE.value)
    except interrupts.Interrupted as e:
      sys.exit(e.exit_code)
    except KeyboardInterrupt:
      print('jaxgan: interrupted; the workdir keeps the latest checkpoint.',
            file=sys.stderr)
      sys.exit(130)


def _config_load_error(error: OSError) -> str:
  """A config file that exists but failed to load (a missing one is
  config_files.not_found)."""
  return f'--config cannot be loaded: {" ".join(str(error).split())}.'


def _configs_by_name(argv):
  """argv with --config=NAME replaced by the shipped config's path."""
  out = []
  for arg in argv:
    if out and out[-1] in ('--config', '-config'):
      arg = _config_path(arg)
    for prefix in ('--config=', '-config='):
      if arg.startswith(prefix):
        arg = prefix + _config_path(arg[len(prefix):])
    out.append(arg)
  return out


def _config_path(value: str) -> str:
  # ml_collections reads `path:argument`; the name is before the colon.
  name, colon, argument = value.partition(':')
  path = config_files.resolve(name)
  if not os.path.isfile(path):
    cli.exit_with_error(config_files.not_found(name))
  return path + colon + argument


def parse_flags(argv):
  """absl's parser, with bad --config.* overrides reported in one line."""
  try:
    return flags.FLAGS(_configs_by_name(argv))
  except OSError as e:  # --config failed to load, then overrides used it.
    cli.exit_with_error(_config_load_error(e))
  except (flags.Error, AttributeError, KeyError, TypeError, ValueError) as e:
    detail = e
    while isinstance(detail, BaseException) and detail.args:
      detail = detail.args[0]  # ml_collections nests KeyError in AttributeError.
    detail = '. '.join(l.strip() for l in str(detail).splitlines() if l.strip())
    if isinstance(e, (AttributeError, KeyError)):
      detail = f'unknown config field {detail}'
    cli.exit_with_error(f'bad command-line flag: {detail}\nRun with '
                        f'--helpfull for the flags; config fields are listed '
                        f'in configs/default.py.')


if __name__ == '__main__':
  flags.mark_flags_as_required(['config'])
  app.run(main, flags_parser=parse_flags)
