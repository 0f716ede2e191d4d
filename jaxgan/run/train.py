"""The training loop: init or restore, run jitted steps, periodic actions
(progress, samples, checkpoints, evaluation, the divergence check)."""

import contextlib
import math
import os
import signal
import time
from typing import Optional

from absl import logging
import jax
from jax.sharding import Mesh
import ml_collections
import numpy as np

from jaxgan.core import interrupts, parallel
from jaxgan.core.errors import ConfigError, JaxganError
from jaxgan.core.keys import run_keys
from jaxgan.datasets import data, images
from jaxgan.run import assemble, checkpoints, config_validation, divergence, periodic, progress, run_length, scalar_log, step_runner, workdirs
from jaxgan.step import sampling
from jaxgan.step.state import GANState


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str,
                       mesh: Optional[Mesh] = None, *,
                       restore_fallback: bool = False,
                       force: bool = False,
                       progress_bar: bool = False) -> GANState:
  """Trains (or resumes) the GAN described by `config` in `workdir`, data
  parallel over `mesh` (default: every device of every process); returns
  the final state.

  `restore_fallback`: resume from the newest intact checkpoint when the
  latest is damaged (moving it aside) instead of stopping. `force`: start
  here even if the workdir holds another experiment (moving it aside).
  `progress_bar`: a tqdm bar with the losses instead of a log line per
  train.log_every steps.
  """
  # ---------------------------------------------------------------- checks
  mesh = mesh or parallel.make_mesh()
  _check_run(config, workdir, mesh)
  lead_process = jax.process_index() == 0
  spec = data.dataset_spec(config.data)  # Resolved once for the run.
  g_model, d_model = assemble.build_models(config, spec)

  # ------------------------------------------------------------------ data
  dataset = _load_data(config, workdir, force, lead_process)

  # ------------------------------------------------------- state & restore
  keys = run_keys(config.seed)
  initial = lambda abstract=False: assemble.initial_state_and_step(
      config, g_model, d_model, spec.image_shape, keys.init, mesh, abstract)
  manager = checkpoints.make_manager(workdir,
                                     config.train.max_checkpoints_to_keep,
                                     remove_partial_saves=True)
  state, train_step = _restored_or_initial(manager, initial, restore_fallback)
  step = start_step = int(parallel.to_host(state.step))
  config, num_steps = _resolve_length(config, dataset, start_step)
  recovery = divergence.Recovery(
      divergence.Guard(config.train.on_nan, config.train.max_rollbacks,
                       workdir, write=lead_process),
      manager, lambda: initial()[0], keys.loop, keys.data, start_step,
      restore_fallback)

  # ------------------------------------------------------------- functions
  run_steps = step_runner.StepRunner(config, train_step, mesh)
  real_batches = step_runner.real_batches(config, dataset, mesh, run_steps,
                                          num_steps)
  outputs = _Outputs(config, workdir, g_model, spec, mesh, manager,
                     lead_process)
  if step == 0:
    outputs.grids.write(state, step)  # What the untrained generator makes.
  meter = progress.Progress(
      num_steps, config.train.log_every,
      config.data.batch_size * config.train.d_steps_per_g_step,
      bar=progress.make_bar(num_steps, step) if progress_bar else None)

  # ------------------------------------------------------------------ loop
  with interrupts.stop_between_steps(_stop_signals()) as stop_request:
    try:
      while step < num_steps:
        state, metrics, ran = run_steps(state, step, num_steps,
                                        real_batches, *recovery.keys)
        step += ran
        if not meter.started:  # The first call compiled: time from here.
          jax.block_until_ready(state)
          meter.start(step)
        log_now = meter.due(step)
        save_now, evaluate_now = outputs.due(step)
        scalars = {}
        if log_now:
          scalars = {k: float(v) for k, v in
                     parallel.to_host(metrics).items()}
          scalars.update(meter.measure(step))
          outputs.writer.write_scalars(step, scalars)
        # Nothing non-finite is logged as progress, saved or evaluated.
        if log_now or save_now or evaluate_now:
          rolled_back = recovery.check(step, scalars, state)
          if rolled_back:
            state, step = rolled_back
            meter.restart(step)
            continue
        if log_now:
          meter.report(step, scalars)
        else:
          meter.advance(step)
        outputs.write(state, step, save_now, evaluate_now)
        if _preempted(manager, step, ran):
          stop_request.signum = signal.SIGTERM
        if stop_request:
          break
    except (KeyboardInterrupt, JaxganError, OSError) as e:
      raise _failure(e, manager, outputs.writer, state)
    finally:
      real_batches.close()
      meter.close()
    if stop_request:
      _save_on_interrupt(manager, state)
      raise interrupts.Interrupted(stop_request.signum, step)

  # ----------------------------------------------------------------- final
  outputs.finish(state, step, start_step)
  logging.info('Done: step %d in %s. Workdir: %s', step, meter.elapsed(),
               workdir)
  return state


