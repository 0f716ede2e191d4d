"""One evaluation of a generator: its metrics next to the real-data
reference, the protocols that apply to it, a printed table and a JSON file.
Shared by `jaxgan.evaluate` and evaluation during training."""

import dataclasses
import os
import time
from typing import Callable, Dict, Optional, Sequence

from absl import logging
import flax.linen as nn
import ml_collections
import numpy as np

from jaxgan.core import files
from jaxgan.core.errors import ConfigError
from jaxgan.core.registry import Registry
from jaxgan.datasets import data
from jaxgan.evaluation import metrics, protocols
from jaxgan.evaluation.quality import SampleQuality
from jaxgan.evaluation.splits import Splits
from jaxgan.step import sampling
from jaxgan.step.state import GANState

def sample_metrics(config, g_model, state, quality: SampleQuality,
                   seed: int) -> Dict[str, object]:
  """The generator's metrics on quality.num_samples fresh samples."""
  fake = sampling.draw_samples(config, g_model, state, quality.num_samples,
                               seed)
  return quality.score(fake['images'])


@dataclasses.dataclass(frozen=True)
class ProtocolInputs:
  """Everything a protocol may use: the run and its real data splits."""
  config: ml_collections.ConfigDict
  g_model: nn.Module
  d_model: nn.Module
  state: GANState
  splits: Splits
  nn_samples: int
  svm_labels: int
  seed: int


@dataclasses.dataclass(frozen=True)
class Protocol:
  """A DCGAN-paper protocol: whether it applies to a run (what 'auto' runs),
  why not where it does not (the error when asked for), and how it runs."""
  applies: Callable[[ml_collections.ConfigDict, nn.Module], bool]
  refusal: Callable[[ml_collections.ConfigDict], str]
  run: Callable[[ProtocolInputs], Dict[str, object]]
  # Fits a classifier on the real class labels: only where there are some.
  needs_labels: bool = True


PROTOCOLS: Registry = Registry('protocol')


def has_real_labels(splits: Splits) -> bool:
  """Labels on both real sets, of two classes or more."""
  return (splits.train.labelled and splits.test.labelled and
          np.unique(splits.train.labels).size > 1)


def applicable_protocols(config, requested: str, d_model: nn.Module,
                         labelled: bool = True) -> Sequence[str]:
  """'auto': every registered protocol that applies to the run (and its
  data: `labelled`, see has_real_labels); 'none'; or a comma-separated
  list, each checked."""

  def applies(protocol):
    return ((labelled or not protocol.needs_labels) and
            protocol.applies(config, d_model))

  if requested == 'auto':
    return tuple(name for name in PROTOCOLS.in_order()
                 if applies(PROTOCOLS.get(name)))
  if requested == 'none':
    return ()
  chosen = tuple(p for p in requested.split(',') if p)
  for name in chosen:
    if name not in PROTOCOLS.names():
      raise ConfigError(f'Unknown protocol {name!r} in --protocols; valid '
                        f'choices: auto, none, or a list of '
                        f'{", ".join(PROTOCOLS.in_order())}.')
  for name in chosen:
    protocol = PROTOCOLS.get(name)
    if not labelled and protocol.needs_labels:
      raise ConfigError(f'The {name} protocol fits a classifier on the real '
                        f'class labels, but data.name={config.data.name!r} '
                        f'has none here (or one class); use --protocols=auto '
                        f'or none.')
    if not protocol.applies(config, d_model):
      raise ConfigError(protocol.refusal(config))
  return chosen


def nearest_neighbour_protocol(config, g_model, state, splits: Splits,
                               num: int, seed: int) -> Dict[str, object]:
  """1-NN error on the real test split, fitted on `num` class-balanced
  generated samples and on `num` real training images."""
  fake = sampling.draw_samples(config, g_model, state, num, seed + 1)
  real_num = min(num, splits.train.labels.size)
  real_idx = np.random.default_rng(seed).choice(splits.train.labels.size,
                                                real_num, replace=False)
  test = splits.test
  return {
      'nn_generated_samples': num,
      'nn_test_error_generated': protocols.nearest_neighbour_error(
          fake['images'], fake['labels'], test.images, test.labels),
      'nn_real_samples': real_num,
      'nn_test_error_real': protocols.nearest_neighbour_error(
          splits.train.images[real_idx], splits.train.labels[real_idx],
          test.images, test.labels),
      'nn_test_images': int(test.labels.size)}


def discriminator_svm_protocol(d_model, state, splits: Splits,
                               num_labels: int, seed: int
                               ) -> Dict[str, object]:
  """L2-SVM test error on D's pooled features from `num_labels` labelled
  training images (C chosen on as many others)."""
  train = splits.train
  labelled = protocols.balanced_subset(train.labels, num_labels, seed)
  validation = protocols.balanced_subset(
      train.labels, min(num_labels, train.labels.size - num_labels), seed + 1,
      exclude=labelled)

  def features(images):
    # Conditional critics see one fixed label: no test label leaks in.
    return protocols.discriminator_features(
        d_model, state, images, np.zeros(images.shape[0], np.int32))

  result = protocols.linear_svm_error(
      features(train.images[labelled]), train.labels[labelled],
      features(train.images[validation]), train.labels[validation],
      features(splits.test.images), splits.test.labels)
  return {**result, 'svm_labels': int(num_labels),
          'svm_test_images': int(splits.test.labels.size)}


