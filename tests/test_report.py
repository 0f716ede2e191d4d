"""The run report: scalar history, figures, progress GIF, latent walk, page."""

import base64
import glob
import importlib
import inspect
import json
import os
import re
import shutil
import subprocess

import jax
import numpy as np
import pytest
from PIL import Image
import tensorflow as tf

from jaxgan import api, report
from jaxgan.core.errors import ConfigError
from jaxgan.reporting import figures, latent_walk, page, progress_gif, run_history
from jaxgan.run import assemble, scalar_log, train
from tests import forked_commands
from tests.conftest import tiny_dcgan_config

FIGURES = ('progress.gif', 'losses.png', 'gradients.png', 'real_vs_fake.png',
           'latent_walk.png', 'metrics.png')
GRADIENT_SCALARS = {'g_grad_mean', 'g_grad_std', 'd_grad_mean', 'd_grad_std'}


# ------------------------------------------------------------ pure parts
def test_smoothing_is_debiased_skips_non_finite_and_zero_is_raw():
  np.testing.assert_allclose(figures.smooth(np.full(5, 3.0), 0.9), 3.0)
  values = np.array([1.0, 5.0, np.nan, 2.0])
  np.testing.assert_array_equal(figures.smooth(values[[0, 1, 3]], 0.0),
                                values[[0, 1, 3]])
  smoothed = figures.smooth(values, 0.5)
  assert smoothed[0] == 1.0  # Not pulled towards 0.
  assert smoothed[2] == smoothed[1]  # NaN passed over.
  np.testing.assert_allclose(smoothed[1], (0.5 * 1 * 0.5 + 0.5 * 5) / 0.75)


def test_scalar_log_keeps_the_latest_record_of_each_step(tmp_path):
  log = scalar_log.ScalarLog(str(tmp_path))
  for step in (10, 20, 30):
    log.write_scalars(step, {'g_loss': step / 10})
  log.write_scalars(30, {'eval/precision': 0.5})  # Same step, other name.
  # Resumed from the checkpoint at step 20: steps 30 and 40 again.
  log.write_scalars(30, {'g_loss': -3.0})
  log.write_scalars(40, {'g_loss': -4.0, 'd_loss': np.float32(1.5)})
  log.close()
  with open(tmp_path / scalar_log.FILENAME, 'a') as f:
    f.write('{"step": 50, "g_lo')  # A crash mid-line.
  history = scalar_log.read_scalars(str(tmp_path))
  np.testing.assert_array_equal(history['g_loss'].steps, [10, 20, 30, 40])
  np.testing.assert_array_equal(history['g_loss'].values, [1, 2, -3, -4])
  np.testing.assert_array_equal(history['eval/precision'].steps, [30])
  np.testing.assert_array_equal(history['d_loss'].values, [1.5])
  assert scalar_log.read_scalars(str(tmp_path / 'none')) == {}


def test_scalar_log_has_every_method_of_clus_metric_writer():
  from clu.metric_writers import interface  # pylint: disable=g-import-not-at-top
  for name in interface.MetricWriter.__abstractmethods__:
    ours = inspect.signature(getattr(scalar_log.ScalarLog, name)).parameters
    theirs = inspect.signature(getattr(interface.MetricWriter, name)).parameters
    assert list(ours) == list(theirs), name


def test_interpolations_end_at_the_endpoints_and_slerp_keeps_the_norm():
  rng = np.random.default_rng(0)
  z0, z1 = rng.normal(size=100), rng.normal(size=100)
  z1 *= np.linalg.norm(z0) / np.linalg.norm(z1)
  for method in latent_walk.INTERPOLATIONS:
    path = latent_walk.interpolate(z0, z1, 7, method)
    assert path.shape == (7, 100) and path.dtype == np.float32
    np.testing.assert_allclose(path[[0, -1]], [z0, z1], rtol=1e-5, atol=1e-6)
  norms = np.linalg.norm(latent_walk.interpolate(z0, z1, 7, 'slerp'), axis=1)
  np.testing.assert_allclose(norms, np.linalg.norm(z0), rtol=1e-5)
  line = latent_walk.interpolate(z0, z1, 3, 'linear')
  np.testing.assert_allclose(line[1], (z0 + z1) / 2, rtol=1e-5)
  assert np.linalg.norm(line[1]) < 0.9 * np.linalg.norm(z0)
  # Parallel endpoints: the circle is undefined, the line is used.
  np.testing.assert_allclose(latent_walk.interpolate(z0, 2 * z0, 3, 'slerp'),
                             latent_walk.interpolate(z0, 2 * z0, 3, 'linear'))
  with pytest.raises(ConfigError, match='valid choices: slerp, linear'):
    latent_walk.interpolate(z0, z1, 3, 'cubic')


