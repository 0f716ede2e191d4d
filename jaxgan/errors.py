"""Errors caused by what the user asked for, shown without a traceback."""


class ConfigError(ValueError):
  """A bad config value, CLI flag, dataset or workdir; the message says
  which field, the value given and what is valid."""


class DatasetNotFoundError(ConfigError, FileNotFoundError):
  """The dataset asked for is not on this machine; the message says how to
  provide it."""
