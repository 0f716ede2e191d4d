"""A run's pictures and page: python -m jaxgan.report --workdir=DIR

Writes DIR/report/: progress.gif (the fixed-noise grids over training),
losses.png, gradients.png (Singh, Figs. 8-10), real_vs_fake.png,
latent_walk.png (Vijaya Lakshmi & Ganaraju, section 6.1), metrics.png (when
evaluation ran) and index.html, one self-contained page with the config, the
metric table and every figure. Training writes it at its end too (config.report.at_end).

python -m jaxgan.report --compare DIR1 DIR2 ... [--out=DIR] overlays the
curves of several runs (saturating vs non-saturating, DCGAN vs WGAN-GP) in
one set of figures and one page, with the config fields that differ.
"""

import dataclasses
import datetime
import json
import os
import sys
from typing import List, Optional, Sequence, Tuple

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
from absl import logging
import jax
import numpy as np

from jaxgan.core import cli, files
from jaxgan.core.errors import ConfigError
from jaxgan.datasets import data, images
from jaxgan.evaluation import results as evaluation_results
from jaxgan.evaluation.metrics import HIGHER_IS_BETTER
from jaxgan.reporting import figures, latent_walk, page, progress_gif, run_history
from jaxgan.run import config_validation, runs
from jaxgan.step import sampling

FLAGS = flags.FLAGS

REPORT_DIR = 'report'
INDEX = 'index.html'


@dataclasses.dataclass(frozen=True)
class ReportOptions:
  checkpoint: str = 'latest'   # the state whose samples are shown
  smoothing: float = 0.6       # TensorBoard-style EMA weight of the curves
  interpolation: str = 'slerp'
  walk_rows: int = 8           # walks of an unconditional model
  walk_points: int = 10        # images per walk
  seed: int = 0                # of the real images and the walks' endpoints

  def check(self) -> None:
    if not 0 <= self.smoothing < 1:
      raise ConfigError(f'--smoothing={self.smoothing} is invalid: expected a '
                        f'number in [0, 1).')
    if self.interpolation not in latent_walk.INTERPOLATIONS:
      raise ConfigError(
          f'Unknown --interpolation={self.interpolation!r}; valid choices: '
          f'{", ".join(latent_walk.INTERPOLATIONS)}.')
    for name, minimum in (('walk_rows', 1), ('walk_points', 2), ('seed', 0)):
      if getattr(self, name) < minimum:
        raise ConfigError(f'--{name}={getattr(self, name)} is invalid: '
                          f'expected an integer >= {minimum}.')


class FigureList:
  """The figures of one page in order: each either written to the output
  folder or skipped with the reason (shown on the page and logged)."""

  def __init__(self, out_dir: str):
    self.out_dir = out_dir
    self.entries: List[Tuple[str, str, bool, bool]] = []
    os.makedirs(out_dir, exist_ok=True)

  def path(self, name: str) -> str:
    return os.path.join(self.out_dir, name)

  def add(self, name: str, caption: str, pixels: bool = False) -> None:
    self.entries.append((name, caption, pixels, True))

  def add_figure(self, name: str, fig, caption: str, reason: str) -> None:
    """Saves matplotlib figure `fig`, or skips `name` for `reason` if None."""
    if fig is None:
      self.skip(name, reason)
    else:
      figures.save(fig, self.path(name))
      self.add(name, caption)

  def skip(self, name: str, reason: str) -> None:
    if os.path.exists(self.path(name)):  # Stale, from an earlier report.
      os.remove(self.path(name))
    logging.info('Report: no %s: %s', name, reason)
    self.entries.append((name, reason, False, False))

  def html(self) -> List[str]:
    return [page.figure(self.path(name), text, pixels) if written
            else page.note(f'{name}: {text}')
            for name, text, pixels, written in self.entries]

  def written(self) -> List[str]:
    return [self.path(name) for name, _, _, written in self.entries if written]


