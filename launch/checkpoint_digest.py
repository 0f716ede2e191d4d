"""Digests of short training runs' checkpoints: the bitwise check that a
change to the code left the numerics alone.

  python launch/checkpoint_digest.py --out=/tmp/digests_after.json
  git stash; python launch/checkpoint_digest.py --out=/tmp/before.json; ...
  python launch/checkpoint_digest.py --compare=/tmp/before.json,/tmp/after.json

Trains each config for --steps steps in each compute dtype (`jaxgan.main`,
in a fresh workdir under --root) and hashes every array of the final
checkpoint: SHA-256 over the leaves' paths, dtypes, shapes and bytes, read
back with Orbax alone (no jaxgan code), so the digest does not depend on the
code being checked. Equal digests mean bit-identical checkpoints.
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile

from absl import app
from absl import flags
import numpy as np
import orbax.checkpoint as ocp

_CONFIGS = flags.DEFINE_list(
    'configs', ['dcgan_mnist', 'wgan_gp_mnist', 'cdcgan_mnist'],
    'Configs in configs/, by name.')
_DTYPES = flags.DEFINE_list('dtypes', ['float32', 'bfloat16'],
                            'Values of model.compute_dtype to run each in.')
_STEPS = flags.DEFINE_integer('steps', 20, 'Training steps per run.')
_ROOT = flags.DEFINE_string('root', '', 'Where the runs go (default: a '
                            'temporary directory).')
_OUT = flags.DEFINE_string('out', '', 'JSON file for the digests.')
_COMPARE = flags.DEFINE_list('compare', [], 'BEFORE.json,AFTER.json: compare '
                             'two digest files instead of running.')
_EXTRA = flags.DEFINE_list(
    'overrides', ['data.source=bundled'],
    'Config overrides for every run (FIELD=VALUE, without --config.).')


def checkpoint_digest(workdir: str) -> str:
  """SHA-256 of the arrays of workdir's latest checkpoint."""
  directory = os.path.join(workdir, 'checkpoints')
  step = max(int(n) for n in os.listdir(directory) if n.isdigit())
  tree = ocp.StandardCheckpointer().restore(
      os.path.join(directory, str(step), 'default'))
  digest = hashlib.sha256()
  for path, leaf in sorted(ocp.tree.to_flat_dict(tree, sep='/').items()):
    array = np.asarray(leaf)
    digest.update(f'{path}:{array.dtype}:{array.shape}'.encode())
    digest.update(np.ascontiguousarray(array).tobytes())
  return f'step {step} sha256 {digest.hexdigest()}'


def run(config: str, dtype: str, root: str) -> str:
  workdir = os.path.join(root, f'{config}_{dtype}')
  command = [sys.executable, '-m', 'jaxgan.main',
             f'--config=configs/{config}.py', f'--workdir={workdir}',
             f'--config.train.num_steps={_STEPS.value}',
             f'--config.model.compute_dtype={dtype}',
             '--config.report.at_end=False', '--config.train.eval_every=0']
  command += [f'--config.{o}' for o in _EXTRA.value]
  print(' '.join(command), flush=True)
  subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
  return checkpoint_digest(workdir)


def compare(before_path: str, after_path: str) -> int:
  with open(before_path) as f:
    before = json.load(f)
  with open(after_path) as f:
    after = json.load(f)
  differ = 0
  for name in sorted(set(before) | set(after)):
    same = before.get(name) == after.get(name)
    differ += not same
    print(f'{"identical" if same else "DIFFERENT"}  {name}: '
          f'{before.get(name)} | {after.get(name)}')
  return 1 if differ else 0


def main(argv):
  del argv
  if _COMPARE.value:
    sys.exit(compare(*_COMPARE.value))
  root = _ROOT.value or tempfile.mkdtemp(prefix='jaxgan_digest_')
  digests = {}
  for config in _CONFIGS.value:
    for dtype in _DTYPES.value:
      digests[f'{config} {dtype}'] = run(config, dtype, root)
      print(f'{config} {dtype}: {digests[f"{config} {dtype}"]}', flush=True)
  if _OUT.value:
    with open(_OUT.value, 'w') as f:
      json.dump(digests, f, indent=1)


if __name__ == '__main__':
  app.run(main)
