"""Measures training throughput: python -m jaxgan.bench [--config=...]

  python -m jaxgan.bench --config=configs/dcgan_mnist.py --batch_size=64,256 \
      --compute_dtype=float32,bfloat16 --compare=torch,keras

Times the real jitted train step of a config (the one `jaxgan.main` runs,
steps fused as it fuses them) on synthetic uint8 data already on the device,
after compiling, and reports images/s, the achieved GFLOP/s (from XLA's cost
analysis), and, in the same run, the same architecture and update scheme
written in PyTorch and TF/Keras where those are installed (`pip install -e
'.[bench]'`), each in float32 and in its own bfloat16 mode. `--profile=DIR`
adds a per-op trace of each jaxgan setting and prints its top ops.
"""

import dataclasses
import itertools
import os
import pathlib
import time
from typing import List, Optional

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
import jax
from jax.sharding import Mesh
from ml_collections import config_flags
import numpy as np

from configs import dcgan_mnist
from jaxgan import bench_references, config_validation, data, op_profile, parallel, steps, train

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
_STEPS = flags.DEFINE_integer('steps', 20, 'Timed train steps per setting.')
_COMPARE = flags.DEFINE_list(
    'compare', [], 'Reference frameworks to time on the same step: torch, keras.')
_REFERENCE_DTYPES = flags.DEFINE_list(
    'reference_dtypes', ['float32', 'bfloat16'], 'Precisions to time the '
    'references in: float32, bfloat16 (torch.autocast; Keras mixed_bfloat16).')
_DEVICES = flags.DEFINE_list(
    'devices', [], 'Device counts to run data parallel over (the first N '
    'devices), e.g. 1,2,4,8; empty: one device, no mesh. Virtual CPU devices: '
    'XLA_FLAGS=--xla_force_host_platform_device_count=8.')
_PROFILE = flags.DEFINE_string(
    'profile', None, 'Directory for a per-op trace of each jaxgan setting '
    '(jax.profiler; open in Perfetto or TensorBoard); the bench prints its '
    'top ops.')

DATASET_SIZE = 2048  # Synthetic images on the device; enough to shuffle.


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
  top_ops: List[op_profile.OpTime] = dataclasses.field(default_factory=list)


def build_step(config, batch_size: int, mesh: Optional[Mesh] = None):
  """The jitted train step of `jaxgan.main` for `config`, with its inputs;
  data parallel over `mesh` as `jaxgan.main` runs it, where given."""
  config = config.copy_and_resolve_references()
  config.data.batch_size = batch_size
  config_validation.validate(config)
  if mesh is not None:
    parallel.check_batch_size(batch_size, mesh)
  shape = data.dataset_spec(config.data.name).image_shape
  g_model, d_model = train.build_models(config)
  state, train_step = train.initial_state_and_step(
      config, g_model, d_model, shape, jax.random.key(0), mesh)
  step_fn = jax.jit(steps.make_multi_step(train_step,
                                          train.steps_per_call(config.train)),
                    donate_argnums=0,
                    out_shardings=(None if mesh is None else
                                   parallel.replicated(mesh)))
  rng = np.random.default_rng(1)
  dataset = {'images': rng.integers(0, 256, (DATASET_SIZE,) + shape,
                                    np.uint8),
             'labels': rng.integers(0, max(1, config.model.num_classes),
                                    DATASET_SIZE).astype(np.int32)}
  dataset = (jax.device_put(dataset) if mesh is None else
             parallel.replicate_host_data(dataset, mesh))
  return step_fn, (state, dataset, jax.random.key(2), jax.random.key(3))


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
  step_fn, args = build_step(config, batch_size)
  cost = step_fn.lower(*args).cost_analysis()
  cost = cost[0] if isinstance(cost, (list, tuple)) else cost
  return float((cost or {}).get('flops', 0.0))


def profile_calls(step_fn, state, inputs, calls: int, steps_per_call: int,
                  log_dir: pathlib.Path) -> List[op_profile.OpTime]:
  """The top ops of `calls` calls of the compiled `step_fn`, traced into
  `log_dir`."""
  latest = [state]

  def run():
    for _ in range(calls):
      latest[0], metrics = step_fn(latest[0], *inputs)
    jax.block_until_ready((latest[0], metrics))

  trace_path, wall_s = op_profile.trace(run, log_dir)
  hlo_text = step_fn.lower(latest[0], *inputs).compile().as_text()
  return op_profile.top_ops(trace_path, hlo_text, calls * steps_per_call,
                            wall_s)


