"""Reruns the results of docs/results.md: python -m jaxgan.reproduce [NAME ...] --workdir=DIR

For each experiment (all of jaxgan/reporting/experiments.py, or the NAMEs given) it
trains what is missing and resumes what is partial (`python -m jaxgan.main`
in DIR/NAME, a process of its own), evaluates the checkpoint at every point
where the source reports (once: DIR/NAME/eval/reproduce_STEP.json is reused),
overlays the runs each source compares (`jaxgan.report --compare`, in
DIR/compare/), and writes the table to DIR/results.md and DIR/results.json.
The table also keeps every other experiment already in DIR, from its kept
evaluations, so running the experiments one at a time builds the whole table.
`--notrain` tabulates what is there without training. Rerunning after any
interruption continues where it stopped.
"""

import json
import os
import subprocess
import sys
from typing import Dict, List, Optional, Sequence

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
from absl import logging

from jaxgan.core import cli, config_files, files
from jaxgan.core.errors import ConfigError
from jaxgan.evaluation import results as evaluation_results, shipped
from jaxgan.reporting import experiments
from jaxgan.run import checkpoints

_WORKDIR = flags.DEFINE_string(
    'workdir', None, 'Parent of the experiments\' workdirs (DIR/NAME); '
    'required but with --list.')
_TRAIN = flags.DEFINE_bool(
    'train', True, 'Train what is missing (--notrain: tabulate what exists).')
_DATA_SOURCE = flags.DEFINE_string(
    'data_source', 'auto', 'data.source of every run: auto (full MNIST '
    'through tfds where it can be had, else the bundled 5,000 digits) | '
    'tfds | bundled | idx (with --data_dir) | ...')
_DATA_DIR = flags.DEFINE_string(
    'data_dir', '', 'data.data_dir of every run: e.g. the folder of MNIST\'s '
    'IDX files for --data_source=idx.')
_EVALUATOR_SOURCE = flags.DEFINE_string(
    'evaluator_source', None, 'Evaluate with this eval.evaluator_source, e.g. '
    'a shipped evaluator\'s name (mnist-v1 for figures published with it); '
    'default: each run\'s own (the newest shipped evaluator).')
_NUM_SAMPLES = flags.DEFINE_integer(
    'num_samples', 10000, 'Samples per evaluation (capped by the real '
    'images: 1,000 on the bundled subset).')
_MAIN_FLAGS = flags.DEFINE_multi_string(
    'main_flag', [], 'A flag for every jaxgan.main run, e.g. '
    '--main_flag=--config.model.compute_dtype=bfloat16 (repeatable; changes '
    'what the rows measure, so the table is no longer the docs\').')
_LIST = flags.DEFINE_bool('list', False, 'List the experiments and exit.')

# Checkpoints kept per run: every evaluation point and every 10-minute one.
KEEP_CHECKPOINTS = 1000
# The bar for a model its source calls good: legible digits of all
# 10 classes.
GOOD_FD_RATIO, GOOD_CLASSIFIER_SCORE, GOOD_MODES = 10.0, 9.0, 10


def select(names: Sequence[str]) -> List[experiments.Experiment]:
  unknown = [n for n in names if n not in experiments.BY_NAME]
  if unknown:
    raise ConfigError(f'Unknown experiment {", ".join(map(repr, unknown))}; '
                      f'valid choices: {", ".join(experiments.BY_NAME)}.')
  return [experiments.BY_NAME[n] for n in names] or list(
      experiments.EXPERIMENTS)


def main_command(experiment: experiments.Experiment, workdir: str,
                 data_source: str, main_flags: Sequence[str] = ()
                 ) -> List[str]:
  """The jaxgan.main command that trains (or resumes) one experiment."""
  return [sys.executable, '-m', 'jaxgan.main',
          f'--config={config_path(experiment)}', f'--workdir={workdir}',
          f'--config.data.source={data_source}',
          f'--config.train.num_steps={experiment.num_steps}',
          f'--config.train.checkpoint_every={experiment.checkpoint_every}',
          f'--config.train.max_checkpoints_to_keep={KEEP_CHECKPOINTS}',
          *main_flags]


def config_path(experiment: experiments.Experiment) -> str:
  """The shipped config's file, wherever jaxgan is installed."""
  return os.path.join(config_files.CONFIGS_DIR, f'{experiment.config}.py')


def train(experiment: experiments.Experiment, workdir: str,
          data_source: str, main_flags: Sequence[str] = ()) -> None:
  if experiment.num_steps in checkpoints.saved_steps(workdir):
    return
  command = main_command(experiment, workdir, data_source, main_flags)
  logging.info('Training %s: %s', experiment.name, ' '.join(command))
  result = subprocess.run(command, check=False)
  if result.returncode:
    raise ConfigError(f'Training {experiment.name} stopped with exit code '
                      f'{result.returncode}; its log is above. Rerun the '
                      f'same command to resume.')


