"""Progress of a run on a fake clock: when it logs, the speed it reports
(compilation left out), the ETA, and the line a person reads."""

import io

import tqdm

from jaxgan.run import progress


class FakeClock:

  def __init__(self):
    self.now = 1000.0

  def __call__(self):
    return self.now


def test_speed_and_eta_leave_compilation_out():
  clock = FakeClock()
  meter = progress.Progress(num_steps=100, log_every=10, images_per_step=64,
                            every_seconds=60.0, clock=clock)
  assert not meter.started
  clock.now += 30.0  # Compiling the first call.
  meter.start(step=1)
  assert meter.started
  clock.now += 9.0  # Steps 2-10 at 1 step/s.
  assert meter.due(10) and not meter.due(9)
  speed = meter.measure(10)
  assert speed == {'steps_per_sec': 1.0, 'images_per_sec': 64.0}
  assert meter.eta == '0h01m30s'  # 90 steps left at 1 step/s.
  line = meter.line(10, {**speed, 'd_loss': 0.5, 'g_loss': 2.0,
                         'd_real': 0.7, 'd_fake': 0.3,
                         'gradient_penalty': 0.01})
  assert line == ('step 10/100 (10.0%) | 1.00 steps/s, 64.0 img/s | ETA '
                  '0h01m30s | d_loss 0.5000 g_loss 2.0000 D(x) 0.700 '
                  'D(G(z)) 0.300 gradient_penalty 0.0100')
  clock.now += 5.0
  assert meter.elapsed() == '0h00m44s'


def test_slow_steps_still_log_and_the_last_step_always_does():
  clock = FakeClock()
  meter = progress.Progress(num_steps=7, log_every=1000, images_per_step=1,
                            every_seconds=60.0, clock=clock)
  meter.start(step=1)
  clock.now += 30.0
  assert not meter.due(2)
  clock.now += 31.0
  assert meter.due(3)  # Over a minute since the last log.
  assert meter.due(7)  # The end.


def test_after_a_rollback_no_speed_is_claimed_for_steps_not_run():
  clock = FakeClock()
  meter = progress.Progress(num_steps=100, log_every=10, images_per_step=1,
                            clock=clock)
  meter.start(step=10)
  clock.now += 10.0
  meter.measure(20)
  meter.restart(step=10)  # Rolled back to step 10; steps 11-20 are redone.
  clock.now += 10.0
  assert meter.measure(20) == {'steps_per_sec': 1.0, 'images_per_sec': 1.0}
  meter.restart(step=20)
  assert meter.measure(20) == {} and meter.eta == '?'


def test_format_duration():
  assert progress.format_duration(3 * 3600 + 7 * 60 + 5.9) == '3h07m05s'


def test_a_bar_moves_with_the_steps_and_shows_the_losses_instead_of_lines(
    monkeypatch):
  """What api.train and a terminal's jaxgan.main show: a tqdm bar whose
  postfix carries the losses at each log point, and no per-step log line."""
  output, lines = io.StringIO(), []
  monkeypatch.setattr(progress.logging, 'info', lambda *a: lines.append(a))
  bar = tqdm.tqdm(total=100, initial=20, file=output, mininterval=0)
  meter = progress.Progress(num_steps=100, log_every=10, images_per_step=64,
                            bar=bar)
  meter.advance(25)
  assert bar.n == 25
  meter.report(30, {'d_loss': 0.5, 'g_loss': 2.0, 'd_real': 0.7,
                    'd_fake': 0.3})
  meter.close()
  assert bar.n == 30 and not lines
  assert '30/100' in output.getvalue()
  assert 'd_loss 0.5000 g_loss 2.0000' in output.getvalue()
  # Without a bar, the log line.
  progress.Progress(100, 10, 64).report(30, {'d_loss': 0.5, 'g_loss': 2.0,
                                             'd_real': 0.7, 'd_fake': 0.3})
  assert 'step 30/100' in lines[0][1]
