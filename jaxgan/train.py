"""The training loop: init or restore, run jitted steps, periodic actions."""

import contextlib
import math
import os
import shutil
import signal
import time
from typing import NamedTuple, Optional

from absl import logging
from clu import metric_writers
import jax
from jax.sharding import Mesh
import jax.numpy as jnp
import ml_collections

from jaxgan import checkpoints, config_validation, data, divergence, files, images, interrupts, losses, models, optimizers, parallel, run_length, steps
from jaxgan.errors import ConfigError, JaxganError
from jaxgan.evaluation import periodic
from jaxgan.reporting import scalar_log
from jaxgan.state import GANState, create_state


# Where --force moves the run a workdir held, under workdir/.
REPLACED_DIR = 'replaced'


def prepare_workdir(workdir: str, config: ml_collections.ConfigDict,
                    dataset_summary: dict, write: bool = True,
                    force: bool = False) -> None:
  """Creates the workdir and records the run's config and data (`write`:
  the lead process only). Refuses a workdir holding another experiment (a
  checkpointed run whose config differs in more than length and reporting,
  or whose data differs) unless `force`, which moves that run aside."""
  try:
    os.makedirs(workdir, exist_ok=True)
    probe = os.path.join(workdir, f'.write_test.{jax.process_index()}')
    with open(probe, 'w') as f:
      f.write('ok')
    os.remove(probe)
  except OSError as e:
    raise ConfigError(f'--workdir={workdir!r} is not writable: {e}.') from e
  config_path = os.path.join(workdir, 'config.json')
  data_path = os.path.join(workdir, 'data_source.json')
  other = has_checkpoint(workdir) and _other_experiment(
      workdir, files.read_json(config_path), config,
      files.read_json(data_path), dataset_summary)
  if other and not force:
    raise ConfigError(
        f'{other}\nUse a new workdir, or --force to move that run to '
        f'{os.path.join(workdir, REPLACED_DIR)}/ and start this one here.')
  if other and write:
    logging.warning('--force: moved the run that was in %s to %s.', workdir,
                    _move_run_aside(workdir))
  parallel.sync('jaxgan_prepare_workdir')
  if write:
    files.write_json(config_path, config.to_dict())
    files.write_json(data_path, dataset_summary)


def _other_experiment(workdir: str, saved_config: Optional[dict],
                      config: ml_collections.ConfigDict,
                      saved_data: Optional[dict], data_summary: dict
                      ) -> Optional[str]:
  """Why the run in `workdir` cannot be resumed with this config and data,
  or None if it can (or its records are missing, as in a copied-in run)."""
  diffs = (config_validation.resume_differences(saved_config, config)
           if saved_config is not None else [])
  if diffs:
    lines = '\n'.join(f'  {field}: {old!r} (saved) -> {new!r} (now)'
                      for field, old, new in diffs)
    return (f'--workdir={workdir!r} holds a run with a different config, '
            f'which cannot be resumed with this one:\n{lines}\nTo resume it, '
            f'use its saved config ({workdir}/config.json).')
  # source=auto may find full MNIST where it once fell back to the subset.
  if saved_data and ((saved_data['source'], saved_data['num_images']) !=
                     (data_summary['source'], data_summary['num_images'])):
    return (f'--workdir={workdir!r} was trained on {saved_data["num_images"]} '
            f'images from data.source={saved_data["source"]!r}, but this run '
            f'found {data_summary["num_images"]} from '
            f'{data_summary["source"]!r}. To continue on the same data, set '
            f'--config.data.source={saved_data["source"]}.')
  return None


def _move_run_aside(workdir: str) -> str:
  """Moves everything in `workdir` to workdir/replaced/TIME (kept, not
  deleted); returns where."""
  destination = os.path.join(workdir, REPLACED_DIR,
                             time.strftime('%Y%m%d-%H%M%S'))
  os.makedirs(destination)
  for name in os.listdir(workdir):
    if name != REPLACED_DIR:
      shutil.move(os.path.join(workdir, name), destination)
  return destination


def has_checkpoint(workdir: str) -> bool:
  """Whether the workdir holds progress to protect (a finished checkpoint)."""
  return bool(checkpoints.saved_steps(workdir))


# Slow steps still print progress at least this often.
PROGRESS_EVERY_SECONDS = 60.0


def _format_duration(seconds: float) -> str:
  seconds = int(seconds)
  return f'{seconds // 3600}h{seconds % 3600 // 60:02d}m{seconds % 60:02d}s'


