"""The signal handling that lets a run stop between steps."""

import os
import signal

import pytest

from jaxgan.core import interrupts


@pytest.mark.parametrize('signum', interrupts.SIGNALS)
def test_first_signal_is_a_request_and_second_interrupts(signum):
  before = signal.getsignal(signum)
  with interrupts.stop_between_steps() as request:
    assert not request
    os.kill(os.getpid(), signum)
    assert request and request.signum == signum
    with pytest.raises(KeyboardInterrupt):
      os.kill(os.getpid(), signum)
  assert signal.getsignal(signum) is before  # Handlers restored.


def test_exit_code_follows_the_shell_convention():
  assert interrupts.Interrupted(signal.SIGINT, 5).exit_code == 130
  assert interrupts.Interrupted(signal.SIGTERM, 5).exit_code == 143
