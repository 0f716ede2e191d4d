"""What every jaxgan command does at its edge: quiet libraries, and user
errors shown as one line without a traceback."""

import contextlib
import logging as std_logging
import sys

from absl import logging

from jaxgan.errors import JaxganError


class _OnlyWarningsFromLibraries(std_logging.Filter):
  """Orbax and TensorFlow log every save at INFO; keep their warnings only."""
  NOISY = ('/orbax/', '/tensorflow', '/clu/', '/etils/', '/jax/_src/')

  def filter(self, record):
    return record.levelno >= std_logging.WARNING or not any(
        part in record.pathname for part in self.NOISY)


def start(argv) -> None:
  """How every command begins: libraries quiet, no stray arguments."""
  logging.get_absl_handler().addFilter(_OnlyWarningsFromLibraries())
  if len(argv) > 1:
    exit_with_error(f'unexpected arguments: {" ".join(argv[1:])}; flags '
                    f'take the form --name=value (--helpfull lists them).')


def exit_with_error(message: str, exit_code: int = 2) -> None:
  """Ends the command with its `jaxgan: error:` message on stderr."""
  print(f'jaxgan: error: {message}', file=sys.stderr)
  sys.exit(exit_code)


@contextlib.contextmanager
def user_errors_exit():
  """A JaxganError ends the command with its message and its exit code: 2
  for a bad flag, config, dataset or workdir, 1 for a damaged checkpoint, a
  failed save or a diverged run."""
  try:
    yield
  except JaxganError as e:
    exit_with_error(str(e), e.exit_code)