def test_loss_figure_adds_wasserstein_and_penalty_panels_when_logged():
  series = scalar_log.Series(np.arange(1, 6), np.linspace(0.0, 1.0, 5))
  names = ('d_loss', 'g_loss', 'd_real', 'd_fake', 'wasserstein_estimate',
           'gradient_penalty')
  run = run_history.RunHistory('wgan_gp', '', {}, None,
                               dict.fromkeys(names, series), [], [])
  fig = figures.plot_curves([run], figures.LOSS_PANELS, 0.6, 'wgan_gp')
  assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == [
      'Losses', 'Discriminator output', 'Wasserstein estimate',
      'D regularisers']
  assert tuple(fig.get_size_inches() * fig.dpi) == (1000, 680)
  assert figures.plot_curves([run._replace(scalars={})], figures.LOSS_PANELS,
                             0.6, 'empty') is None


def test_conditional_walk_has_one_row_per_class_along_one_path():
  config = importlib.import_module('jaxgan.configs.cdcgan_mnist').get_config()
  g_model, d_model = assemble.build_models(config)
  state, _ = assemble.initial_state_and_step(config, g_model, d_model,
                                             (28, 28, 1), jax.random.key(0))
  grid, rows = latent_walk.walk(
      g_model, state, config.model.noise_dim, config.model.noise_distribution,
      10, jax.random.key(1), num_rows=3, num_points=4, method='slerp')
  assert rows == list(range(10))  # num_rows is for unconditional models.
  assert grid.shape == (10 * 30 + 2, 4 * 30 + 2, 1) and grid.dtype == np.uint8

  def cell(row, col):
    return grid[2 + 30 * row:30 * (row + 1), 2 + 30 * col:30 * (col + 1)]

  assert not np.array_equal(cell(0, 0), cell(1, 0))  # The class matters.
  assert not np.array_equal(cell(0, 0), cell(0, 3))  # The path moves.


def test_progress_gif_has_one_labelled_frame_per_grid(tmp_path):
  grids = []
  for i, size in enumerate((62, 62, 92)):  # The last after a resize.
    path = str(tmp_path / f'step_{i}.png')
    Image.fromarray(np.full((size, size), 40 * i, np.uint8)).save(path)
    grids.append((i * 100, path))
  out = str(tmp_path / 'progress.gif')
  assert progress_gif.write_progress_gif(out, grids) == 3
  scale = progress_gif.frame_scale(92)
  with Image.open(out) as gif:
    assert gif.format == 'GIF' and gif.n_frames == 3
    assert gif.size == (92 * scale, 92 * scale + progress_gif.LABEL_HEIGHT)
    gif.seek(0)
    label = np.asarray(gif.convert('L'))[:progress_gif.LABEL_HEIGHT]
    assert label.min() < 128  # Text was drawn on the white strip.
  with pytest.raises(ValueError, match='no sample grids'):
    progress_gif.write_progress_gif(out, [])


def test_page_embeds_images_and_escapes_text(tmp_path):
  path = str(tmp_path / 'a.png')
  Image.fromarray(np.zeros((2, 3), np.uint8)).save(path)
  html = page.render('<T>', [page.figure(path, 'x < y & z'),
                             page.table(('a',), [(1.23456,), ('<b>',)])])
  src = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
  with open(path, 'rb') as f:
    assert base64.b64decode(src) == f.read()
  assert '&lt;T&gt;' in html and 'x &lt; y &amp; z' in html
  assert '1.235' in html and '&lt;b&gt;' in html and '<b>' not in html[
      html.index('<table'):]
  with pytest.raises(ValueError, match="'.svg'"):
    page.data_uri(str(tmp_path / 'a.svg'))


@pytest.mark.parametrize('options,message', [
    (report.ReportOptions(smoothing=1.0), '--smoothing=1.0'),
    (report.ReportOptions(interpolation='cubic'), '--interpolation=\'cubic\''),
    (report.ReportOptions(walk_points=1), '--walk_points=1'),
    (report.ReportOptions(walk_rows=0), '--walk_rows=0'),
])
def test_bad_report_options_are_named(options, message):
  with pytest.raises(ConfigError, match=re.escape(message)):
    options.check()


# ------------------------------------------------------------ a real run
@pytest.fixture(scope='module')
def evaluated_run(tmp_path_factory):
  """4 steps with evaluation at 2 and 4; the report is written at the end."""
  workdir = str(tmp_path_factory.mktemp('run'))
  config = tiny_dcgan_config(eval_every=2)
  config.report.at_end = True
  api.train(config, workdir)
  return workdir


