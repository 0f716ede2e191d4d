"""Run by tests/test_parallel.py as one of N processes (or alone, as the
reference): jax.distributed on CPU with the coordinator on 127.0.0.1, a tiny
run, then one JSON line with this process's view of the final params."""

import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jaxgan.core import parallel  # pylint: disable=g-import-not-at-top


def main(workdir: str, coordinator: str, num_processes: int,
         process_id: int, pipeline: str = 'in_memory') -> None:
  parallel.initialize(coordinator, num_processes, process_id)
  import jax  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  from jaxgan.datasets import input_pipeline  # pylint: disable=g-import-not-at-top
  from jaxgan.run import train  # pylint: disable=g-import-not-at-top
  from tests.conftest import tiny_dcgan_config  # pylint: disable=g-import-not-at-top
  config = tiny_dcgan_config(num_steps=5, checkpoint_every=5, log_every=1)
  config.model.d_dropout = 0.0  # As in parallel_check.py.
  config.optimizer.eps = 1e-3
  config.data.pipeline = pipeline
  streamed = []  # The rows of each batch this process streamed, if it did.
  original = input_pipeline.Streamed._read_call

  def read_call(self, *args):
    streamed.append((self.local_rows.start, self.local_rows.stop))
    return original(self, *args)

  input_pipeline.Streamed._read_call = read_call
  state = train.train_and_evaluate(config, workdir)
  leaves = [np.asarray(x, np.float32) for x in
            jax.tree.leaves(parallel.to_host(state.g_params))]
  print(json.dumps({
      'process': jax.process_index(), 'processes': jax.process_count(),
      'devices': jax.device_count(),
      'sha256': hashlib.sha256(b''.join(x.tobytes() for x in leaves)).hexdigest(),
      'g_params': [x.ravel()[:1000].tolist() for x in leaves],
      'streamed_rows': sorted(set(streamed))[0] if streamed else None,
  }), flush=True)


if __name__ == '__main__':
  main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
       *sys.argv[5:])