def _curve_figures(figs: FigureList, histories, smoothing: float,
                   title: str) -> None:
  no_scalars = ('no scalars were logged (workdir/scalars.jsonl is missing: '
                'the run logged nothing yet, or predates the file)')
  figs.add_figure(
      'losses.png',
      figures.plot_curves(histories, figures.LOSS_PANELS, smoothing, title),
      'G and D losses and the discriminator\'s mean output on real and '
      'generated images, with the Wasserstein estimate and the D '
      'regularisers (gradient penalty, R1) where the loss has them.',
      no_scalars)
  figs.add_figure(
      'gradients.png',
      figures.plot_curves(histories, figures.GRADIENT_PANELS, smoothing,
                          title, ncols=3),
      'Mean, standard deviation and global norm over every element of each '
      'network\'s gradient at the logged steps (Singh, Figs. 9-10).',
      no_scalars + ', or the run predates gradient statistics')
  figs.add_figure(
      'metrics.png', figures.plot_metrics(histories, title),
      'Sample-quality metrics at each evaluation, against the same metric '
      'of real held-out images (dashed).',
      'the run was never evaluated: train with --config.train.eval_every=N, '
      'or run python -m jaxgan.evaluate --workdir=DIR')


def _real_grid(dataset: data.Dataset, labels: Optional[np.ndarray], num: int,
               seed: int) -> np.ndarray:
  """`num` random training images; for conditional runs, of the same classes
  as the generated grid, image by image (any class where the data has none
  of one)."""
  rng = np.random.default_rng(seed)
  everything = np.arange(len(dataset.images))
  if labels is None:
    chosen = rng.choice(everything, min(num, everything.size), replace=False)
  else:
    chosen = [rng.choice(np.flatnonzero(dataset.labels == y)
                         if np.any(dataset.labels == y) else everything)
              for y in labels]
  return images.make_grid(dataset.images[np.asarray(chosen)])


def _generator_figures(figs: FigureList, run: run_history.RunHistory,
                       options: ReportOptions) -> Optional[int]:
  """real_vs_fake.png and latent_walk.png; returns the state's step. A run
  with no checkpoint yet has none to show; a --checkpoint asked for that
  does not exist is an error."""
  config = runs.config_from_saved(run.config)
  try:
    g_model, _, state = runs.load_state(run.workdir, config,
                                        options.checkpoint)
  except ConfigError as e:
    if options.checkpoint != 'latest':
      raise
    for name in ('real_vs_fake.png', 'latent_walk.png'):
      figs.skip(name, f'no generator to sample: {e}')
    return None
  step = int(state.step)
  spec = data.dataset_spec(config.data)

  # Real next to generated: the fixed noise of the run's sample grids.
  z, labels = sampling.sample_inputs(config, config.train.num_sample_images)
  generated = jax.jit(lambda s: sampling.generate(g_model, s, z, labels))(
      state)
  try:
    # The source the run trained on (source=auto resolves to one).
    source = (run.data_source or {}).get('source', config.data.source)
    dataset = data.load(config.data.name, source, config.data.data_dir,
                        allow_download=False,
                        options=data.ImageOptions.from_config(config.data))
  except ConfigError as e:
    figs.skip('real_vs_fake.png', f'the training data is not available '
              f'here: {e}')
  else:
    real = _real_grid(dataset, None if labels is None else np.asarray(labels),
                      config.train.num_sample_images, options.seed)
    figs.add_figure(
        'real_vs_fake.png',
        figures.plot_real_vs_fake(
            real, images.make_grid(np.asarray(generated)),
            f'real ({dataset.description})',
            f'generated (step {step:,}, the fixed sample noise)'),
        'Random training images next to the generator\'s fixed-noise grid'
        + (', class by class.' if labels is not None else '.'), '')

  # Latent walk.
  grid, row_classes = latent_walk.walk(
      g_model, state, config.model.noise_dim, config.model.noise_distribution,
      config.model.num_classes,
      jax.random.fold_in(jax.random.key(options.seed), 1), options.walk_rows,
      options.walk_points, options.interpolation)
  conditional = config.model.num_classes > 0
  names = spec.class_names or ()
  row_labels = ([names[c] if c < len(names) else str(c) for c in row_classes]
                if conditional else
                [str(r + 1) for r in range(len(row_classes))])
  figs.add_figure(
      'latent_walk.png',
      figures.plot_image_rows(
          grid, row_labels,
          f'{options.interpolation} interpolation, step {step:,}',
          'class' if conditional else 'walk'),
      ('One row per class, all along the same path between two random '
       'latent points' if conditional else
       'Each row walks between two random latent points') +
      f' ({options.walk_points} points, {options.interpolation}). Smooth '
      f'change suggests a learned manifold; sudden jumps, memorisation.', '')
  return step