def evaluate(experiment: experiments.Experiment, workdir: str,
             num_samples: int, evaluator_source: Optional[str] = None,
             kept_only: bool = False) -> Dict[int, dict]:
  """{step: evaluation} for every point whose checkpoint exists; each is
  kept in workdir/eval/reproduce_STEP.json and reused at the same request
  (sample count and evaluator). `kept_only`: only those already kept."""
  from jaxgan import evaluate as evaluate_lib  # pylint: disable=g-import-not-at-top
  results = {}
  available = checkpoints.saved_steps(workdir)
  wanted = None  # The shipped evaluator asked for; None: the run's own.
  if os.path.exists(os.path.join(workdir, 'config.json')):
    wanted = shipped.name_for(evaluate_lib.evaluation_config(
        workdir, evaluator_source=evaluator_source))
  for point in experiment.points:
    path = os.path.join(workdir, 'eval', f'reproduce_{point.step}.json')
    kept = files.read_json(path)
    if (kept and kept['num_samples_requested'] == num_samples and
        _evaluated_with(kept['result'], wanted)):
      results[point.step] = kept['result']
      continue
    if point.step in available and not kept_only:
      logging.info('Evaluating %s at step %d.', experiment.name, point.step)
      result, _ = evaluate_lib.evaluate(workdir, num_samples,
                                        checkpoint=str(point.step),
                                        evaluator_source=evaluator_source)
      files.write_json(path, {'num_samples_requested': num_samples,
                              'result': result})
      results[point.step] = result
  return results


def _evaluated_with(result: dict, wanted: Optional[str]) -> bool:
  """Whether `result` used the evaluator `wanted` (a shipped name; None: one
  trained for the run); a new shipped version makes earlier ones stale."""
  info = result['evaluator']
  return info.get('name') == wanted if wanted else not info.get('shipped')


def train_seconds(workdir: str, up_to: int) -> Optional[float]:
  """Training time to step `up_to`: each logged interval's steps over its
  measured speed (scalars.jsonl), so compilation, checkpoints and samples,
  and time spent stopped, are not counted."""
  path = os.path.join(workdir, 'scalars.jsonl')
  if not os.path.exists(path):
    return None
  seconds, last = 0.0, 0
  with open(path) as f:
    for line in f:
      record = json.loads(line)
      step, speed = record.get('step', 0), record.get('steps_per_sec')
      if speed and last < step <= up_to:
        seconds += (step - last) / speed
      if speed:
        last = max(last, step)
  return seconds


def fd_ratio(metrics: dict, reference: dict) -> float:
  """FD on features as a multiple of the real held-out reference's."""
  return (metrics['frechet_distance_features'] /
          reference['frechet_distance_features'])


def verdict(experiment: experiments.Experiment, result: dict) -> str:
  """Whether a model its source calls good reaches the bar."""
  generated = result['metrics']
  good = (fd_ratio(generated, result['reference']) <= GOOD_FD_RATIO and
          generated['classifier_score'] >= GOOD_CLASSIFIER_SCORE and
          generated['modes_covered'] >= GOOD_MODES)
  if not experiment.called_good:
    return 'legible' if good else 'not legible (as the source says)'
  return 'meets the bar' if good else 'SHORT of the bar'


def _duration(seconds: Optional[float]) -> str:
  if seconds is None:
    return '?'
  hours, rest = divmod(int(round(seconds)), 3600)
  return f'{hours}h{rest // 60:02d}m'


def table(rows: Sequence[dict]) -> str:
  """The Markdown results table: a real-data reference row, then one row
  per experiment and point."""
  header = ('experiment', 'source', 'at', 'FD logits', 'FD features (x real)',
            'classifier score', 'precision / recall', 'coverage', 'modes',
            'protocols', 'train time', 'verdict')
  lines = ['| ' + ' | '.join(header) + ' |',
           '|' + ' --- |' * len(header)]
  reference = next((r['result']['reference'] for r in rows if r['result']),
                   None)
  if reference:
    lines.append('| real held-out digits | | | ' + ' | '.join(
        _metric_cells(reference, reference) + ['', '', '']) + ' |')
  for row in rows:
    result = row['result']
    at = (f'{row["step"]:,} steps' if row['label'].endswith('steps') else
          f'{row["label"]} ({row["step"]:,} steps)')
    cells = [row['name'], row['source'], at]
    if result is None:
      cells += ['not yet'] + [''] * 8
    else:
      cells += _metric_cells(result['metrics'], result['reference']) + [
          _protocols(result['protocols']), _duration(row['train_seconds']),
          row['verdict']]
    lines.append('| ' + ' | '.join(cells) + ' |')
  return '\n'.join(lines)


