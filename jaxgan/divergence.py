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
from typing import List, Optional, Tuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan import files, parallel
from jaxgan.errors import DivergenceError
from jaxgan.state import GANState

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
