"""The inception feature space: the FID Inception network as an evaluator.

It has the classifier evaluator's interface (`features` -> (logits, features),
here (None, 2048-d pool features), `info`, `space`), so SampleQuality scores
in either space. The features of a real image set are cached on disk by the
set's contents and the weights' hash: a dataset's reference costs its
Inception passes once, and every later evaluation only its generated side.
"""

import hashlib
import os
import time
from typing import Any, Dict, Optional, Tuple

from absl import logging
import jax
import numpy as np

from jaxgan.core import files
from jaxgan.evaluation import batching, inception, inception_weights

# Bump when preprocessing or the network changes: cached features of an
# older version are then recomputed, never reused.
FEATURES_VERSION = 1
# Images per jitted call. On the CPU small batches stay in cache (per image:
# 71 ms at 4 or 8, 156 ms at 100, on the 2-core development machine).
CPU_BATCH, ACCELERATOR_BATCH = 8, 200


@jax.jit
def _features(params, images_uint8: jax.Array) -> jax.Array:
  """Module level, so that every evaluator of the process shares its
  compiled network (one compile per image shape, not per evaluator)."""
  return inception.FIDInception().apply({'params': params},
                                         inception.preprocess(images_uint8))


class InceptionEvaluator:
  """Inception pool features of uint8 images (any size; gray or RGB)."""
  space = 'inception'

  def __init__(self, weights: str = ''):
    self.params, weights_info = inception_weights.load(weights)
    self.info: Dict[str, Any] = {
        'name': 'inception-2015-12-05', 'space': self.space,
        'weights_sha1': weights_info['source_sha1'],
        'weights_origin': weights_info['origin'],
        'resize': 'TensorFlow 1 bilinear to 299x299 (as TTUR\'s FID)'}

  def features(self, images_uint8: np.ndarray, batch_size: int = 0
               ) -> Tuple[None, np.ndarray]:
    """(None, (n, 2048) float32 features), with a progress line on long
    sets."""
    batch_size = batch_size or (CPU_BATCH if jax.default_backend() == 'cpu'
                                else ACCELERATOR_BATCH)
    return None, batching.map_batches(
        lambda x: _features(self.params, x), batch_size, images_uint8,
        progress='Inception features')

  def real_features(self, images_uint8: np.ndarray) -> Tuple[None, np.ndarray]:
    """`features` of a real set, from the cache when these exact images
    were seen before (with these weights)."""
    path = os.path.join(inception_weights.cache_dir(), 'features',
                        f'{self._content_key(images_uint8)}.npy')
    if os.path.exists(path):
      cached = np.load(path)
      if cached.shape == (images_uint8.shape[0], inception.FEATURES):
        logging.info('Inception features of %d real images from %s.',
                     cached.shape[0], path)
        return None, cached
    start = time.time()
    _, features = self.features(images_uint8)
    logging.info('Inception features of %d real images in %.0fs; cached in '
                 '%s.', features.shape[0], time.time() - start, path)
    with files.atomic_write(path) as tmp, open(tmp, 'wb') as f:
      np.save(f, features)
    return None, features

  def _content_key(self, images_uint8: np.ndarray) -> str:
    digest = hashlib.sha256()
    digest.update(f'{FEATURES_VERSION}|{self.info["weights_sha1"]}|'
                  f'{images_uint8.shape}|{images_uint8.dtype}'.encode())
    digest.update(np.ascontiguousarray(images_uint8).data)
    return digest.hexdigest()[:24]


def features_of(images_uint8: np.ndarray, weights: str = '',
                evaluator: Optional[InceptionEvaluator] = None) -> np.ndarray:
  """(n, 2048) Inception pool features of uint8 images: the library call."""
  return (evaluator or InceptionEvaluator(weights)).features(images_uint8)[1]