def compute_dtype_label(model_config) -> str:
  """model.compute_dtype, then each network's own where it has one:
  'bfloat16', 'bfloat16, G float32'."""
  return ', '.join([model_config.compute_dtype] + [
      f'{net.upper()} {model_config[f"{net}_compute_dtype"]}'
      for net in ('g', 'd')
      if model_config[f'{net}_compute_dtype'] != 'inherit'])


def time_jaxgan(config, batch_size: int, num_steps: int,
                mesh: Optional[Mesh] = None,
                profile_dir: Optional[pathlib.Path] = None) -> Result:
  """Steady-state images/s of `jaxgan.main`'s train step for `config`;
  with `profile_dir`, then the top ops of as many steps again."""
  step_fn, (state, *inputs) = build_step(config, batch_size, mesh)
  start = time.perf_counter()
  state, _ = step_fn(state, *inputs)
  jax.block_until_ready(state)
  compile_s = time.perf_counter() - start

  fused = train.steps_per_call(config.train)
  calls = max(1, -(-num_steps // fused))
  start = time.perf_counter()
  for _ in range(calls):
    state, metrics = step_fn(state, *inputs)
  jax.block_until_ready((state, metrics))
  elapsed = time.perf_counter() - start
  flops = useful_flops_per_step(config, batch_size) * calls * fused
  devices = f', {mesh.size} devices' if mesh is not None else ''
  dtype = compute_dtype_label(config.model)
  top_ops = []
  if profile_dir is not None:
    top_ops = profile_calls(
        step_fn, state, inputs, calls, fused, pathlib.Path(profile_dir) / (
            f'batch{batch_size}_{config.model.conv_impl}_'
            + dtype.replace(', ', '_').replace(' ', '')
            + (f'_{mesh.size}devices' if mesh is not None else '')))
  return Result(f'jaxgan (conv_impl={config.model.conv_impl}, '
                f'{dtype}, {fused} steps/call{devices})',
                batch_size,
                batch_size * calls * fused / elapsed, compile_s,
                flops / elapsed / 1e9 if flops else None, top_ops=top_ops)


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
  rows = [('implementation', 'batch', 'images/s', 'vs best', 'vs f32 ref',
           'compile s', 'GFLOP/s', 'note')]
  for r in results:
    ref = reference.get(r.batch_size)
    rows.append((r.name, str(r.batch_size), f'{r.images_per_sec:.1f}',
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


def main(argv):
  del argv
  meshes = device_meshes(_DEVICES.value)
  results = []
  for batch_size in (int(b) for b in _BATCH_SIZES.value):
    for impl, dtype, mesh in itertools.product(
        _CONV_IMPL.value, _COMPUTE_DTYPE.value, meshes):
      config = _CONFIG.value.copy_and_resolve_references()
      config.model.conv_impl = impl
      config.model.compute_dtype = dtype
      results.append(time_jaxgan(config, batch_size, _STEPS.value, mesh,
                                 _PROFILE.value))
      print(format_table(results[-1:]).splitlines()[-1], flush=True)
      if results[-1].top_ops:
        print(op_profile.format_top_ops(results[-1].top_ops), flush=True)
    for name in _COMPARE.value:
      if name not in bench_references.REFERENCES:
        raise app.UsageError(f'--compare={name!r}: valid choices are '
                             f'{", ".join(bench_references.REFERENCES)}.')
      differences = differences_from_reference(_CONFIG.value)
      if differences:
        results.append(Result(name, batch_size, float('nan'), note=(
            'the reference implements configs/dcgan_mnist.py only; this '
            f'config differs in {", ".join(differences)}')))
        continue
      scheme = _CONFIG.value.train.update_scheme
      for dtype in _REFERENCE_DTYPES.value:
        if dtype not in ('float32', 'bfloat16'):
          raise app.UsageError(f'--reference_dtypes={dtype!r}: valid choices '
                               f'are float32, bfloat16.')
        rate, note = bench_references.REFERENCES[name](
            batch_size, _STEPS.value, scheme, dtype == 'bfloat16')
        results.append(Result(f'{name} ({dtype})', batch_size,
                              rate or float('nan'),
                              note=f'{note} (same layers, {scheme})',
                              float32_reference=dtype == 'float32'))
        print(format_table(results[-1:]).splitlines()[-1], flush=True)
  print(f'\n{jax.devices()[0].device_kind} ({jax.default_backend()}), '
        f'{os.cpu_count()} CPUs, JAX {jax.__version__}; {_STEPS.value} timed '
        f'steps after compiling.')
  print(format_table(results))


if __name__ == '__main__':
  app.run(main)
