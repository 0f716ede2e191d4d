"""How the loop calls its jitted train step, shared with the bench so that
the bench times the very program, shardings and input path a run uses."""

from typing import Callable, Iterator, Tuple

import jax
from jax.sharding import Mesh
import ml_collections

from jaxgan.core import parallel
from jaxgan.datasets import data, input_pipeline
from jaxgan.run import run_length
from jaxgan.step import steps


class StepRunner:
  """The jitted train step, fused `train.steps_per_call` at a time; single
  steps up to the next multiple of that (a run resumed from another
  steps_per_call) and for the tail. State and metrics stay replicated; XLA
  inserts the collectives."""

  def __init__(self, config: ml_collections.ConfigDict, train_step,
               mesh: Mesh):
    replicated = parallel.replicated(mesh)
    self.fused = run_length.steps_per_call(config.train)
    self.multi = jax.jit(steps.make_multi_step(train_step, self.fused),
                         donate_argnums=0, out_shardings=replicated)
    self.single = (self.multi if self.fused == 1 else
                   jax.jit(train_step, donate_argnums=0,
                           out_shardings=replicated))

  def steps_in_call(self, step: int, num_steps: int) -> int:
    """How many steps the call at `step` runs."""
    if step % self.fused == 0 and num_steps - step >= self.fused:
      return self.fused
    return 1

  def schedule(self, step: int, num_steps: int
               ) -> Iterator[Tuple[int, int]]:
    """(step, steps run) of every call from `step` to the end."""
    while step < num_steps:
      count = self.steps_in_call(step, num_steps)
      yield step, count
      step += count

  def __call__(self, state, step, num_steps, real_batches, loop_key,
               data_key):
    """(state, metrics of the last step, steps run)."""
    count = self.steps_in_call(step, num_steps)
    device_data = real_batches(step, count, data_key)
    run = self.multi if count == self.fused else self.single
    return (*run(state, device_data, loop_key, data_key), count)


def real_batches(config: ml_collections.ConfigDict, dataset: data.Dataset,
                 mesh: Mesh, runner: StepRunner, num_steps: int
                 ) -> Callable:
  """What feeds each call its real batches: the split on every device, or
  a stream of each call's batches from the host (input_pipeline)."""
  pipeline = input_pipeline.choose(config.data.pipeline, dataset,
                                   config.data.in_memory_limit_mb)
  if pipeline == 'in_memory':
    return input_pipeline.InMemory(dataset, mesh)
  return input_pipeline.Streamed(
      dataset, config.data.batch_size, config.train.d_steps_per_g_step, mesh,
      lambda step: runner.schedule(step, num_steps))
