"""A dataset's real reference as one shareable file: the features of its n
real training images and n held-out images in one feature space, with what
made them (`python -m jaxgan.fid_stats` writes it; `jaxgan.evaluate
--reference=FILE` and eval.reference read it). With it, evaluating a run
costs only the generated side, on any machine, without the dataset.

An .npz of float32 `features` and `heldout_features` (n, d), their `mu` and
`sigma` (float64, as FID uses them) and `info` (JSON: feature space,
evaluator, weights' sha1, sample count, seed, the data's description).
"""

import json
import os
from typing import Dict, Tuple

import numpy as np

from jaxgan.core import files
from jaxgan.core.errors import ConfigError
from jaxgan.evaluation import metrics


def write(path: str, features: np.ndarray, heldout_features: np.ndarray,
          info: Dict[str, object]) -> None:
  mu, sigma = metrics.gaussian_statistics(features)
  with files.atomic_write(path) as tmp, open(tmp, 'wb') as f:
    np.savez(f, features=features.astype(np.float32),
             heldout_features=heldout_features.astype(np.float32),
             mu=mu, sigma=sigma, info=np.array(json.dumps(info, default=str)))


def read_info(path: str) -> Dict[str, object]:
  with np.load(_existing(path)) as loaded:
    return json.loads(str(loaded['info']))


def read(path: str, evaluator_info: Dict[str, object], num: int
         ) -> Tuple[np.ndarray, np.ndarray]:
  """The first `num` real and held-out features of the file, after checking
  that they were made by this evaluator (the same weights)."""
  with np.load(_existing(path)) as loaded:
    if not {'features', 'heldout_features', 'info'} <= set(loaded.files):
      raise ConfigError(f'{path} is not a jaxgan reference file (it holds '
                        f'{", ".join(loaded.files)}); write one with '
                        f'python -m jaxgan.fid_stats.')
    info = json.loads(str(loaded['info']))
    features, heldout = loaded['features'], loaded['heldout_features']
  for key in ('space', 'name', 'weights_sha1'):
    if info['evaluator'].get(key) != evaluator_info.get(key):
      raise ConfigError(
          f'{path} holds features of {info["evaluator"].get(key)!r} '
          f'({key}), but this evaluation uses {evaluator_info.get(key)!r}: '
          f'features of different networks do not compare.')
  if min(features.shape[0], heldout.shape[0]) < num:
    raise ConfigError(f'{path} holds {features.shape[0]} real images\' '
                      f'features; {num} asked for. Write it with '
                      f'--num_samples={num} or more.')
  return features[:num], heldout[:num]


def _existing(path: str) -> str:
  if not os.path.isfile(path):
    raise ConfigError(f'Reference file {path!r} does not exist; write one '
                      f'with python -m jaxgan.fid_stats --config=... '
                      f'--out={path}.')
  return path
