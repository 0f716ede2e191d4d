"""Stop a run between steps when asked (Ctrl-C, SIGTERM from a scheduler).

A signal that lands while a jitted step runs would otherwise raise inside it,
after the step's input state was donated and before its output exists: the
progress since the last checkpoint would be lost. So the first signal only
sets a flag that the loop checks after each step; a second one interrupts at
once, for a run that is stuck.
"""

import contextlib
import signal
import threading
from typing import Iterator, Sequence

from absl import logging

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(Exception):
  """The run stopped on a signal after saving its state."""

  def __init__(self, signum: int, step: int):
    super().__init__(f'{signal.Signals(signum).name} at step {step}')
    self.signum = signum
    self.step = step

  @property
  def exit_code(self) -> int:
    return 128 + self.signum  # The shell convention: 130 for SIGINT.


class StopRequest:
  """The first signal received, or None while none has arrived."""

  def __init__(self):
    self.signum = None

  def __bool__(self) -> bool:
    return self.signum is not None


@contextlib.contextmanager
def stop_between_steps(signals: Sequence[int] = SIGNALS
                       ) -> Iterator[StopRequest]:
  """Routes `signals` to a StopRequest for the duration of the block.

  Outside the main thread (where Python cannot install handlers) the default
  behaviour is kept and the request never fires.
  """
  request = StopRequest()
  if threading.current_thread() is not threading.main_thread():
    yield request
    return

  def handle(signum, frame):
    if request:
      raise KeyboardInterrupt  # Second signal: stop now.
    request.signum = signum
    logging.warning('%s received: stopping after the current step (send it '
                    'again to stop at once).', signal.Signals(signum).name)

  previous = {s: signal.signal(s, handle) for s in signals}
  try:
    yield request
  finally:
    for s, handler in previous.items():
      signal.signal(s, handler)