def png_size(path):
  with Image.open(path) as image:
    assert image.format == 'PNG'
    image.load()  # Decodes every pixel: a truncated file fails here.
    return image.size


def test_training_logs_gradient_statistics_and_sample_images(evaluated_run):
  history = scalar_log.read_scalars(evaluated_run)
  assert GRADIENT_SCALARS <= set(history)
  np.testing.assert_array_equal(history['g_grad_std'].steps, [2, 4])
  assert np.all(history['g_grad_std'].values > 0)
  tags = set()
  for path in glob.glob(os.path.join(evaluated_run, 'events.out.tfevents.*')):
    for event in tf.compat.v1.train.summary_iterator(path):
      tags.update(value.tag for value in event.summary.value)
  assert GRADIENT_SCALARS | {'samples', 'eval/recall'} <= tags


def test_report_at_the_end_of_training_writes_every_figure(evaluated_run):
  out = os.path.join(evaluated_run, 'report')
  assert sorted(os.listdir(out)) == sorted(FIGURES + ('index.html',))
  # Sizes follow from the figure layouts: 2 loss panels (no Wasserstein
  # estimate or penalty for this loss), 2x3 gradient panels, 10 metrics in
  # rows of 4, two grids side by side.
  assert png_size(os.path.join(out, 'losses.png')) == (1000, 340)
  assert png_size(os.path.join(out, 'gradients.png')) == (1500, 680)
  assert png_size(os.path.join(out, 'metrics.png')) == (2000, 1020)
  assert png_size(os.path.join(out, 'real_vs_fake.png')) == (1200, 640)
  # 8 walks of 10 digits: a grid 8 * 30 + 2 high and 10 * 30 + 2 wide.
  width, height = png_size(os.path.join(out, 'latent_walk.png'))
  assert (width, height) == (1200, int(100 * (12 * 242 / 302 + 0.8)))
  grids = sorted(glob.glob(os.path.join(evaluated_run, 'samples',
                                        'step_*.png')))
  assert [os.path.basename(g) for g in grids] == [
      'step_0000000.png', 'step_0000002.png', 'step_0000004.png']
  with Image.open(os.path.join(out, 'progress.gif')) as gif:
    assert gif.n_frames == len(grids)
    scale = progress_gif.frame_scale(62)
    assert gif.size == (62 * scale, 62 * scale + progress_gif.LABEL_HEIGHT)


def embedded_images(html):
  return dict(re.findall(
      r'<figure id="([^"]+)"><img src="data:image/\w+;base64,([^"]+)"', html))


def test_index_embeds_every_figure_the_metrics_and_the_config(evaluated_run):
  with open(os.path.join(evaluated_run, 'report', 'index.html')) as f:
    html = f.read()
  embedded = embedded_images(html)
  assert sorted(embedded) == sorted(FIGURES)
  for name, data in embedded.items():
    with open(os.path.join(evaluated_run, 'report', name), 'rb') as f:
      assert base64.b64decode(data) == f.read(), name
  assert 'frechet_distance_features' in html and 'real (held-out)' in html
  assert '&quot;radford_dcgan_g&quot;' in html  # The config, as JSON.
  assert 'class="note"' not in html  # Nothing was skipped.


def test_report_without_evaluation_or_data_says_what_is_missing(
    evaluated_run, tmp_path):
  workdir = str(tmp_path / 'copy')
  shutil.copytree(evaluated_run, workdir)
  shutil.rmtree(os.path.join(workdir, 'eval'))
  with open(os.path.join(workdir, 'data_source.json')) as f:
    source = json.load(f)
  source['source'] = 'idx'  # Its IDX folder (data.data_dir='') is missing.
  with open(os.path.join(workdir, 'data_source.json'), 'w') as f:
    json.dump(source, f)
  path = report.write_report(workdir, report.ReportOptions(
      interpolation='linear', walk_points=3))
  out = os.path.dirname(path)
  assert not os.path.exists(os.path.join(out, 'metrics.png'))  # Stale: gone.
  assert not os.path.exists(os.path.join(out, 'real_vs_fake.png'))
  for name in ('progress.gif', 'losses.png', 'gradients.png',
               'latent_walk.png'):
    assert os.path.exists(os.path.join(out, name)), name
  with open(path) as f:
    html = f.read()
  assert 'metrics.png: the run was never evaluated' in html
  assert 'real_vs_fake.png: the training data is not available here' in html
  assert sorted(embedded_images(html)) == sorted(
      ['progress.gif', 'losses.png', 'gradients.png', 'latent_walk.png'])


