"""The report's figures, for one run or several overlaid.

matplotlib's object-oriented API on the Agg canvas: headless, and no pyplot
state shared between figures or with a user's own plots.
"""

import math
from typing import NamedTuple, Optional, Sequence, Tuple

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
import numpy as np

from jaxgan.core import files
from jaxgan.evaluation.metrics import HIGHER_IS_BETTER
from jaxgan.reporting.run_history import RunHistory
from jaxgan.step import losses

DPI = 100
LINE_STYLES = ('-', '--', ':', '-.')


class Panel(NamedTuple):
  title: str
  keys: Tuple[str, ...]     # scalar names drawn in the panel
  labels: Tuple[str, ...]   # their legend names


LOSS_PANELS = (
    Panel('Losses', ('d_loss', 'g_loss'), ('D loss', 'G loss')),
    Panel('Discriminator output', ('d_real', 'd_fake'), ('D(x)', 'D(G(z))')),
    Panel('Wasserstein estimate', ('wasserstein_estimate',),
          ('E D(x) - E D(G(z))',)),
    Panel('D regularisers', tuple(losses.regularizers.names()),
          tuple(losses.regularizers.names())),
)
GRADIENT_PANELS = tuple(
    Panel(f'{name} gradient {stat}', (f'{net}_grad_{key}',), (net.upper(),))
    for net, name in (('g', 'Generator'), ('d', 'Discriminator'))
    for key, stat in (('mean', 'mean'), ('std', 'standard deviation'),
                      ('norm', 'global norm')))


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
  """TensorBoard's smoothing: an exponential moving average, debiased so the
  first points are not pulled towards 0. Non-finite values are passed over."""
  out = np.empty(len(values))
  last, debias = 0.0, 0.0
  for i, value in enumerate(values):
    if np.isfinite(value):
      last = last * weight + (1 - weight) * value
      debias = debias * weight + (1 - weight)
    out[i] = last / debias if debias else np.nan
  return out


def _figure(num_panels: int, ncols: int):
  ncols = min(ncols, num_panels)
  nrows = math.ceil(num_panels / ncols)
  fig = Figure(figsize=(5 * ncols, 3.4 * nrows), dpi=DPI,
               layout='constrained')
  FigureCanvasAgg(fig)
  axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
  for ax in axes[num_panels:]:
    ax.set_visible(False)
  return fig, axes


def plot_curves(runs: Sequence[RunHistory], panels: Sequence[Panel],
                smoothing: float, title: str,
                ncols: int = 2) -> Optional[Figure]:
  """Each panel's scalars against step, raw (faint) and smoothed; one colour
  per scalar for one run, one colour per run (and a line style per scalar)
  when comparing. Panels no run logged are left out; None if none is left."""
  panels = [p for p in panels
            if any(key in run.scalars for run in runs for key in p.keys)]
  if not panels:
    return None
  fig, axes = _figure(len(panels), ncols)
  compare = len(runs) > 1
  for ax, panel in zip(axes, panels):
    for r, run in enumerate(runs):
      for k, (key, label) in enumerate(zip(panel.keys, panel.labels)):
        if key not in run.scalars:
          continue
        series = run.scalars[key]
        color = f'C{r if compare else k}'
        style = LINE_STYLES[k % len(LINE_STYLES)] if compare else '-'
        ax.plot(series.steps, series.values, color=color, linestyle=style,
                alpha=0.25, linewidth=0.8)
        ax.plot(series.steps, smooth(series.values, smoothing), color=color,
                linestyle=style, linewidth=1.6,
                label=f'{run.label}: {label}' if compare else label)
    ax.set_title(panel.title)
    ax.set_xlabel('step')
    ax.grid(alpha=0.3)
    ax.legend(fontsize='small')
  fig.suptitle(f'{title} (faint: raw; solid: smoothed {smoothing:g})')
  return fig


def plot_metrics(runs: Sequence[RunHistory], title: str) -> Optional[Figure]:
  """Each quality metric against step, with the real held-out reference
  dashed. Evaluations at different sample counts are separate lines (the
  Frechet distances depend on the count). None if no run was evaluated."""
  names = [name for name in HIGHER_IS_BETTER
           if any(name in e['metrics'] for run in runs
                  for e in run.evaluations)]
  if not names:
    return None
  fig, axes = _figure(len(names), 4)
  for ax, name in zip(axes, names):
    for r, run in enumerate(runs):
      counts = sorted({e['num_samples'] for e in run.evaluations})
      for c, count in enumerate(counts):
        records = [e for e in run.evaluations
                   if e['num_samples'] == count and name in e['metrics']]
        steps = [e['step'] for e in records]
        label = ' '.join(filter(None, [run.label if len(runs) > 1 else '',
                                        f'n={count}']))
        color = f'C{r * len(counts) + c}'
        ax.plot(steps, [e['metrics'][name] for e in records], 'o-',
                color=color, markersize=3, label=label)
        ax.plot(steps, [e['reference'][name] for e in records], '--',
                color=color, alpha=0.6, label=f'{label} real')
    better = 'higher' if HIGHER_IS_BETTER[name] else 'lower'
    ax.set_title(f'{name} ({better} is better)', fontsize='medium')
    ax.set_xlabel('step')
    ax.grid(alpha=0.3)
    ax.legend(fontsize='x-small')
  fig.suptitle(f'{title} (dashed: real held-out images)')
  return fig


def _show(ax, grid: np.ndarray, title: str) -> None:
  gray = grid.shape[-1] == 1
  ax.imshow(grid[..., 0] if gray else grid, cmap='gray' if gray else None,
            vmin=0, vmax=255, interpolation='nearest')
  ax.set_title(title)
  ax.set_xticks([])
  ax.set_yticks([])


def plot_real_vs_fake(real_grid: np.ndarray, fake_grid: np.ndarray,
                      real_title: str, fake_title: str) -> Figure:
  """Two uint8 image grids side by side (Singh, Fig. 17)."""
  fig = Figure(figsize=(12, 6.4), dpi=DPI, layout='constrained')
  FigureCanvasAgg(fig)
  for ax, grid, title in zip(fig.subplots(1, 2), (real_grid, fake_grid),
                             (real_title, fake_title)):
    _show(ax, grid, title)
  return fig


def plot_image_rows(grid: np.ndarray, row_labels: Sequence[str], title: str,
                    row_axis_label: Optional[str] = None) -> Figure:
  """A uint8 grid of equal rows (a latent walk), each row labelled."""
  height, width = grid.shape[:2]
  fig = Figure(figsize=(12, 12 * height / width + 0.8), dpi=DPI,
               layout='constrained')
  FigureCanvasAgg(fig)
  ax = fig.subplots()
  _show(ax, grid, title)
  rows = len(row_labels)
  ax.set_yticks((np.arange(rows) + 0.5) * height / rows, row_labels)
  if row_axis_label:
    ax.set_ylabel(row_axis_label)
  return fig


def save(fig: Figure, path: str) -> None:
  """Writes `fig` as a PNG of exactly its size in pixels, atomically."""
  with files.atomic_write(path) as tmp:
    fig.savefig(tmp, format='png')
