"""Times the training loop's own step calls: the program, shardings and
real-batch path of `jaxgan.main` (run/step_runner.py), on synthetic uint8
images, warmed until a call compiles nothing, then timed in whole calls
only. A figure whose window compiled anything says so."""

import dataclasses
import os
import pathlib
import sys
import tempfile
import time
from typing import List, Optional

import jax
from jax.sharding import Mesh
import numpy as np

from jaxgan.benchmarking import compiles, op_profile
from jaxgan.core import parallel
from jaxgan.datasets import data
from jaxgan.models import precision
from jaxgan.run import assemble, config_validation, step_runner

DATASET_SIZE = 2048  # Synthetic images on the device; enough to shuffle.
# A call that still compiles after this many is a bug, not a warm-up.
MAX_WARM_UP_CALLS = 4
# The bench's run has no end: every call is a whole fused call.
ENDLESS = sys.maxsize


def whole_calls(num_steps: int, fused: int) -> int:
  """Calls of `fused` steps that time about `num_steps` (at least one)."""
  return max(1, -(-num_steps // fused))


@dataclasses.dataclass
class BenchStep:
  """What the loop holds while it trains: its mesh, the runner, the state,
  the real batches and the loop's two keys."""
  mesh: Mesh
  runner: step_runner.StepRunner
  state: object
  real_batches: object
  loop_key: jax.Array
  data_key: jax.Array


def synthetic_dataset(config, shape) -> data.Dataset:
  rng = np.random.default_rng(1)
  return data.Dataset(
      rng.integers(0, 256, (DATASET_SIZE,) + shape, np.uint8),
      rng.integers(0, max(1, config.model.num_classes),
                   DATASET_SIZE).astype(np.int32), 'synthetic', 'synthetic',
      'random pixels')


def build_step(config, batch_size: int, mesh: Optional[Mesh] = None,
               pipeline: str = 'in_memory') -> BenchStep:
  """`jaxgan.main`'s step for `config` at `batch_size` over `mesh` (default:
  the first device), fed by `pipeline` (in_memory | streaming, the latter
  from a memory-mapped .npy as a folder's decode cache is), as the loop
  builds it."""
  config = config.copy_and_resolve_references()
  config.data.batch_size = batch_size
  config.data.pipeline = pipeline
  config_validation.validate(config)
  mesh = mesh or parallel.make_mesh(jax.devices()[:1])
  parallel.check_batch_size(batch_size, mesh)
  shape = data.dataset_spec(config.data).image_shape
  g_model, d_model = assemble.build_models(config)
  state, train_step = assemble.initial_state_and_step(
      config, g_model, d_model, shape, jax.random.key(0), mesh)
  runner = step_runner.StepRunner(config, train_step, mesh)
  dataset = synthetic_dataset(config, shape)
  if pipeline == 'streaming':
    dataset = _memory_mapped(dataset)
  return BenchStep(mesh, runner, state,
                   step_runner.real_batches(config, dataset, mesh, runner,
                                            ENDLESS),
                   jax.random.key(2), jax.random.key(3))


def _memory_mapped(dataset: data.Dataset) -> data.Dataset:
  """`dataset` with its images in a memory-mapped temporary .npy file."""
  with tempfile.NamedTemporaryFile(suffix='.npy', delete=False) as f:
    np.save(f, dataset.images)
  images = np.load(f.name, mmap_mode='r')
  os.remove(f.name)  # Open while mapped; gone when the process ends.
  return dataclasses.replace(dataset, images=images)


def useful_flops_per_step(config, batch_size: int) -> float:
  """FLOPs of one train step as the native convolutions count them (the
  matmul form of a transposed convolution multiplies some zero taps, which is
  not useful work). One step, not one call: XLA's cost analysis counts a
  scanned loop body once. Lowered, not compiled."""
  config = config.copy_and_resolve_references()
  config.model.conv_impl = 'xla'
  config.model.compute_dtype = 'float32'
  config.model.g_compute_dtype = config.model.d_compute_dtype = 'inherit'
  config.train.steps_per_call = 1
  bench_step = build_step(config, batch_size)
  cost = bench_step.runner.multi.lower(
      bench_step.state, bench_step.real_batches(0, 1, bench_step.data_key),
      bench_step.loop_key, bench_step.data_key).cost_analysis()
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
  """`jaxgan.main`'s step calls for `config`, warmed up: the first call
  compiles, and calls follow until one compiles nothing (the step, the
  real-batch path and anything a later call would build: a second sharding,
  the stream's start). Calling it times about `num_steps` more steps in
  whole calls and returns images/s."""

  def __init__(self, config, batch_size: int, mesh: Optional[Mesh] = None,
               pipeline: str = 'in_memory'):
    self.batch_size, self.mesh, self.pipeline = batch_size, mesh, pipeline
    self.config = config
    self.bench_step = build_step(config, batch_size, mesh, pipeline)
    self.fused = self.bench_step.runner.fused
    self.step = 0
    self.compiled_while_timed = 0  # Programs compiled in timed windows.
    self.timed_calls: List[int] = []  # Calls of each timed window.
    self._warm_up()
    self.flops_per_step = useful_flops_per_step(config, batch_size)

  def _warm_up(self) -> None:
    """Calls until one compiles nothing; compile_s is the first call's time
    (compiling it, and starting the pipeline)."""
    with compiles.Counting() as compiled:
      start = time.perf_counter()
      self._run_calls(1)
      self.compile_s = time.perf_counter() - start
      self.warm_up_calls = 1
      while True:
        before = compiled.total
        self._run_calls(1)
        self.warm_up_calls += 1
        if compiled.total == before:
          break
        if self.warm_up_calls == MAX_WARM_UP_CALLS:
          raise RuntimeError(
              f'{self.name} compiled again on each of its first '
              f'{MAX_WARM_UP_CALLS} calls ({dict(compiled.by_name)}): the '
              f'step recompiles every call, so no figure would mean anything.')

  @property
  def name(self) -> str:
    devices = f', {self.mesh.size} devices' if self.mesh is not None else ''
    streaming = ', streaming' if self.pipeline == 'streaming' else ''
    return (f'jaxgan (conv_impl={self.config.model.conv_impl}, '
            f'{compute_dtype_label(self.config.model)}, {self.fused} '
            f'steps/call{devices}{streaming})')

  def calls(self, num_steps: int) -> int:
    return whole_calls(num_steps, self.fused)

  def _run_calls(self, calls: int) -> None:
    """`calls` calls as the loop makes them, the last one waited for."""
    s = self.bench_step
    for _ in range(calls):
      s.state, metrics, ran = s.runner(s.state, self.step, ENDLESS,
                                       s.real_batches, s.loop_key, s.data_key)
      self.step += ran
    jax.block_until_ready((s.state, metrics))

  def __call__(self, num_steps: int) -> float:
    calls = self.calls(num_steps)
    with compiles.Counting() as compiled:
      start = time.perf_counter()
      self._run_calls(calls)
      seconds = time.perf_counter() - start
    self.compiled_while_timed += compiled.total
    self.timed_calls.append(calls)
    return self.batch_size * calls * self.fused / seconds

  def note(self) -> str:
    """What the figure rests on, and a warning if a timed window compiled."""
    calls = sorted(set(self.timed_calls))
    note = (f'{"/".join(map(str, calls))} calls x {self.fused} steps a '
            f'round, after {self.warm_up_calls} warm-up calls')
    if self.compiled_while_timed:
      note += (f'; COMPILED {self.compiled_while_timed} program(s) while '
               f'timed: the figure is too low')
    return note

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
    s = self.bench_step
    hlo_text = s.runner.multi.lower(
        s.state, s.real_batches(self.step, self.fused, s.data_key),
        s.loop_key, s.data_key).compile().as_text()
    return op_profile.top_ops(trace_path, hlo_text, calls * self.fused,
                              wall_s)