def test_report_before_the_first_checkpoint_and_a_missing_one(evaluated_run,
                                                              tmp_path):
  workdir = str(tmp_path / 'copy')
  shutil.copytree(evaluated_run, workdir)
  with pytest.raises(ConfigError, match=r"--checkpoint='7' is not available.*"
                     r"saved steps: 2, 4"):
    report.write_report(workdir, report.ReportOptions(checkpoint='7'))
  shutil.rmtree(os.path.join(workdir, 'checkpoints'))
  with open(report.write_report(workdir)) as f:
    html = f.read()
  assert 'latent_walk.png: no generator to sample: ' in html
  assert 'holds no checkpoint yet' in html
  assert sorted(embedded_images(html)) == sorted(
      ['progress.gif', 'losses.png', 'gradients.png', 'metrics.png'])


def test_report_on_a_workdir_without_a_run_is_refused(tmp_path):
  with pytest.raises(ConfigError, match='holds no training run'):
    report.write_report(str(tmp_path))


@pytest.mark.skipif(not shutil.which('chromium'),
                    reason='Debian\'s chromium is not installed')
def test_index_opens_in_headless_chromium_without_console_errors(
    evaluated_run, tmp_path):
  """The page itself has no script; a probe appended to a copy reports how
  many images decoded, and any other console line fails the test."""
  with open(os.path.join(evaluated_run, 'report', 'index.html')) as f:
    html = f.read()
  probe = ('<script>addEventListener("load", () => { const all = '
           '[...document.images]; const bad = all.filter(i => !i.complete || '
           'i.naturalWidth === 0).length; console.log(`probe: ${all.length} '
           'images, ${bad} broken`); });</script>')
  copy = tmp_path / 'index.html'
  copy.write_text(html.replace('</body>', probe + '</body>'))
  result = subprocess.run(
      ['chromium', '--headless', '--no-sandbox', '--disable-gpu',
       '--disable-quic', '--no-first-run', '--disable-background-networking',
       '--disable-component-update', '--disable-sync',
       f'--user-data-dir={tmp_path / "profile"}', '--enable-logging=stderr',
       '--v=0', '--dump-dom', copy.as_uri()],
      capture_output=True, text=True, timeout=120, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  console = [line for line in result.stderr.splitlines() if ':CONSOLE' in line]
  assert len(console) == 1, console
  assert f'"probe: {len(FIGURES)} images, 0 broken"' in console[0], console
  assert 'jaxgan report' in result.stdout


# ------------------------------------------------------------ comparison
@pytest.fixture(scope='module')
def saturating_run(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp('saturating'))
  config = tiny_dcgan_config()
  config.loss.name = 'saturating'
  train.train_and_evaluate(config, workdir)
  return workdir


def run_report(*args):
  return forked_commands.run_module('jaxgan.report', *args)


def test_compare_command_overlays_runs_on_one_page(evaluated_run,
                                                   saturating_run, tmp_path):
  assert not os.path.exists(os.path.join(saturating_run, 'report'))
  out = str(tmp_path / 'cmp')
  result = run_report('--compare', evaluated_run, saturating_run,
                      f'--out={out}', '--labels=nonsat,sat')
  assert result.returncode == 0, result.stderr[-3000:]
  assert f'Report: {out}/index.html' in result.stdout
  assert png_size(os.path.join(out, 'losses.png')) == (1000, 340)
  assert png_size(os.path.join(out, 'gradients.png')) == (1500, 680)
  # Only the first run was evaluated; its curves still make the figure.
  assert os.path.exists(os.path.join(out, 'metrics.png'))
  with open(os.path.join(out, 'index.html')) as f:
    html = f.read()
  assert 'jaxgan comparison: nonsat vs sat' in html
  assert sorted(embedded_images(html)) == ['gradients.png', 'losses.png',
                                           'metrics.png']
  # The fields that differ, and only those.
  rows = re.findall(r'<tr><td>([a-z_.]+)</td><td>', html)
  assert 'loss.name' in rows and 'train.eval_every' in rows
  assert 'report.at_end' in rows and 'model.generator' not in rows


def test_compare_bad_input_is_named(evaluated_run, tmp_path):
  with pytest.raises(ConfigError, match='at least two workdirs'):
    report.write_comparison([evaluated_run], str(tmp_path))
  with pytest.raises(ConfigError, match='--labels has 1 names for 2'):
    report.write_comparison([evaluated_run, evaluated_run], str(tmp_path),
                            labels=['a'])
  result = run_report(f'--workdir={evaluated_run}', '--compare',
                      evaluated_run, evaluated_run)
  assert result.returncode == 2
  assert 'jaxgan: error: Give either --workdir=DIR' in result.stderr
