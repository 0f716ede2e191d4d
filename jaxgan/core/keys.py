"""All of a run's randomness, split from its one seed."""

from typing import NamedTuple

import jax


class RunKeys(NamedTuple):
  """Parameter init, the train steps' noise, the data order, and the fixed
  sample-grid noise: separate streams, so that changing one (a longer run, a
  rollback's new stream) leaves the others as they were."""
  init: jax.Array
  loop: jax.Array
  data: jax.Array
  sample: jax.Array


def run_keys(seed: int) -> RunKeys:
  return RunKeys(*jax.random.split(jax.random.key(seed), 4))
