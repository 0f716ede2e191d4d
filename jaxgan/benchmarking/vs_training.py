"""The bench's check on itself (`python -m jaxgan.bench --vs_training`):
the real training loop on the same config, batch, precision and pipeline,
its speed read from its own progress log, beside the bench's figure. The
two measure one program; when they part, the bench is wrong. The bench
(an entry point) runs the loop; this module sets it up and reads it."""

import contextlib
import statistics
import tempfile
from typing import List

from absl import logging

from jaxgan.benchmarking import step_timer, text_table
from jaxgan.run import run_length, scalar_log

# Within this share of the loop's own rate, the bench is right (a CPU's
# speed drifts a few percent from minute to minute).
AGREEMENT = 0.10
# The loop's first intervals, left out: the first starts after the
# compiling call, part way in; the second carries the first log point's
# one-off work (the NaN check's compile, the writers' first writes).
WARM_UP_INTERVALS = 2


def loop_config(config, batch_size: int, pipeline: str, num_steps: int,
                rounds: int):
  """`config` trained for `rounds` + WARM_UP_INTERVALS intervals of the
  bench's round (its whole calls of `num_steps`), logging once an interval,
  with the same fused steps per call as the bench times, and nothing else
  periodic before the end (no samples, checkpoints, evaluation or
  report)."""
  config = config.copy_and_resolve_references()
  fused = run_length.steps_per_call(config.train)
  interval = fused * step_timer.whole_calls(num_steps, fused)
  config.data.batch_size = batch_size
  config.data.pipeline = pipeline
  config.train.steps_per_call = fused
  config.train.num_steps = interval * (rounds + WARM_UP_INTERVALS)
  config.train.log_every = interval
  config.train.sample_every = config.train.num_steps
  config.train.checkpoint_every = config.train.num_steps
  config.train.checkpoint_every_minutes = 0.0
  config.train.eval_every = 0
  config.report.at_end = False
  return config


def steady_images_per_sec(workdir: str, config) -> List[float]:
  """images/s (batch size x steps/s, as the bench counts; the progress
  line counts each of D's n_critic batches) of each interval after the
  first WARM_UP_INTERVALS of a run of `loop_config` in `workdir`: the
  loop's steady speed, as the bench's is."""
  series = scalar_log.read_scalars(workdir)['steps_per_sec']
  first = WARM_UP_INTERVALS * config.train.log_every
  return [config.data.batch_size * float(v)
          for step, v in zip(series.steps, series.values) if step > first]


@contextlib.contextmanager
def quiet_loop():
  """The loop's own log lines off (the bench prints its own), and a
  workdir that is gone afterwards."""
  verbosity = logging.get_verbosity()
  logging.set_verbosity(logging.WARNING)
  try:
    with tempfile.TemporaryDirectory(prefix='jaxgan_vs_training_') as workdir:
      yield workdir
  finally:
    logging.set_verbosity(verbosity)


def format_comparison(rows) -> str:
  """rows: (setting, batch, bench rates, loop rates). A table of the
  medians, ranges and their ratio, each row flagged where it parts by more
  than AGREEMENT."""
  lines = [('setting', 'batch', 'bench images/s', 'loop images/s',
            'bench/loop', '')]
  for name, batch, bench_rates, loop_rates in rows:
    bench, loop = statistics.median(bench_rates), statistics.median(loop_rates)
    ratio = bench / loop
    lines.append((name, str(batch),
                  f'{bench:.1f} ({min(bench_rates):.0f}-{max(bench_rates):.0f})',
                  f'{loop:.1f} ({min(loop_rates):.0f}-{max(loop_rates):.0f})',
                  f'{ratio:.3f}',
                  'ok' if abs(ratio - 1) <= AGREEMENT else
                  f'PARTS by more than {AGREEMENT:.0%}'))
  return text_table.aligned(lines)
