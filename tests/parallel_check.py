"""Run by tests/test_parallel.py in a subprocess with 8 virtual CPU devices
(XLA_FLAGS must be set before JAX starts): trains tiny runs on 8 devices and
on 1 at the same global batch and seed, and across a checkpoint written on
8 devices and resumed on 1 (with the argument one_then_eight: also the other
way). Prints one JSON line of the largest parameter differences."""

import json
import os
import sys

import flax.linen as nn
import jax
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jaxgan.core import parallel  # pylint: disable=g-import-not-at-top
from jaxgan.run import train  # pylint: disable=g-import-not-at-top
from tests.conftest import tiny_dcgan_config  # pylint: disable=g-import-not-at-top


def smooth_activations() -> None:
  """ReLU and leaky ReLU without their kink (GELU in their place): a
  pre-activation within round-off of 0 takes the other branch on one device
  count, a jump in its gradient that no round-off tolerance covers (seen:
  one unit of D's first layer, 1e-4 in Adam's moment after one step, 1e-3
  in the parameters after five). The models look these up at call time."""
  nn.relu = nn.gelu
  nn.leaky_relu = lambda x, negative_slope=0.01: (
      negative_slope * x + (1 - negative_slope) * nn.gelu(x))


def config_for(model: str, num_steps: int):
  config = tiny_dcgan_config(num_steps=num_steps, log_every=1,
                             sample_every=100)
  # Adam turns gradients that are rounding noise (those of conv biases
  # followed by BatchNorm, zero in exact arithmetic) into full +-lr steps of
  # either sign; a larger epsilon keeps round-off at round-off scale.
  config.optimizer.eps = 1e-3
  # Dropout's backward pass sums its masked terms in another order when
  # split over devices: 1e-5 relative, which GAN updates amplify.
  config.model.d_dropout = 0.0
  if model == 'wgan_gp':
    config.loss.name = 'wgan_gp'
    config.model.d_batchnorm = False
    config.train.d_steps_per_g_step = 2
    config.train.update_scheme = 'alternating_fresh_noise'
  return config


def max_difference(a, b) -> float:
  return max(float(np.max(np.abs(np.asarray(x, np.float64) -
                                 np.asarray(y, np.float64))))
             for x, y in zip(jax.tree.leaves(parallel.to_host(a)),
                             jax.tree.leaves(parallel.to_host(b))))


def main(workdir: str, cases=()) -> None:
  assert jax.device_count() == 8, jax.devices()
  smooth_activations()
  eight = parallel.make_mesh()
  one = parallel.make_mesh(jax.devices()[:1])
  result = {}
  for model in ('dcgan', 'wgan_gp'):
    def run(mesh, name, steps, model=model, pipeline='in_memory'):
      config = config_for(model, steps)
      config.data.pipeline = pipeline
      state = train.train_and_evaluate(config,
                                       os.path.join(workdir, model, name), mesh)
      assert state.g_params['Dense_0']['kernel'].sharding.mesh == mesh
      return state
    on_eight, on_one = run(eight, 'eight', 5), run(one, 'one', 5)
    result[f'{model}: 8 vs 1 devices'] = max_difference(on_eight, on_one)
    if model == 'dcgan':  # A checkpoint from one device count, resumed on
      run(eight, 'eight_then_one', 2)  # the other.
      result[f'{model}: 8 to step 2, then 1'] = max_difference(
          run(one, 'eight_then_one', 5), on_one)
      if 'one_then_eight' in cases:
        run(one, 'one_then_eight', 2)
        result[f'{model}: 1 to step 2, then 8'] = max_difference(
            run(eight, 'one_then_eight', 5), on_eight)
      # Each device's rows streamed from the host, not gathered on it.
      result[f'{model}: 8 devices, streamed vs in memory'] = max_difference(
          run(eight, 'streamed', 5, pipeline='streaming'), on_eight)
    result[f'{model}: largest param'] = max_difference(
        on_one, jax.tree.map(np.zeros_like, parallel.to_host(on_one)))
  print(json.dumps(result))


if __name__ == '__main__':
  main(sys.argv[1], sys.argv[2:])