def _metric_table(record: dict) -> str:
  rows = [(name, record['metrics'][name], record['reference'][name],
           'higher' if higher else 'lower')
          for name, higher in HIGHER_IS_BETTER.items()
          if name in record['metrics']]
  rows += [(name, value, '', '') for name, value in
           record.get('protocols', {}).items()]
  info = record['evaluator']
  accuracy = ('' if info.get('space') == 'inception' else
              f', test accuracy {100 * info["test_accuracy"]:.2f}% on '
              f'{info["test_images"]:,} images '
              f'({page.escape(info["test_origin"])})')
  return (page.table(('metric', 'generated', 'real (held-out)', 'better'),
                     rows) +
          f'<p>Step {record["step"]:,}; {record["num_samples"]:,} samples, '
          f'seed {record["seed"]}; evaluator '
          f'{page.escape(evaluation_results.evaluator_name(info))}'
          f'{accuracy}.</p>')


def _summary(run: run_history.RunHistory, step: Optional[int]) -> str:
  config = run.config
  rows = [('workdir', os.path.abspath(run.workdir)),
          ('data', (run.data_source or {}).get('description',
                                               config['data']['name'])),
          ('generator / discriminator',
           f'{config["model"]["generator"]} / '
           f'{config["model"]["discriminator"]}'),
          ('loss', config['loss']['name']),
          ('batch size', str(config['data']['batch_size'])),
          ('step shown', 'no checkpoint' if step is None else f'{step:,}'),
          ('sample grids / evaluations',
           f'{len(run.sample_grids)} / {len(run.evaluations)}'),
          ('report written', datetime.datetime.now().isoformat(' ', 'seconds'))]
  return page.table(None, rows)


def write_report(workdir: str, options: ReportOptions = ReportOptions()
                 ) -> str:
  """Writes workdir/report/ and returns the path of its index.html."""
  options.check()
  run = run_history.load(workdir)
  figs = FigureList(os.path.join(workdir, REPORT_DIR))
  if run.sample_grids:
    count = progress_gif.write_progress_gif(figs.path('progress.gif'),
                                            run.sample_grids)
    figs.add('progress.gif',
             f'The fixed-noise sample grid at {count} saved steps, '
             f'{run.sample_grids[0][0]:,} to {run.sample_grids[-1][0]:,}.',
             pixels=True)
  else:
    figs.skip('progress.gif', 'no sample grids in samples/ yet')
  step = _generator_figures(figs, run, options)
  _curve_figures(figs, [run], options.smoothing, run.label)
  parts = [page.section('Run', _summary(run, step))]
  if run.evaluations:
    parts.append(page.section('Sample quality (latest evaluation)',
                              _metric_table(run.evaluations[-1])))
  parts.append(page.section('Figures', *figs.html()))
  parts.append(page.section('Config', page.preformatted(
      json.dumps(run.config, indent=2, sort_keys=True))))
  return _write_page(figs, f'jaxgan report: {run.label}', parts)


def write_report_after_training(workdir: str) -> None:
  """The report of a run that just finished (config.report.at_end). The run
  is complete and saved whatever happens here, so a failure is logged, not
  raised."""
  try:
    write_report(workdir)
  except Exception:  # pylint: disable=broad-except
    logging.exception('Writing the report failed; the run itself is complete '
                      'and saved. Retry with: python -m jaxgan.report '
                      '--workdir=%s', workdir)


def _write_page(figs: FigureList, title: str, parts: Sequence[str]) -> str:
  path = figs.path(INDEX)
  with files.atomic_write(path) as tmp, open(tmp, 'w', encoding='utf-8') as f:
    f.write(page.render(title, parts))
  logging.info('Report: %s (%s).', path, ', '.join(
      os.path.basename(p) for p in figs.written()))
  return path


def _config_differences(histories) -> str:
  flat = [config_validation.flatten(run.config) for run in histories]
  fields = sorted(set().union(*flat))
  rows = [(field,) + tuple(str(f.get(field, '(absent)')) for f in flat)
          for field in fields
          if len({json.dumps(f.get(field), sort_keys=True) for f in flat}) > 1]
  if not rows:
    return page.note('The runs have the same config.')
  return page.table(('field',) + tuple(run.label for run in histories), rows)


