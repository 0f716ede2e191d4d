"""The divergence guard: finds NaN or inf in a step's scalars and in the
state, and decides between stopping and rolling back (train.on_nan).

A rollback restores the last good checkpoint and continues on a new random
stream (noise and batch order), so the same divergence is not replayed.
Rollbacks are recorded in workdir/divergence.json; a resumed run reads how
many there were and continues on the same stream, so it stays bitwise equal
to a run that never stopped.
"""

import dataclasses
import os
import time
from typing import Callable, List, Optional, Tuple

from absl import logging
import jax
import jax.numpy as jnp
import numpy as np

from jaxgan.core import files, parallel
from jaxgan.core.errors import DivergenceError
from jaxgan.run import checkpoints
from jaxgan.step.state import GANState

ON_NAN = ('stop', 'rollback')
RECORD = 'divergence.json'


@jax.jit
def _finite_parts(state: GANState):
  """{field: all of its float leaves are finite} for each part of the state."""
  finite = {}
  for field in dataclasses.fields(state):
    leaves = [x for x in jax.tree.leaves(getattr(state, field.name))
              if jnp.issubdtype(x.dtype, jnp.inexact)]
    if leaves:
      finite[field.name] = jnp.all(jnp.stack(
          [jnp.all(jnp.isfinite(x)) for x in leaves]))
  return finite


def nonfinite(scalars: dict, state: GANState) -> List[str]:
  """Names of the scalars and state parts (g_params, d_opt_state...) that
  hold NaN or inf."""
  bad = sorted(name for name, value in scalars.items()
               if not np.isfinite(value))
  parts = parallel.to_host(_finite_parts(state))
  return bad + [name for name, ok in parts.items() if not ok]


def stream_keys(loop_key: jax.Array, data_key: jax.Array,
                rollbacks: int) -> Tuple[jax.Array, jax.Array]:
  """The step and data keys after `rollbacks` rollbacks (the run's own keys
  before any)."""
  if not rollbacks:
    return loop_key, data_key
  return (jax.random.fold_in(loop_key, rollbacks),
          jax.random.fold_in(data_key, rollbacks))


class Guard:
  """What to do when training diverges: stop, or roll back at most
  `max_rollbacks` times over the run's life (resumes included)."""

  def __init__(self, on_nan: str, max_rollbacks: int, workdir: str,
               write: bool = True):
    self.on_nan = on_nan
    self.max_rollbacks = max_rollbacks
    self.path = os.path.join(workdir, RECORD)
    self.write = write
    self.events = files.read_json(self.path, default={'rollbacks': []}
                                  )['rollbacks']

  @property
  def rollbacks(self) -> int:
    return len(self.events)

  def may_roll_back(self) -> bool:
    return self.on_nan == 'rollback' and self.rollbacks < self.max_rollbacks

  def record_rollback(self, step: int, quantities: List[str],
                      restored_step: int) -> None:
    self.events.append({'step': step, 'nonfinite': quantities,
                        'restored_step': restored_step,
                        'time': time.strftime('%Y-%m-%dT%H:%M:%S')})
    if self.write:
      files.write_json(self.path, {'rollbacks': self.events})

  def error(self, step: int, quantities: List[str], last_checked: int,
            last_good: Optional[int], directory: str) -> DivergenceError:
    """The stop, with everything needed to act on it."""
    if last_good is None:
      kept = ('No checkpoint was saved before it, so rerunning starts '
              'afresh.')
    else:
      kept = (f'The last good checkpoint, step {last_good} in {directory}, '
              f'is kept, and rerunning resumes from it.')
    if self.on_nan == 'rollback':
      advice = (f'It rolled back {self.rollbacks} times already '
                f'(train.max_rollbacks={self.max_rollbacks}; see {self.path}): '
                f'lower the learning rates or clip gradients '
                f'(optimizer.grad_clip_norm).')
    else:
      advice = ('Lower the learning rates or clip gradients '
                '(optimizer.grad_clip_norm), or set train.on_nan=rollback to '
                'restore it and continue on a new random stream.')
    return DivergenceError(
        f'Training diverged at step {step}: {", ".join(quantities)} '
        f'{"is" if len(quantities) == 1 else "are"} not finite (NaN or inf; '
        f'the last check that passed was at step {last_checked}). {kept} '
        f'{advice}')


class Recovery:
  """Checks the run at log, save and evaluation points and, on a divergence,
  restores the last good state on the new random stream, or raises the
  guard's error. Holds the stream's keys and the last step that passed."""

  def __init__(self, guard: Guard, manager,
               initial_state: Callable[[], GANState], loop_key: jax.Array,
               data_key: jax.Array, start_step: int,
               restore_fallback: bool = False):
    self.guard, self.manager = guard, manager
    self.initial_state = initial_state
    self.run_loop_key, self.run_data_key = loop_key, data_key
    # The loop and data keys of the current stream (read every step, so
    # derived once per rollback, not per step).
    self.keys = stream_keys(loop_key, data_key, guard.rollbacks)
    self.last_checked = start_step
    self.restore_fallback = restore_fallback

  def check(self, step: int, scalars: dict, state: GANState
            ) -> Optional[Tuple[GANState, int]]:
    """None if `scalars` and `state` are finite; else the restored state and
    its step (a rollback), or DivergenceError (train.on_nan)."""
    quantities = nonfinite(scalars, state)
    if not quantities:
      self.last_checked = step
      return None
    last_good = self.manager.latest_step()
    if not self.guard.may_roll_back():
      raise self.guard.error(step, quantities, self.last_checked, last_good,
                             str(self.manager.directory))
    good = checkpoints.restore(self.manager, state,
                               fallback=self.restore_fallback)
    if good is None:  # Nothing saved yet: the run's own initialisation.
      good = self.initial_state()
    good_step = int(parallel.to_host(good.step))
    self.guard.record_rollback(step, quantities, good_step)
    self.keys = stream_keys(self.run_loop_key, self.run_data_key,
                            self.guard.rollbacks)
    logging.warning(
        'Training diverged at step %d: %s not finite. Rolled back to step %d '
        'on a new random stream (rollback %d of train.max_rollbacks=%d).',
        step, ', '.join(quantities), good_step, self.guard.rollbacks,
        self.guard.max_rollbacks)
    self.last_checked = good_step
    return good, good_step
