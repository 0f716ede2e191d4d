"""Every scalar a run logs, as JSON lines in workdir/scalars.jsonl: the
history `jaxgan.report` plots, readable without TensorFlow.

The writer has CLU's MetricWriter methods, so it sits in the run's
MultiWriter next to TensorBoard, without subclassing it: importing
clu.metric_writers imports TensorFlow (3-4 s), which the report, and a run
that fails before training, never need. Each write is one line, appended and
flushed, so a crash loses at most the line being written. A resumed run logs
again the steps after its checkpoint; the reader keeps the latest record of
each step.
"""

import json
import os
from typing import Dict, Mapping, NamedTuple

from absl import logging
import numpy as np

FILENAME = 'scalars.jsonl'


class Series(NamedTuple):
  steps: np.ndarray   # int64, increasing
  values: np.ndarray  # float64


class ScalarLog:
  """Appends {"step": s, "name": value, ...} per write_scalars call; the
  other kinds of summary are TensorBoard's alone. Every method of
  clu.metric_writers.interface.MetricWriter (tests/test_report.py checks)."""

  def __init__(self, workdir: str):
    self.path = os.path.join(workdir, FILENAME)
    self._file = open(self.path, 'a', encoding='utf-8')

  def write_scalars(self, step: int, scalars: Mapping[str, object]) -> None:
    record = {'step': int(step)}
    record.update({k: float(v) for k, v in scalars.items()})
    self._file.write(json.dumps(record) + '\n')
    self._file.flush()

  def write_summaries(self, step, values, metadata=None):
    pass

  def write_images(self, step, images):
    pass

  def write_videos(self, step, videos):
    pass

  def write_audios(self, step, audios, *, sample_rate):
    pass

  def write_texts(self, step, texts):
    pass

  def write_histograms(self, step, arrays, num_buckets=None):
    pass

  def write_hparams(self, hparams):
    pass

  def flush(self) -> None:
    self._file.flush()

  def close(self) -> None:
    self._file.close()


def read_scalars(workdir: str) -> Dict[str, Series]:
  """{name: Series} from workdir/scalars.jsonl ({} if the run logged none).

  When a name's step goes back (the run resumed from a checkpoint), its
  records from that step on are replaced by the new ones. A line cut short
  by a crash is skipped with a warning.
  """
  path = os.path.join(workdir, FILENAME)
  if not os.path.exists(path):
    return {}
  series: Dict[str, list] = {}
  skipped = 0
  with open(path, encoding='utf-8') as f:
    for line in f:
      try:
        record = json.loads(line)
        step = int(record.pop('step'))
      except (ValueError, KeyError, TypeError):
        skipped += 1
        continue
      for name, value in record.items():
        points = series.setdefault(name, [])
        while points and points[-1][0] >= step:
          points.pop()
        points.append((step, float(value)))
  if skipped:
    logging.warning('%s: skipped %d unreadable line(s) (a crash mid-write '
                    'leaves one).', path, skipped)
  return {name: Series(np.array([s for s, _ in points], np.int64),
                       np.array([v for _, v in points], np.float64))
          for name, points in series.items()}
