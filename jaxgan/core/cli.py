"""What every jaxgan command does at its edge: quiet libraries, and user
errors shown as one line without a traceback."""

import contextlib
import logging as std_logging
import sys
import traceback

from absl import logging

from jaxgan.core.errors import JaxganError


class _OnlyWarningsFromLibraries(std_logging.Filter):
  """Orbax and TensorFlow log every save at INFO; keep their warnings only."""
  NOISY = ('/orbax/', '/tensorflow', '/clu/', '/etils/', '/jax/_src/')

  def filter(self, record):
    return record.levelno >= std_logging.WARNING or not any(
        part in record.pathname for part in self.NOISY)


def _is_orbax_teardown(unraisable) -> bool:
  """A save that fails (a full disk) ends Orbax's event loop while
  TensorStore's other writes are still in flight; each of them then reports
  to the closed loop, an 'Event loop is closed' traceback per write that
  TensorStore hands to sys.unraisablehook (dozens, printed in the middle of
  the command's own error line). Harmless: the save failed already."""
  error = unraisable.exc_value
  frames = traceback.extract_tb(unraisable.exc_traceback)
  return (isinstance(error, RuntimeError) and
          str(error) == 'Event loop is closed' and
          any(frame.name == 'call_soon_threadsafe' for frame in frames))


def _quiet_orbax_teardown() -> None:
  default = sys.unraisablehook

  def hook(unraisable):
    if not _is_orbax_teardown(unraisable):
      default(unraisable)

  sys.unraisablehook = hook


def quiet_libraries(quiet: bool = True) -> None:
  """Orbax's, TensorFlow's, CLU's and JAX's INFO lines dropped from the log
  (their warnings kept), or shown again. On absl's logger, which most log
  through, whichever handler prints (absl's after app.run, Python's in a
  notebook), and on absl's handler, which prints for Python's loggers too
  after app.run."""
  for target in (logging.get_absl_logger(), logging.get_absl_handler()):
    for old in [f for f in target.filters
                if isinstance(f, _OnlyWarningsFromLibraries)]:
      target.removeFilter(old)
    if quiet:
      target.addFilter(_OnlyWarningsFromLibraries())


def start(argv) -> None:
  """How every command begins: libraries quiet, no stray arguments."""
  quiet_libraries()
  _quiet_orbax_teardown()
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
