"""Measures a trained run: python -m jaxgan.evaluate --workdir=DIR

Prints metric | generated | real held-out reference, runs the DCGAN paper's
protocols that apply, and writes DIR/eval/metrics_STEP.json. MNIST and
Fashion-MNIST use the evaluator shipped with jaxgan; on other datasets the
first use trains one (cached for later runs).
"""

import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
from absl import logging

from jaxgan import cli, config_validation, runs
from jaxgan.errors import ConfigError
from jaxgan.evaluation import quality as quality_lib
from jaxgan.evaluation import results, shipped

FLAGS = flags.FLAGS


def evaluate(workdir: str, num_samples: int = 10000, checkpoint: str = 'latest',
             seed: int = 0, protocols: str = 'auto', nn_samples: int = 0,
             svm_labels: int = 1000, evaluator_dir=None,
             evaluator_source=None):
  """Evaluates checkpoint `checkpoint` of the run in `workdir`; returns the
  result written to workdir/eval/metrics_STEP.json and its path."""
  for name, value, minimum in (('num_samples', num_samples, 2),
                               ('nn_samples', nn_samples, 0),
                               ('svm_labels', svm_labels, 0)):
    if value < minimum:
      raise ConfigError(f'--{name}={value} is invalid: expected an integer '
                        f'>= {minimum}.')
  config = evaluation_config(workdir, evaluator_dir, evaluator_source)
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
  names = results.applicable_protocols(config, protocols, d_model)
  quality, splits = quality_lib.from_config(config, num_samples, seed)
  generated = results.sample_metrics(config, g_model, state, quality, seed)
  protocol_results = results.run_protocols(
      config, g_model, d_model, state, splits, names,
      nn_samples or num_samples, svm_labels, seed)
  return results.result_record(int(state.step), quality, generated,
                               protocol_results, checkpoint)


def evaluation_config(workdir: str, evaluator_dir=None,
                      evaluator_source=None):
  """The run's config with the evaluator this request asks for."""
  config = runs.load_config(workdir)
  if evaluator_dir is not None:
    config.eval.evaluator_dir = evaluator_dir
  if evaluator_source is not None:
    config.eval.evaluator_source = evaluator_source
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
                            FLAGS.evaluator_dir, FLAGS.evaluator_source)
  print(f'Step {result["step"]} of {FLAGS.workdir}:\n')
  print(results.format_table(result))
  print(f'\nWritten to {path}')
  sys.stdout.flush()


if __name__ == '__main__':
  define_flags()
  app.run(main)