def _latest_metrics(histories) -> Optional[str]:
  latest = [run.evaluations[-1] if run.evaluations else None
            for run in histories]
  if not any(latest):
    return None
  rows = [('step',) + tuple(r['step'] if r else '' for r in latest)]
  rows += [(name + (' (higher is better)' if higher else ' (lower is better)'),)
           + tuple(r['metrics'].get(name, '') if r else '' for r in latest)
           for name, higher in HIGHER_IS_BETTER.items()
           if any(r and name in r['metrics'] for r in latest)]
  return page.table(('metric',) + tuple(run.label for run in histories), rows)


def write_comparison(workdirs: Sequence[str], out_dir: str,
                     labels: Sequence[str] = (),
                     smoothing: float = ReportOptions.smoothing) -> str:
  """Overlays the curves of the runs in `workdirs` in out_dir/; returns the
  path of its index.html."""
  if len(workdirs) < 2:
    raise ConfigError(f'--compare needs at least two workdirs; got '
                      f'{len(workdirs)}: {", ".join(workdirs) or "none"}.')
  if labels and len(labels) != len(workdirs):
    raise ConfigError(f'--labels has {len(labels)} names for '
                      f'{len(workdirs)} workdirs; give one per workdir.')
  ReportOptions(smoothing=smoothing).check()
  histories = [run_history.load(w, label) for w, label in
               zip(workdirs, labels or [''] * len(workdirs))]
  if len({run.label for run in histories}) < len(histories):
    histories = [run._replace(label=os.path.normpath(run.workdir))
                 for run in histories]
  figs = FigureList(out_dir)
  _curve_figures(figs, histories, smoothing, 'comparison')
  parts = [page.section('Runs', page.table(
      ('run', 'workdir', 'logged steps', 'evaluations'),
      [(run.label, os.path.abspath(run.workdir),
        max((int(s.steps[-1]) for s in run.scalars.values()), default=0),
        len(run.evaluations)) for run in histories]))]
  parts.append(page.section('Config fields that differ',
                            _config_differences(histories)))
  parts.append(page.section('Sample quality (latest evaluation of each run)',
                            _latest_metrics(histories) or page.note(
                                'None of the runs was evaluated.')))
  parts.append(page.section('Figures', *figs.html()))
  return _write_page(figs, 'jaxgan comparison: ' +
                     ' vs '.join(run.label for run in histories), parts)


def define_flags():
  """The command's flags; defined only when run as a command."""
  flags.DEFINE_string('workdir', None, 'The training run to report on.')
  flags.DEFINE_list(
      'compare', None, 'Workdirs whose curves to overlay instead: --compare '
      'DIR1 DIR2 ... (or comma-separated).')
  flags.DEFINE_string('out', 'comparison',
                      'Where --compare writes its figures and index.html.')
  flags.DEFINE_list('labels', None,
                    'Names of the --compare runs (default: folder names).')
  flags.DEFINE_string('checkpoint', 'latest',
                      f'The state sampled: {runs.CHECKPOINT_CHOICES}.')
  flags.DEFINE_float('smoothing', ReportOptions.smoothing,
                     'Weight of the curves\' exponential moving average, in '
                     '[0, 1) (0 = raw).')
  flags.DEFINE_string('interpolation', ReportOptions.interpolation,
                      f'Latent walk path: '
                      f'{" | ".join(latent_walk.INTERPOLATIONS)}.')
  flags.DEFINE_integer('walk_rows', ReportOptions.walk_rows,
                       'Walks drawn for an unconditional model (conditional '
                       'models draw one per class).')
  flags.DEFINE_integer('walk_points', ReportOptions.walk_points,
                       'Images along each walk.')
  flags.DEFINE_integer('seed', ReportOptions.seed,
                       'Seed of the real images and the walks.')


def main(argv):
  compare = FLAGS.compare is not None
  cli.start(argv if not compare else argv[:1])
  with cli.user_errors_exit():
    if compare == bool(FLAGS.workdir):
      raise ConfigError('Give either --workdir=DIR (one run) or --compare '
                        'DIR1 DIR2 ... (several runs).')
    if compare:
      path = write_comparison(FLAGS.compare + argv[1:], FLAGS.out,
                              FLAGS.labels or (), FLAGS.smoothing)
    else:
      path = write_report(FLAGS.workdir, ReportOptions(
          FLAGS.checkpoint, FLAGS.smoothing, FLAGS.interpolation,
          FLAGS.walk_rows, FLAGS.walk_points, FLAGS.seed))
  print(f'Report: {path}')
  sys.stdout.flush()


if __name__ == '__main__':
  define_flags()
  app.run(main)
