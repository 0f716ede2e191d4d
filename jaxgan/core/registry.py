"""Name -> factory maps, so configs pick models and losses by string.

A new model or loss registers itself where it is defined; the training loop
never changes. Unknown names fail with the list of valid ones.
"""

from typing import Callable, Dict, Generic, TypeVar

from jaxgan.core.errors import ConfigError

T = TypeVar('T')


class Registry(Generic[T]):
  """A named collection of factories, e.g. of generators."""

  def __init__(self, kind: str):
    self.kind = kind
    self._entries: Dict[str, T] = {}

  def register(self, name: str) -> Callable[[T], T]:
    def add(entry: T) -> T:
      if name in self._entries:
        raise ValueError(f'{self.kind} {name!r} is registered twice.')
      self._entries[name] = entry
      return entry
    return add

  def get(self, name: str, field: str = '') -> T:
    if name not in self._entries:
      where = f'{field}=' if field else ''
      raise ConfigError(
          f'Unknown {self.kind} {where}{name!r}; valid choices: '
          f'{", ".join(sorted(self._entries))}.')
    return self._entries[name]

  def names(self):
    return sorted(self._entries)

  def in_order(self):
    """The names in registration order (what runs in order, such as the
    evaluation protocols)."""
    return list(self._entries)
