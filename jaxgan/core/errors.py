"""Errors the user can act on, shown as one line without a traceback."""


class JaxganError(Exception):
  """A problem with what the user asked for or with the run's files; the
  message says what, where, and what to do. `exit_code` is the command's."""
  exit_code = 1


class ConfigError(JaxganError, ValueError):
  """A bad config value, CLI flag, dataset or workdir; the message says
  which field, the value given and what is valid."""
  exit_code = 2


class DatasetNotFoundError(ConfigError, FileNotFoundError):
  """The dataset asked for is not on this machine; the message says how to
  provide it."""


class CheckpointError(JaxganError):
  """A checkpoint that cannot be restored (damaged, truncated, from another
  model) or saved (disk full); the message names it and what is intact."""


class DivergenceError(JaxganError, FloatingPointError):
  """Training produced NaN or inf; the message names the step, the
  quantities and the last good checkpoint, which is kept."""
