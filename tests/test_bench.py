"""jaxgan.bench runs the real step and the reference implementations; no
timing is asserted (speed targets live in the benchmark itself)."""

import importlib.util
import math

import pytest

from jaxgan import bench
from jaxgan.benchmarking import bench_references
from tests.conftest import tiny_dcgan_config


def test_jaxgan_row_table_and_profile(tmp_path):
  timer = bench.JaxganTimer(tiny_dcgan_config(), batch_size=4)
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


def test_rows_name_each_networks_own_compute_dtype():
  model = tiny_dcgan_config(mnist_pair=True).model
  assert bench.compute_dtype_label(model) == 'float32'
  model.compute_dtype, model.g_compute_dtype = 'bfloat16', 'float32'
  assert bench.compute_dtype_label(model) == 'bfloat16, G float32'


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
  shared = bench.useful_flops_per_step(config, batch_size=2)
  config.train.update_scheme = 'alternating_fresh_noise'
  fresh = bench.useful_flops_per_step(config, batch_size=2)
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