def _restored_or_initial(manager, initial, restore_fallback: bool):
  """(state, train step): the workdir's latest checkpoint (see
  checkpoints.restore) restored into the state's shapes, initialising
  nothing; the freshly initialised state where there is none (intact)."""
  resuming = bool(manager.all_steps())
  state, train_step = initial(abstract=resuming)
  if not resuming:
    return state, train_step
  restored = checkpoints.restore(manager, state, fallback=restore_fallback)
  if restored is None:
    return initial()[0], train_step
  logging.info('Resumed from %s at step %d.', manager.directory,
               int(parallel.to_host(restored.step)))
  return restored, train_step


def _resolve_length(config: ml_collections.ConfigDict, dataset: data.Dataset,
                    start_step: int):
  """The config with its run length resolved to steps, and that length."""
  length = run_length.run_length(config, dataset.images.shape[0],
                                 dataset.source)
  config = run_length.resolve(config, length.num_steps)
  logging.info('Training %s, at batch %d (a step is %d D and %d G updates), '
               'starting at step %d.', length.describe(),
               config.data.batch_size, config.train.d_steps_per_g_step,
               config.train.g_steps_per_d_step, start_step)
  return config, length.num_steps


def _failure(error: BaseException, manager, writer, state: GANState
             ) -> BaseException:
  """What to raise when the loop stops on `error`, after keeping what can be
  kept: an interrupt saves the state, a divergence or failed save keeps the
  scalars that led to it, a failed write becomes a JaxganError that says
  the checkpoints are intact."""
  if isinstance(error, KeyboardInterrupt):
    _save_on_interrupt(manager, state)
    return error
  if isinstance(error, JaxganError):  # A divergence or a failed save.
    with contextlib.suppress(OSError):
      writer.flush()
    return error
  # A sample, log or record could not be written.
  failure = JaxganError(
      f'Writing {error.filename or "to the workdir"} failed: '
      f'{error.strerror or error}. The checkpoints are intact (latest: step '
      f'{manager.latest_step()}); fix that and rerun the same command to '
      f'resume.')
  failure.__cause__ = error
  return failure


def _check_run(config: ml_collections.ConfigDict, workdir: str,
               mesh: Mesh) -> None:
  """What must hold before anything loads or compiles."""
  config_validation.validate(config)
  parallel.check_batch_size(config.data.batch_size, mesh)
  if jax.process_count() > 1 and config.train.eval_every:
    raise ConfigError(
        f'train.eval_every={config.train.eval_every} with '
        f'{jax.process_count()} processes: evaluation during training runs in '
        f'single-process runs only. Set train.eval_every=0 and run python -m '
        f'jaxgan.evaluate --workdir={workdir} on one host afterwards.')


def _load_data(config: ml_collections.ConfigDict, workdir: str, force: bool,
               lead_process: bool) -> data.Dataset:
  """The dataset, checked against the config and the workdir."""
  dataset = data.load_config(config.data)
  data.check_for_run(dataset, config)
  workdirs.prepare(workdir, config, dataset.summary(), write=lead_process,
                   force=force)
  labels = (f'{len(dataset.class_names or np.unique(dataset.labels))} '
            f'classes' if dataset.labelled else 'no labels')
  logging.info('Data: %d images %s, %s, from %s.', dataset.images.shape[0],
               dataset.images.shape[1:], labels, dataset.description)
  return dataset


