"""jaxgan.bench runs the real step and the reference implementations; no
timing is asserted (speed targets live in the benchmark itself)."""

import importlib.util
import math

import jax
import numpy as np
import pytest

from jaxgan import bench
from jaxgan.benchmarking import bench_references, compiles, step_timer, vs_training
from tests.conftest import tiny_dcgan_config


def test_jaxgan_row_table_and_profile(tmp_path):
  timer = step_timer.JaxganTimer(tiny_dcgan_config(), batch_size=4)
  result = bench.jaxgan_result(timer, [timer(2)])
  result.top_ops = timer.profile(2, tmp_path)
  assert result.images_per_sec > 0 and result.compile_s > 0
  assert result.gflops_per_sec > 0
  # --profile: a trace per setting, its top ops named by the layers they
  # compute.
  assert list(tmp_path.glob('batch4_*/**/perfetto_trace.json.gz'))
  assert any('Conv' in r.source or 'Dense' in r.source
             for r in result.top_ops), [r.source for r in result.top_ops]
  table = bench.format_table(
      [result, bench.Result('torch', 4, float('nan'), note='not installed')])
  assert 'conv_impl=matmul' in table or 'conv_impl=auto' in table
  assert '1.00x' in table and 'not installed' in table


@pytest.mark.parametrize('pipeline', ['in_memory', 'streaming'])
def test_the_bench_compiles_what_it_times_once_and_never_while_timing(
    pipeline):
  """Counted by JAX's own compile events, not the bench's: the step is
  compiled once while warming up (the loop's shardings, so the second call
  finds it), and a timed window compiles nothing, the streaming pipeline's
  programs included."""
  with compiles.Counting() as built:
    timer = step_timer.JaxganTimer(tiny_dcgan_config(), batch_size=4,
                                   pipeline=pipeline)
  assert built.by_name['jit(multi_step)'] == 1, dict(built.by_name)
  assert timer.warm_up_calls == 2  # The second call compiled nothing.
  with compiles.Counting() as timed:
    rate = timer(3 * timer.fused)
  assert timed.total == 0, dict(timed.by_name)
  assert rate > 0 and timer.timed_calls == [3]
  assert timer.note() == (f'3 calls x {timer.fused} steps a round, after 2 '
                          f'warm-up calls')


def test_a_step_that_keeps_compiling_is_flagged_or_refused(monkeypatch):
  timer = step_timer.JaxganTimer(tiny_dcgan_config(), batch_size=4)

  def compile_something_new(self, calls):
    del self
    for _ in range(calls):
      jax.jit(lambda x: x + 1)(np.float32(0))  # A new function: compiles.

  monkeypatch.setattr(step_timer.JaxganTimer, '_run_calls',
                      compile_something_new)
  timer(timer.fused)
  assert 'COMPILED 1 program(s) while timed' in timer.note()
  with pytest.raises(RuntimeError, match='recompiles every call'):
    step_timer.JaxganTimer(tiny_dcgan_config(), batch_size=4)


def test_the_training_loop_check_runs_the_loop_on_the_bench_calls():
  config = tiny_dcgan_config()
  loop = vs_training.loop_config(config, 4, 'streaming', num_steps=3,
                                 rounds=2)
  # Whole calls of the bench's fused count, one log per interval, nothing
  # else periodic inside the timed intervals.
  assert loop.train.steps_per_call == 2 and loop.train.log_every == 4
  assert loop.train.num_steps == 16 and loop.data.pipeline == 'streaming'
  assert loop.train.sample_every == loop.train.checkpoint_every == 16
  assert loop.train.eval_every == 0 and not loop.train.checkpoint_every_minutes
  timer = step_timer.JaxganTimer(config, batch_size=4)
  rates = bench.loop_images_per_sec(timer, num_steps=2, rounds=2)
  assert len(rates) == 2 and min(rates) > 0
  table = vs_training.format_comparison(
      [('a', 4, [100.0, 104.0], [101.0, 99.0]),
       ('b', 4, [70.0, 72.0], [100.0, 101.0])])
  assert '1.020' in table.splitlines()[2] and 'ok' in table.splitlines()[2]
  assert 'PARTS by more than 10%' in table.splitlines()[3]


def test_rows_name_each_networks_own_compute_dtype():
  model = tiny_dcgan_config(mnist_pair=True).model
  assert step_timer.compute_dtype_label(model) == 'float32'
  model.compute_dtype, model.g_compute_dtype = 'bfloat16', 'float32'
  assert step_timer.compute_dtype_label(model) == 'bfloat16, G float32'


@pytest.mark.parametrize('name,module', [('torch', 'torch'),
                                         ('keras', 'keras')])
def test_reference_implementations_run(name, module):
  if importlib.util.find_spec(module) is None:
    pytest.skip(f'{module} is not installed')
  timer, note = bench_references.REFERENCES[name](batch_size=4)
  rate = timer(1)
  assert rate > 0 and not math.isnan(rate) and note


def test_rounds_take_turns_and_the_table_gives_median_and_range():
  calls = []

  def timer(name, rates):
    def run(num_steps):
      calls.append((name, num_steps))
      return rates[sum(1 for c in calls if c[0] == name) - 1]
    return name, run

  rates = bench.time_in_turns(
      [timer('a', [100.0, 300.0, 200.0]), timer('b', [50.0, 60.0, 70.0])],
      rounds=3, num_steps=5)
  # Every round runs each setting once, in turn: a drift reaches both.
  assert calls == [('a', 5), ('b', 5)] * 3
  assert rates == {'a': [100.0, 300.0, 200.0], 'b': [50.0, 60.0, 70.0]}
  row = bench.Result('a', 64, 200.0, rates=rates['a'])
  table = bench.format_table([row])
  assert '200.0' in table and '100-300' in table


def test_useful_flops_count_the_native_convolutions():
  config = tiny_dcgan_config(mnist_pair=True)
  shared = step_timer.useful_flops_per_step(config, batch_size=2)
  config.train.update_scheme = 'alternating_fresh_noise'
  fresh = step_timer.useful_flops_per_step(config, batch_size=2)
  # Sun & Yang's DCGAN: 0.6-0.8 GFLOP per image per step (batch 2 to 256)
  # with a G forward pass per update; one G and one D forward pass on the
  # fakes less (about 18%) when one batch of fakes feeds both updates.
  assert 0.5e9 < fresh / 2 < 1.1e9
  assert 0.75 * fresh < shared < 0.9 * fresh


def test_references_are_only_compared_on_the_config_they_implement():
  assert bench.differences_from_reference(tiny_dcgan_config(mnist_pair=True)) == []
  from jaxgan.configs import mlp_gan_mnist, wgan_gp_mnist  # pylint: disable=g-import-not-at-top
  assert 'loss.name' in bench.differences_from_reference(wgan_gp_mnist.get_config())
  assert 'model.generator' in bench.differences_from_reference(
      mlp_gan_mnist.get_config())
