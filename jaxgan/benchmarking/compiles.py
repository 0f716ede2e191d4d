"""Counts the XLA programs JAX compiles, by name, while a block runs: how
the bench knows its timed window compiled nothing."""

import collections

from jax import monitoring

# Recorded once per executable JAX builds (a persistent-cache hit too).
BACKEND_COMPILE_EVENT = '/jax/core/compile/backend_compile_duration'


class Counting:
  """`with Counting() as compiled:` ... `compiled.total`,
  `compiled.by_name['jit(multi_step)']`. Counts every thread's compiles
  (the streaming pipeline's threads too)."""

  def __init__(self):
    self.by_name = collections.Counter()

  @property
  def total(self) -> int:
    return sum(self.by_name.values())

  def _listen(self, event: str, duration: float, **kwargs) -> None:
    del duration
    if event == BACKEND_COMPILE_EVENT:
      self.by_name[kwargs.get('fun_name', '?')] += 1

  def __enter__(self) -> 'Counting':
    monitoring.register_event_duration_secs_listener(self._listen)
    return self

  def __exit__(self, *exc) -> None:
    monitoring.unregister_event_duration_listener(self._listen)
