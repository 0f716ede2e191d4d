"""The training as an animation (Singh): one frame per saved fixed-noise
grid, each labelled with its step."""

import math
from typing import Sequence, Tuple

from PIL import Image, ImageDraw, ImageFont

from jaxgan.core import files

# Frames are scaled up by a whole factor to at least this width, so small
# grids (28-pixel digits) and their step label stay legible.
MIN_WIDTH = 320
LABEL_HEIGHT = 24
FRAME_MS = 250
LAST_FRAME_MS = 2000


def frame_scale(grid_width: int) -> int:
  return max(1, math.ceil(MIN_WIDTH / grid_width))


def _font():
  try:
    return ImageFont.load_default(size=16)
  except TypeError:  # Pillow built without FreeType: the fixed bitmap font.
    return ImageFont.load_default()


def write_progress_gif(path: str, grids: Sequence[Tuple[int, str]]) -> int:
  """Writes the (step, png path) grids as a looping GIF; returns the frame
  count. Grids of different sizes (train.num_sample_images changed on
  resume) are placed top-left on the largest canvas."""
  if not grids:
    raise ValueError('no sample grids to animate')
  images = []
  for _, grid_path in grids:
    with Image.open(grid_path) as image:
      images.append(image.convert('RGB'))
  width = max(im.width for im in images)
  height = max(im.height for im in images)
  scale = frame_scale(width)
  font = _font()
  frames = []
  for (step, _), image in zip(grids, images):
    frame = Image.new('RGB', (width * scale, height * scale + LABEL_HEIGHT),
                      'white')
    frame.paste(image.resize((image.width * scale, image.height * scale),
                             Image.Resampling.NEAREST), (0, LABEL_HEIGHT))
    ImageDraw.Draw(frame).text((4, 3), f'step {step:,}', fill='black',
                               font=font)
    frames.append(frame)
  durations = [FRAME_MS] * (len(frames) - 1) + [LAST_FRAME_MS]
  with files.atomic_write(path) as tmp:
    frames[0].save(tmp, format='GIF', save_all=True, append_images=frames[1:],
                   duration=durations, loop=0)
  return len(frames)