def run_protocols(config, g_model, d_model, state, splits: Splits,
                  names: Sequence[str], nn_samples: int, svm_labels: int,
                  seed: int) -> Dict[str, object]:
  inputs = ProtocolInputs(config, g_model, d_model, state, splits, nn_samples,
                          svm_labels, seed)
  out = {}
  for name in names:
    start = time.time()
    out.update(PROTOCOLS.get(name).run(inputs))
    logging.info('Protocol %s took %.1fs.', name, time.time() - start)
  return out


PROTOCOLS.register('nearest_neighbour')(Protocol(
    applies=lambda config, d_model: config.model.num_classes > 0,
    refusal=lambda config: (
        'The nearest_neighbour protocol fits a classifier on class-'
        'conditional samples, but this run is unconditional '
        '(model.num_classes=0); train a conditional model (e.g. '
        'configs/cdcgan_mnist.py).'),
    run=lambda i: nearest_neighbour_protocol(
        i.config, i.g_model, i.state, i.splits, i.nn_samples, i.seed)))
PROTOCOLS.register('discriminator_svm')(Protocol(
    applies=lambda config, d_model: protocols.has_feature_maps(
        d_model, data.dataset_spec(config.data).image_shape),
    refusal=lambda config: (
        f'The discriminator_svm protocol fits an SVM on the discriminator\'s '
        f'convolutional feature maps, but model.discriminator='
        f'{config.model.discriminator!r} has none; use --protocols=auto or '
        f'a convolutional discriminator (the dcgan_* and cdcgan_d models).'),
    run=lambda i: discriminator_svm_protocol(i.d_model, i.state, i.splits,
                                             i.svm_labels, i.seed)))


def format_table(result: Dict[str, object]) -> str:
  """Metric | generated | real-data reference, then the protocols."""
  generated, reference = result['metrics'], result['reference']
  rows = [('metric', 'generated', 'real (held-out)', 'better')]
  for name, higher in metrics.HIGHER_IS_BETTER.items():
    if name in generated:
      rows.append((name, _fmt(generated[name]), _fmt(reference[name]),
                   'higher' if higher else 'lower'))
  widths = [max(len(r[i]) for r in rows) for i in range(4)]
  lines = ['  '.join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
  lines.insert(1, '  '.join('-' * w for w in widths))
  if result.get('protocols'):
    lines.append('')
    lines += [f'{k}: {_fmt(v)}' for k, v in result['protocols'].items()]
  info = result['evaluator']
  lines.append('')
  if info.get('space') == 'inception':
    lines.append(f'{result["num_samples"]} samples, seed {result["seed"]}; '
                 f'{evaluator_name(info)}: FID as TTUR\'s and the papers '
                 f'that use it compute it, at this sample count.')
  else:
    lines.append(f'{result["num_samples"]} samples, seed {result["seed"]}; '
                 f'evaluator {evaluator_name(info)}, test accuracy '
                 f'{100 * info["test_accuracy"]:.2f}% on '
                 f'{info["test_images"]} images ({info["test_origin"]}).')
  return '\n'.join(lines)


def evaluator_name(info: Dict[str, object]) -> str:
  """'mnist-v1 (shipped)', 'mnist-bundled-KEY (trained here)' or the
  Inception network with its weights' hash."""
  if info.get('space') == 'inception':
    return (f'{info["name"]} Inception pool features (weights sha1 '
            f'{info["weights_sha1"][:8]})')
  name = info.get('name') or f'{info["dataset"]}-{info["source"]}-{info["key"]}'
  return f'{name} ({"shipped" if info.get("shipped") else "trained here"})'


def _fmt(value) -> str:
  if isinstance(value, float):
    return f'{value:.4g}'
  return str(value)


def write_json(workdir: str, step: int, result: Dict[str, object]) -> str:
  """workdir/eval/metrics_STEP.json, atomically."""
  path = os.path.join(workdir, 'eval', f'metrics_{step}.json')
  files.write_json(path, result)
  return path


def result_record(step: int, quality: SampleQuality,
                  generated: Dict[str, object],
                  protocol_results: Optional[Dict[str, object]] = None,
                  checkpoint: str = '') -> Dict[str, object]:
  return {'step': step, 'checkpoint': checkpoint,
          'num_samples': quality.num_samples, 'seed': quality.seed,
          'evaluator': quality.evaluator.info, 'metrics': generated,
          'reference': quality.reference,
          'protocols': protocol_results or {}}
