"""Evaluation during training: every train.eval_every steps, the metrics of
config.eval.num_samples samples go to the metric writer and
workdir/eval/metrics_STEP.json, and the best state by config.eval.best_metric
is kept in workdir/best_checkpoint."""

import time

from absl import logging
import ml_collections

from jaxgan.datasets import data
from jaxgan.evaluation import metrics, quality as quality_lib, results
from jaxgan.run import checkpoints
from jaxgan.step.state import GANState


class PeriodicEvaluation:

  def __init__(self, config: ml_collections.ConfigDict, workdir: str, g_model,
               writer, spec: data.DatasetSpec):
    self.config, self.workdir, self.g_model = config, workdir, g_model
    self.writer = writer
    start = time.time()
    self.quality, _ = quality_lib.from_config(config, config.eval.num_samples,
                                              seed=config.seed, spec=spec)
    self.metric = quality_lib.best_metric(config, self.quality.space)
    self.best = checkpoints.BestCheckpoint(
        workdir, self.metric, metrics.HIGHER_IS_BETTER[self.metric])
    self._reference_written = False
    logging.info('Evaluation ready in %.1fs: %d samples every %d steps; '
                 'real held-out reference %s %.4g.', time.time() - start,
                 self.quality.num_samples, config.train.eval_every,
                 self.metric, self.quality.reference[self.metric])

  def __call__(self, state: GANState) -> dict:
    """Evaluates `state`; the same noise at every evaluation (seed), so the
    curve follows the generator, not the draw."""
    start = time.time()
    step = int(state.step)
    generated = results.sample_metrics(self.config, self.g_model, state,
                                       self.quality, self.config.seed)
    results.write_json(self.workdir, step,
                       results.result_record(step, self.quality, generated))
    self.writer.write_scalars(step, _scalars('eval', generated))
    if not self._reference_written:
      self.writer.write_scalars(step, _scalars('eval_reference',
                                               self.quality.reference))
      self._reference_written = True
    improved = self.best.update(state, generated[self.metric])
    real = self.quality.reference
    logging.info('eval at step %d (%.1fs), generated (real held-out): %s%s',
                 step, time.time() - start,
                 ', '.join(f'{name} {generated[name]:.4g} ({real[name]:.4g})'
                           for name in metrics.names_of(self.quality.space)),
                 f'; new best {self.metric}, saved to best_checkpoint'
                 if improved else '')
    return generated

  def close(self) -> None:
    self.best.close()


def _scalars(prefix: str, values: dict) -> dict:
  return {f'{prefix}/{k}': float(v) for k, v in values.items()
          if isinstance(v, (int, float))}
