"""Run by tests/test_layers.py in a subprocess with 8 virtual CPU devices
(XLA_FLAGS must be set before JAX starts): jaxgan's Dropout on a batch split
over the 8 devices and on one device. Prints one JSON line: the devices the
output lies on and how many elements differ."""

import json
import os
import sys

import jax
from jax.sharding import NamedSharding, PartitionSpec
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jaxgan.models import layers  # pylint: disable=g-import-not-at-top

if __name__ == '__main__':
  drop = jax.jit(lambda x: layers.Dropout(0.3).apply(
      {}, x, rngs={'dropout': jax.random.key(3)}))
  x = jax.random.normal(jax.random.key(0), (16, 7, 7, 8))
  mesh = jax.make_mesh((8,), ('batch',))
  sharded = drop(jax.device_put(x, NamedSharding(mesh, PartitionSpec('batch'))))
  print(json.dumps({
      'devices': len(sharded.sharding.device_set),
      'elements_differing': int(np.sum(np.asarray(sharded) !=
                                       np.asarray(drop(x))))}))