class _SampleGrids:
  """The grid of the run's fixed sample inputs: samples/NAME.png (lead
  process) and an image summary."""

  def __init__(self, config: ml_collections.ConfigDict, g_model,
               workdir: str, writer, mesh: Mesh, lead_process: bool):
    z, labels = sampling.sample_inputs(config, config.train.num_sample_images)
    self.generate = jax.jit(
        lambda s: sampling.generate(g_model, s, z, labels),
        out_shardings=parallel.replicated(mesh))
    self.directory = os.path.join(workdir, 'samples')
    self.writer, self.lead_process = writer, lead_process
    if lead_process:
      os.makedirs(self.directory, exist_ok=True)

  def write(self, state: GANState, step: int, name: str = '') -> None:
    generated = self.generate(state)  # On every process: one SPMD program.
    if self.lead_process:
      grid = images.make_grid(parallel.to_host(generated))
      images.save_png(os.path.join(self.directory,
                                   f'{name or f"step_{step:07d}"}.png'), grid)
      self.writer.write_images(step, {'samples': grid[None]})


class _Outputs:
  """Where a run's results go, and when: the metric writer, sample grids
  every train.sample_every steps, checkpoints every train.checkpoint_every
  steps and at least every train.checkpoint_every_minutes (a kill loses at
  most that much work), and evaluation every train.eval_every steps."""

  def __init__(self, config: ml_collections.ConfigDict, workdir: str,
               g_model, spec: data.DatasetSpec, mesh: Mesh, manager,
               lead_process: bool):
    # Here, not at import: CLU's writers import TensorFlow, which a run that
    # fails before it trains never needs.
    from clu import metric_writers  # pylint: disable=g-import-not-at-top
    self.train_config, self.manager = config.train, manager
    self.writer = metric_writers.create_default_writer(
        workdir, just_logging=not lead_process)
    if lead_process:
      self.writer = metric_writers.MultiWriter(
          [self.writer, scalar_log.ScalarLog(workdir)])
    self.grids = _SampleGrids(config, g_model, workdir, self.writer, mesh,
                              lead_process)
    self.evaluate = (periodic.PeriodicEvaluation(config, workdir, g_model,
                                                 self.writer, spec)
                     if config.train.eval_every else None)
    self.save_seconds = 60 * config.train.checkpoint_every_minutes or math.inf
    self.last_save_time = time.time()

  def due(self, step: int):
    """(save now, evaluate now)."""
    save = (step % self.train_config.checkpoint_every == 0 or
            time.time() - self.last_save_time >= self.save_seconds)
    return save, bool(self.evaluate and
                      step % self.train_config.eval_every == 0)

  def write(self, state: GANState, step: int, save: bool,
            evaluate: bool) -> None:
    if step % self.train_config.sample_every == 0:
      self.grids.write(state, step)
    if save:
      checkpoints.save(self.manager, state)
      self.last_save_time = time.time()
    if evaluate:
      self.evaluate(state)

  def finish(self, state: GANState, step: int, start_step: int) -> None:
    """The final checkpoint, grids and evaluation; everything closed."""
    checkpoints.save(self.manager, state)
    if step % self.train_config.sample_every:
      self.grids.write(state, step)
    self.grids.write(state, step, 'final')
    if self.evaluate:
      if step % self.train_config.eval_every or step == start_step:
        self.evaluate(state)
      self.evaluate.close()
    self.writer.close()
    self.manager.close()


def _stop_signals():
  """Multi-process: SIGTERM is JAX's preemption notice, agreed on by all
  processes at one step (Orbax's sync point); SIGINT stays local."""
  if jax.process_count() > 1:
    return (signal.SIGINT,)
  return interrupts.SIGNALS


def _preempted(manager, step: int, ran: int) -> bool:
  """JAX's preemption sync point is a step number that every process must
  pass through: ask for each step the call ran (all processes run the same
  calls, so they all stop after the same one)."""
  return jax.process_count() > 1 and any(
      manager.reached_preemption(s) for s in range(step - ran + 1, step + 1))


def _save_on_interrupt(manager, state: GANState) -> None:
  """Keeps the work done so far if the state survived the interruption (it
  may have been donated to a call that never finished)."""
  leaves = jax.tree.leaves(state)
  if leaves and not any(getattr(x, 'is_deleted', lambda: False)()
                        for x in leaves):
    quantities = divergence.nonfinite({}, state)
    if quantities:
      logging.warning('Stopped without saving: %s not finite. The latest '
                      'checkpoint (step %s) is kept.', ', '.join(quantities),
                      manager.latest_step())
    else:
      step = checkpoints.save(manager, state)
      logging.warning('Stopped: saved a checkpoint at step %d. Rerun the same '
                      'command to resume.', step)
  manager.close()

