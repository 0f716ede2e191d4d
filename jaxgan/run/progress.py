"""Progress of a training run: when to log, its speed, its ETA, and the
progress line a person reads."""

import sys
import time
from typing import Callable, Dict, Optional

from absl import logging

from jaxgan.step import losses

# Slow steps still print progress at least this often.
PROGRESS_EVERY_SECONDS = 60.0


def format_duration(seconds: float) -> str:
  seconds = int(seconds)
  return f'{seconds // 3600}h{seconds % 3600 // 60:02d}m{seconds % 60:02d}s'


class Progress:
  """Times the run from its first compiled call (compilation is said once,
  not averaged into the speed) and measures speed between log points."""

  def __init__(self, num_steps: int, log_every: int,
               images_per_step: int,
               every_seconds: float = PROGRESS_EVERY_SECONDS,
               clock: Callable[[], float] = time.time, bar=None):
    self.num_steps, self.log_every = num_steps, log_every
    self.bar = bar  # A tqdm bar in place of the per-step log lines.
    self.images_per_step = images_per_step
    self.every_seconds, self.clock = every_seconds, clock
    self.start_time = clock()
    self.last_time: Optional[float] = None  # None: nothing compiled yet.
    self.last_step = 0
    self.timed_once = False
    self.eta = '?'

  @property
  def started(self) -> bool:
    return self.last_time is not None

  def start(self, step: int) -> None:
    """After the first call ran (`step` reached): timing starts here."""
    logging.info('Compiled and ran the first step in %.1fs.',
                 self.clock() - self.start_time)
    self.last_time, self.last_step = self.clock(), step

  def restart(self, step: int) -> None:
    """After a rollback to `step`: measure from there."""
    self.last_step = step

  def due(self, step: int) -> bool:
    """Whether to log at `step`: every log_every steps, at the end, and at
    least every `every_seconds`."""
    return (step % self.log_every == 0 or step == self.num_steps or
            self.clock() - self.last_time > self.every_seconds)

  def measure(self, step: int) -> Dict[str, float]:
    """Speed since the last measurement (steps_per_sec, images_per_sec;
    nothing when no step ran), and the ETA from it."""
    now = self.clock()
    speed = {}
    if step > self.last_step:
      steps_per_sec = (step - self.last_step) / (now - self.last_time)
      speed = {'steps_per_sec': steps_per_sec,
               'images_per_sec': steps_per_sec * self.images_per_step}
      self.eta = format_duration((self.num_steps - step) / steps_per_sec)
      if not self.timed_once:  # The first measured speed: say what it means.
        logging.info('At %.3g steps/s (steps %d-%d), the %d steps left take '
                     'about %s.', steps_per_sec, self.last_step, step,
                     self.num_steps - step, self.eta)
        self.timed_once = True
    else:
      self.eta = '?'
    self.last_time, self.last_step = now, step
    return speed

  def line(self, step: int, scalars: Dict[str, float]) -> str:
    """'step S/N (P%) | speed | ETA | losses' for the log."""
    return (f'step {step}/{self.num_steps} '
            f'({100 * step / self.num_steps:.1f}%) | '
            f'{scalars.get("steps_per_sec", 0.0):.2f} steps/s, '
            f'{scalars.get("images_per_sec", 0.0):.1f} img/s | ETA {self.eta} '
            f'| {format_losses(scalars)}')

  def report(self, step: int, scalars: Dict[str, float]) -> None:
    """The progress at a log point: the bar's losses, or a log line."""
    if self.bar is None:
      logging.info('%s', self.line(step, scalars))
    else:
      self.bar.set_postfix_str(format_losses(scalars), refresh=False)
      self.advance(step)

  def advance(self, step: int) -> None:
    if self.bar is not None:
      self.bar.update(step - self.bar.n)

  def close(self) -> None:
    if self.bar is not None:
      self.bar.close()

  def elapsed(self) -> str:
    return format_duration(self.clock() - self.start_time)


def interactive() -> bool:
  """Whether a person watches: a terminal, or a notebook's kernel (not a
  log file, where a bar redrawn in place is noise)."""
  return sys.stderr.isatty() or 'ipykernel' in sys.modules


def make_bar(num_steps: int, step: int):
  """A tqdm bar from `step` to `num_steps`: a widget in a notebook, a line
  redrawn in place in a terminal."""
  from tqdm import auto as tqdm_auto  # pylint: disable=g-import-not-at-top
  return tqdm_auto.tqdm(total=num_steps, initial=step, unit='step',
                        dynamic_ncols=True, smoothing=0.1)


def format_losses(scalars: Dict[str, float]) -> str:
  text = (f'd_loss {scalars["d_loss"]:.4f} g_loss {scalars["g_loss"]:.4f} '
          f'D(x) {scalars["d_real"]:.3f} D(G(z)) {scalars["d_fake"]:.3f}')
  for name in ('wasserstein_estimate', *losses.regularizers.names()):
    if name in scalars:
      text += f' {name} {scalars[name]:.4f}'
  return text