def _metric_cells(metrics: dict, reference: dict) -> List[str]:
  """The table's metric columns; FD on features also as a multiple of the
  real reference's."""
  times = ('1x' if metrics is reference else
           f'{fd_ratio(metrics, reference):.1f}x')
  fd = metrics['frechet_distance_features']
  return [f'{metrics["frechet_distance_logits"]:.3g}', f'{fd:.3g} ({times})',
          f'{metrics["classifier_score"]:.3g}',
          f'{metrics["precision"]:.2f} / {metrics["recall"]:.2f}',
          f'{metrics["coverage"]:.2f}', f'{metrics["modes_covered"]}']


def _protocols(protocols: dict) -> str:
  parts = []
  if 'nn_test_error_generated' in protocols:
    parts.append(f'1-NN error {100 * protocols["nn_test_error_generated"]:.2f}%'
                 f' (real {100 * protocols["nn_test_error_real"]:.2f}%)')
  if 'svm_test_error' in protocols:
    parts.append(f'D-feature SVM error {100 * protocols["svm_test_error"]:.1f}%')
  return '; '.join(parts)


def compare(workdir: str, done: Sequence[str]) -> Dict[str, str]:
  """`jaxgan.report --compare` of each source comparison whose runs all
  exist; {comparison: its index.html}."""
  from jaxgan import report  # pylint: disable=g-import-not-at-top
  pages = {}
  for name, members in experiments.COMPARISONS.items():
    if all(m in done for m in members):
      pages[name] = report.write_comparison(
          [os.path.join(workdir, m) for m in members],
          os.path.join(workdir, 'compare', name), labels=members)
  return pages


def reproduce(names: Sequence[str], workdir: str, train_missing: bool = True,
              data_source: str = 'auto', num_samples: int = 10000,
              main_flags: Sequence[str] = (),
              evaluator_source: Optional[str] = None) -> str:
  """Trains, evaluates and tabulates; returns the table's path."""
  chosen = select(names)
  evaluations = {}
  for experiment in chosen:
    run_dir = os.path.join(workdir, experiment.name)
    if train_missing:
      train(experiment, run_dir, data_source, main_flags)
    evaluations[experiment.name] = evaluate(experiment, run_dir, num_samples,
                                            evaluator_source)
  rows, done = [], []
  for experiment in experiments.BY_NAME.values():  # In the registry's order.
    run_dir = os.path.join(workdir, experiment.name)
    results = evaluations.get(experiment.name)
    if results is None:  # Not named: the table keeps its kept evaluations.
      if not os.path.isdir(run_dir):
        continue
      results = evaluate(experiment, run_dir, num_samples, evaluator_source,
                         kept_only=True)
    if experiment.num_steps in results:
      done.append(experiment.name)
    for point in experiment.points:
      result = results.get(point.step)
      rows.append({
          'name': experiment.name, 'source': experiment.source,
          'claim': experiment.claim, 'label': point.label,
          'step': point.step, 'result': result,
          'train_seconds': train_seconds(run_dir, point.step),
          'verdict': verdict(experiment, result) if result else ''})
  pages = compare(workdir, done)
  text = table(rows)
  evaluators = {evaluation_results.evaluator_name(r['result']['evaluator'])
                for r in rows if r['result']}
  text += (f'\n\nEvaluator: {", ".join(sorted(evaluators)) or "none yet"}.'
           + ''.join(f'\nComparison {n}: {p}' for n, p in pages.items()))
  files.write_json(os.path.join(workdir, 'results.json'),
                   {'rows': rows, 'comparisons': pages})
  path = os.path.join(workdir, 'results.md')
  with open(path, 'w') as f:
    f.write(text + '\n')
  print(text)
  return path


def main(argv):
  if _LIST.value:
    for e in experiments.EXPERIMENTS:
      print(f'{e.name:10s} configs/{e.config}.py, {e.num_steps:,} steps; '
            f'{e.source}: {e.claim}')
    return
  cli.start(argv[:1])
  with cli.user_errors_exit():
    if not _WORKDIR.value:
      raise ConfigError('--workdir is missing: give the folder that holds (or '
                        'will hold) the experiments\' runs, e.g. '
                        '--workdir=runs/results.')
    if _NUM_SAMPLES.value < 2:
      raise ConfigError(f'--num_samples={_NUM_SAMPLES.value} is invalid: '
                        f'expected an integer >= 2.')
    main_flags = list(_MAIN_FLAGS.value)
    if _DATA_DIR.value:
      main_flags.append(f'--config.data.data_dir={_DATA_DIR.value}')
    path = reproduce(argv[1:], _WORKDIR.value, _TRAIN.value,
                     _DATA_SOURCE.value, _NUM_SAMPLES.value, main_flags,
                     _EVALUATOR_SOURCE.value)
  print(f'\nWritten to {path}')


if __name__ == '__main__':
  app.run(main)