def build_models(config: ml_collections.ConfigDict):
  """The generator and discriminator of `config`, checked against each other,
  the dataset and the loss before anything compiles."""
  image_shape = data.dataset_spec(config.data.name).image_shape
  g_model = models.build_generator(config.model, image_shape)
  d_model = models.build_discriminator(config.model, image_shape)
  config_validation.check_models(config, g_model, d_model, image_shape)
  return g_model, d_model


def initial_state_and_step(config: ml_collections.ConfigDict, g_model,
                           d_model, image_shape, init_key: jax.Array,
                           mesh: Optional[Mesh] = None):
  """The freshly initialised GANState and the (unjitted) train step of
  `config`: what `train_and_evaluate` runs and `jaxgan.bench` times. With a
  mesh, the state is replicated over it and batches are sharded."""
  g_tx = optimizers.make_optimizer(config.optimizer,
                                   config.optimizer.g_learning_rate)
  d_tx = optimizers.make_optimizer(config.optimizer,
                                   config.optimizer.d_learning_rate)
  on_mesh = mesh is not None
  state = create_state(g_model, d_model, g_tx, d_tx, config.model.noise_dim,
                       image_shape, init_key,
                       g_ema=config.train.g_ema_decay > 0,
                       sharding=parallel.replicated(mesh) if on_mesh else None)
  train_step = steps.make_train_step(
      g_model, d_model, losses.get_loss(config.loss.name), g_tx, d_tx,
      steps.StepOptions.from_config(
          config, parallel.batch_sharded(mesh) if on_mesh else None))
  return state, train_step


class RunKeys(NamedTuple):
  """All of a run's randomness, split from its seed: parameter init, the
  train steps' noise, the data order, and the fixed sample-grid noise."""
  init: jax.Array
  loop: jax.Array
  data: jax.Array
  sample: jax.Array


def run_keys(seed: int) -> RunKeys:
  return RunKeys(*jax.random.split(jax.random.key(seed), 4))


