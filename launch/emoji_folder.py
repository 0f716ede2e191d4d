"""Makes an image folder of real emoji for data.source=folder: the 64x64 PNGs
of the npm packages emoji-datasource-{apple,google,twitter,facebook} (16.0.0),
one subfolder per emoji category (emoji.json's `category`, 10 of them), skin
tone variants included: about 15,000 RGBA images.

  python launch/emoji_folder.py --out=data/emoji            # fetches with npm
  python launch/emoji_folder.py --out=data/emoji --packages=DIR --vendors=google

--packages: a folder where the packages are already unpacked, each as
DIR/<vendor>/package/ (as `npm pack` + `tar xzf` into DIR/<vendor> leaves
them); without it they are fetched with `npm pack` into a temporary folder.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

VENDORS = ('apple', 'google', 'twitter', 'facebook')
VERSION = '16.0.0'


def fetch(vendor: str, into: str) -> str:
  """Unpacks emoji-datasource-<vendor>@VERSION from the npm registry."""
  target = os.path.join(into, vendor)
  os.makedirs(target, exist_ok=True)
  name = f'emoji-datasource-{vendor}@{VERSION}'
  tarball = subprocess.run(['npm', 'pack', '--silent', name], cwd=target,
                           check=True, capture_output=True,
                           text=True).stdout.strip().splitlines()[-1]
  subprocess.run(['tar', 'xzf', tarball], cwd=target, check=True)
  os.remove(os.path.join(target, tarball))
  return os.path.join(target, 'package')


def category_folder(category: str) -> str:
  """'Smileys & Emotion' -> 'smileys_emotion'."""
  return re.sub(r'[^a-z0-9]+', '_', category.lower()).strip('_')


def images_by_category(package: str):
  """(category, image file name) of every emoji and skin-tone variant."""
  with open(os.path.join(package, 'emoji.json')) as f:
    emoji = json.load(f)
  for entry in emoji:
    yield entry['category'], entry['image']
    for variant in entry.get('skin_variations', {}).values():
      yield entry['category'], variant['image']


def build(out: str, packages: dict) -> int:
  """Copies each vendor's 64x64 images into out/<category>/; returns how
  many."""
  count = 0
  for vendor, package in packages.items():
    source = os.path.join(package, 'img', vendor, '64')
    for category, image in images_by_category(package):
      path = os.path.join(source, image)
      if not os.path.exists(path):  # Not every vendor draws every emoji.
        continue
      folder = os.path.join(out, category_folder(category))
      os.makedirs(folder, exist_ok=True)
      shutil.copyfile(path, os.path.join(folder, f'{vendor}_{image}'))
      count += 1
  return count


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--out', required=True, help='The folder to make.')
  parser.add_argument('--packages', default='',
                      help='Where the packages are unpacked (DIR/<vendor>/'
                      'package); empty: fetch them with npm.')
  parser.add_argument('--vendors', default=','.join(VENDORS),
                      help=f'Comma-separated, of {", ".join(VENDORS)}.')
  args = parser.parse_args(argv)
  vendors = [v for v in args.vendors.split(',') if v]
  unknown = [v for v in vendors if v not in VENDORS]
  if unknown:
    parser.error(f'unknown --vendors {",".join(unknown)}; valid choices: '
                 f'{", ".join(VENDORS)}.')
  with tempfile.TemporaryDirectory() as scratch:
    packages = {v: (os.path.join(args.packages, v, 'package') if args.packages
                    else fetch(v, scratch)) for v in vendors}
    count = build(args.out, packages)
  print(f'{count} images in {len(os.listdir(args.out))} categories under '
        f'{args.out}')
  return 0


if __name__ == '__main__':
  sys.exit(main())
