"""Checks of single config fields, for the components that own them: each
failure is a ConfigError naming the field, the value and what is valid."""

import numbers
from typing import Iterable

from jaxgan.core.errors import ConfigError


def unknown(field: str, value, choices: Iterable[str]) -> str:
  """The message for a value that is not one of `choices` (in the order
  given)."""
  return f'Unknown {field}={value!r}; valid choices: {", ".join(choices)}.'


def get(config, path: str):
  node = config
  for part in path.split('.'):
    if part not in node:
      raise ConfigError(f'The config has no field {path!r}; every config '
                        f'starts from configs/default.py.')
    node = node[part]
  return node


def is_int(value) -> bool:
  return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value) -> bool:
  return isinstance(value, numbers.Real) and not isinstance(value, bool)


def integer(config, path: str, minimum: int):
  value = get(config, path)
  if not is_int(value) or value < minimum:
    raise ConfigError(f'{path}={value!r} is invalid: expected an integer '
                      f'>= {minimum}.')
  return value


def real(config, path: str, low: float, high=None, low_open=False,
         high_open=True):
  value = get(config, path)
  lo_ok = is_real(value) and (value > low if low_open else value >= low)
  hi_ok = high is None or (is_real(value) and
                           (value < high if high_open else value <= high))
  if not (lo_ok and hi_ok):
    interval = (('(' if low_open else '[') + f'{low:g}, ' +
                ('inf)' if high is None else f'{high:g}' +
                 (')' if high_open else ']')))
    raise ConfigError(f'{path}={value!r} is invalid: expected a number in '
                      f'{interval}.')
  return value


def boolean(config, path: str):
  value = get(config, path)
  if not isinstance(value, bool):
    raise ConfigError(f'{path}={value!r} is invalid: expected True or False.')
  return value


def path_string(config, path: str):
  value = get(config, path)
  if not isinstance(value, str):
    raise ConfigError(f'{path}={value!r} is invalid: expected a path string.')
  return value


def layer_sizes(config, path: str):
  value = get(config, path)
  if (not isinstance(value, (tuple, list)) or
      not all(is_int(size) and size > 0 for size in value)):
    raise ConfigError(f'{path}={value!r} is invalid: expected a tuple of '
                      f'positive layer sizes, e.g. (256, 512).')
  return value


def names(config, path: str, choices):
  """A tuple of names, each one of `choices`."""
  value = get(config, path)
  if (not isinstance(value, (tuple, list)) or
      any(name not in choices for name in value)):
    raise ConfigError(f'{path}={value!r} is invalid: expected a tuple of '
                      f'names from {", ".join(sorted(choices))}, e.g. '
                      f'({sorted(choices)[0]!r},), or ().')
  return value


def choice(config, path: str, choices):
  value = get(config, path)
  if value not in choices:
    raise ConfigError(unknown(path, value, sorted(choices)))
  return value