def sample_inputs(config: ml_collections.ConfigDict, key: jax.Array,
                  num: int):
  """Fixed noise for sample grids, and for conditional models labels: image
  i is of class i mod num_classes."""
  z = steps.latent_noise(key, num, config.model.noise_dim,
                         config.model.noise_distribution)
  num_classes = config.model.num_classes
  labels = jnp.arange(num) % num_classes if num_classes else None
  return z, labels


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str,
                       mesh: Optional[Mesh] = None, *,
                       restore_fallback: bool = False,
                       force: bool = False) -> GANState:
  """Trains (or resumes) the GAN described by `config` in `workdir`, data
  parallel over `mesh` (default: every device of every process).

  `restore_fallback`: resume from the newest intact checkpoint when the
  latest is damaged (moving it aside) instead of stopping. `force`: start
  here even if the workdir holds another experiment (moving it aside).
  """
  # ---------------------------------------------------------------- checks
  config_validation.validate(config)
  mesh = mesh or parallel.make_mesh()
  parallel.check_batch_size(config.data.batch_size, mesh)
  multi_process = jax.process_count() > 1
  if multi_process and config.train.eval_every:
    raise ConfigError(
        f'train.eval_every={config.train.eval_every} with '
        f'{jax.process_count()} processes: evaluation during training runs in '
        f'single-process runs only. Set train.eval_every=0 and run python -m '
        f'jaxgan.evaluate --workdir={workdir} on one host afterwards.')
  lead_process = jax.process_index() == 0
  g_model, d_model = build_models(config)
  spec = data.dataset_spec(config.data.name)

  # ------------------------------------------------------------------ data
  dataset = data.load(config.data.name, config.data.source,
                      config.data.data_dir, config.data.allow_download)
  num_images = dataset.images.shape[0]
  batch_size = config.data.batch_size
  if batch_size > num_images:
    raise ConfigError(f'data.batch_size={batch_size} is larger than the '
                      f'{num_images} images of the {dataset.source} dataset.')
  prepare_workdir(workdir, config, dataset.summary(), write=lead_process,
                  force=force)
  logging.info('Data: %d images %s from %s.', num_images,
               dataset.images.shape[1:], dataset.description)
  # uint8 images and their labels, on every device once; each device
  # gathers its share of every batch from its replica.
  device_data = parallel.replicate_host_data(
      {'images': dataset.images, 'labels': dataset.labels}, mesh)

  # ------------------------------------------------------- state & restore
  keys = run_keys(config.seed)

  def initial_state():
    return initial_state_and_step(config, g_model, d_model, spec.image_shape,
                                  keys.init, mesh)

  state, train_step = initial_state()
  manager = checkpoints.make_manager(workdir,
                                     config.train.max_checkpoints_to_keep,
                                     remove_partial_saves=True)
  restored = checkpoints.restore(manager, state, fallback=restore_fallback)
  if restored is not None:
    state = restored
  start_step = int(parallel.to_host(state.step))
  if restored is not None:
    logging.info('Resumed from %s at step %d.', manager.directory, start_step)
  length = run_length.run_length(config, num_images, dataset.source)
  num_steps = length.num_steps
  config = run_length.resolve(config, num_steps)
  logging.info('Training %s, at batch %d (a step is %d D and %d G updates), '
               'starting at step %d.', length.describe(), batch_size,
               config.train.d_steps_per_g_step, config.train.g_steps_per_d_step,
               start_step)
  guard = divergence.Guard(config.train.on_nan, config.train.max_rollbacks,
                           workdir, write=lead_process)
  # After rollbacks, the random stream they switched to.
  loop_key, data_key = divergence.stream_keys(keys.loop, keys.data,
                                              guard.rollbacks)

  # ------------------------------------------------------------- functions
  # State and metrics stay replicated; XLA inserts the collectives.
  replicated = parallel.replicated(mesh)
  fused = run_length.steps_per_call(config.train)
  multi_step = jax.jit(steps.make_multi_step(train_step, fused),
                       donate_argnums=0, out_shardings=replicated)
  single_step = (multi_step if fused == 1 else
                 jax.jit(train_step, donate_argnums=0,
                         out_shardings=replicated))
  sample_z, sample_labels = sample_inputs(config, keys.sample,
                                         config.train.num_sample_images)
  generate = jax.jit(
      lambda s: steps.generate(g_model, s, sample_z, sample_labels),
      out_shardings=replicated)

  writer = metric_writers.create_default_writer(workdir,
                                                just_logging=not lead_process)
  if lead_process:
    writer = metric_writers.MultiWriter(
        [writer, scalar_log.ScalarLog(workdir)])
  samples_dir = os.path.join(workdir, 'samples')
  if lead_process:
    os.makedirs(samples_dir, exist_ok=True)

  evaluate = (periodic.PeriodicEvaluation(config, workdir, g_model, writer)
              if config.train.eval_every else None)

  def write_samples(name: str) -> None:
    generated = generate(state)  # On every process: one SPMD program.
    if lead_process:
      grid = images.make_grid(parallel.to_host(generated))
      images.save_png(os.path.join(samples_dir, f'{name}.png'), grid)
      writer.write_images(step, {'samples': grid[None]})

  def roll_back(quantities):
    """The last good state and the new stream's keys after a divergence at
    `step`, or the error that stops the run (train.on_nan)."""
    last_good = manager.latest_step()
    if not guard.may_roll_back():
      raise guard.error(step, quantities, last_checked, last_good,
                        str(manager.directory))
    good = checkpoints.restore(manager, state, fallback=restore_fallback)
    if good is None:  # Nothing saved yet: the run's own initialisation.
      good, _ = initial_state()
    good_step = int(parallel.to_host(good.step))
    guard.record_rollback(step, quantities, good_step)
    logging.warning(
        'Training diverged at step %d: %s not finite. Rolled back to step %d '
        'on a new random stream (rollback %d of train.max_rollbacks=%d).',
        step, ', '.join(quantities), good_step, guard.rollbacks,
        guard.max_rollbacks)
    return (good, good_step, *divergence.stream_keys(keys.loop, keys.data,
                                                     guard.rollbacks))

  # ------------------------------------------------------------------ loop
  step = last_checked = start_step
  if step == 0:
    write_samples(f'step_{step:07d}')  # What the untrained generator makes.
  last_log_time, last_log_step = None, step
  timed_once = False
  train_start = last_save_time = time.time()
  # train.checkpoint_every_minutes: a kill loses at most that much work.
  checkpoint_seconds = 60 * config.train.checkpoint_every_minutes or math.inf
  # Multi-process: SIGTERM is JAX's preemption notice, agreed on by all
  # processes at one step (Orbax's sync point below); SIGINT stays local.
  with interrupts.stop_between_steps(
      interrupts.SIGNALS if not multi_process else (signal.SIGINT,)
  ) as stop_request:
    try:
      while step < num_steps:
        # Single steps up to the next multiple of `fused` (a run resumed
        # from another steps_per_call) and for the tail.
        in_call = (fused if step % fused == 0 and num_steps - step >= fused
                   else 1)
        step_fn = multi_step if in_call == fused else single_step
        state, metrics = step_fn(state, device_data, loop_key, data_key)
        step += in_call
        if last_log_time is None:  # First call compiled: time from here.
          jax.block_until_ready(state)
          logging.info('Compiled and ran the first step in %.1fs.',
                       time.time() - train_start)
          last_log_time, last_log_step = time.time(), step

        now = time.time()
        log_now = (step % config.train.log_every == 0 or step == num_steps or
                   now - last_log_time > PROGRESS_EVERY_SECONDS)
        save_now = (step % config.train.checkpoint_every == 0 or
                    now - last_save_time >= checkpoint_seconds)
        evaluate_now = evaluate and step % config.train.eval_every == 0
        scalars = {}
        if log_now:
          scalars = {k: float(v) for k, v in
                     parallel.to_host(metrics).items()}
          now = time.time()
          if step > last_log_step:
            steps_per_sec = (step - last_log_step) / (now - last_log_time)
            scalars['steps_per_sec'] = steps_per_sec
            scalars['images_per_sec'] = (
                steps_per_sec * batch_size * config.train.d_steps_per_g_step)
            eta = _format_duration((num_steps - step) / steps_per_sec)
            if not timed_once:  # The first measured speed: say what it means.
              logging.info(
                  'At %.3g steps/s (steps %d-%d), the %d steps left take '
                  'about %s.', steps_per_sec, last_log_step, step,
                  num_steps - step, eta)
              timed_once = True
          else:
            eta = '?'
          last_log_time, last_log_step = now, step
          writer.write_scalars(step, scalars)
        # The guard: nothing non-finite is logged as progress, saved or
        # evaluated.
        if log_now or save_now or evaluate_now:
          quantities = divergence.nonfinite(scalars, state)
          if quantities:
            state, step, loop_key, data_key = roll_back(quantities)
            last_checked = last_log_step = step
            continue
          last_checked = step
        if log_now:
          logging.info(
              'step %d/%d (%.1f%%) | %.2f steps/s, %.1f img/s | ETA %s | %s',
              step, num_steps, 100 * step / num_steps,
              scalars.get('steps_per_sec', 0.0),
              scalars.get('images_per_sec', 0.0), eta,
              _format_losses(scalars))
        if step % config.train.sample_every == 0:
          write_samples(f'step_{step:07d}')
        if save_now:
          checkpoints.save(manager, state)
          last_save_time = time.time()
        if evaluate_now:
          evaluate(state)
        # JAX's preemption sync point is a step number that every process
        # must pass through: ask for each step the call ran (all processes
        # run the same calls, so they all stop after the same one).
        if multi_process and any(manager.reached_preemption(s) for s in
                                 range(step - in_call + 1, step + 1)):
          stop_request.signum = signal.SIGTERM
        if stop_request:
          break
    except KeyboardInterrupt:
      _save_on_interrupt(manager, state)
      raise
    except JaxganError:  # A divergence or a failed save.
      with contextlib.suppress(OSError):
        writer.flush()  # Keep the scalars that led here.
      raise
    except OSError as e:  # A sample, log or record could not be written.
      raise JaxganError(
          f'Writing {e.filename or "to the workdir"} failed: '
          f'{e.strerror or e}. The checkpoints are intact (latest: step '
          f'{manager.latest_step()}); fix that and rerun the same command to '
          f'resume.') from e
    if stop_request:
      _save_on_interrupt(manager, state)
      raise interrupts.Interrupted(stop_request.signum, step)

  # ----------------------------------------------------------------- final
  checkpoints.save(manager, state)
  if step % config.train.sample_every:
    write_samples(f'step_{step:07d}')
  write_samples('final')
  if evaluate:
    if step % config.train.eval_every or step == start_step:
      evaluate(state)
    evaluate.close()
  writer.close()
  manager.close()
  logging.info('Done: step %d in %s. Workdir: %s', step,
               _format_duration(time.time() - train_start), workdir)
  if config.report.at_end and lead_process:
    _write_report(workdir, dataset, (g_model, parallel.to_host(state)))
  return state


def _write_report(workdir: str, dataset: data.Dataset, trained) -> None:
  """The run's report (jaxgan.report). The run is complete and saved
  whatever happens here, so a failure is logged, not raised."""
  from jaxgan import report  # pylint: disable=g-import-not-at-top
  try:
    report.write_report(workdir, dataset=dataset, trained=trained)
  except Exception:  # pylint: disable=broad-except
    logging.exception('Writing the report failed; the run itself is complete '
                      'and saved. Retry with: python -m jaxgan.report '
                      '--workdir=%s', workdir)


def _format_losses(scalars: dict) -> str:
  text = (f'd_loss {scalars["d_loss"]:.4f} g_loss {scalars["g_loss"]:.4f} '
          f'D(x) {scalars["d_real"]:.3f} D(G(z)) {scalars["d_fake"]:.3f}')
  for name in ('wasserstein_estimate', 'gradient_penalty'):
    if name in scalars:
      text += f' {name} {scalars[name]:.4f}'
  return text


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

