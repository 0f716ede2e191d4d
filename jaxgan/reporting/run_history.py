"""Everything a report reads from a workdir, gathered once: the saved config
and data source, the scalar history, the evaluations and the saved sample
grids."""

import glob
import json
import os
import re
from typing import Dict, List, NamedTuple, Optional, Tuple

from jaxgan.run import runs, scalar_log

SAMPLE_PATTERN = re.compile(r'step_(\d+)\.png$')


class RunHistory(NamedTuple):
  label: str
  workdir: str
  config: dict                               # workdir/config.json
  data_source: Optional[dict]                # workdir/data_source.json
  scalars: Dict[str, scalar_log.Series]      # workdir/scalars.jsonl
  evaluations: List[dict]                    # workdir/eval/metrics_*.json, by step
  sample_grids: List[Tuple[int, str]]        # (step, workdir/samples/step_*.png)


def load(workdir: str, label: str = '') -> RunHistory:
  config = runs.saved_config(workdir)
  data_source = None
  source_path = os.path.join(workdir, 'data_source.json')
  if os.path.exists(source_path):
    with open(source_path) as f:
      data_source = json.load(f)
  evaluations = []
  for path in glob.glob(os.path.join(workdir, 'eval', 'metrics_*.json')):
    with open(path) as f:
      evaluations.append(json.load(f))
  evaluations.sort(key=lambda record: record['step'])
  grids = []
  for path in glob.glob(os.path.join(workdir, 'samples', 'step_*.png')):
    match = SAMPLE_PATTERN.search(path)
    if match:
      grids.append((int(match.group(1)), path))
  grids.sort()
  return RunHistory(label or os.path.basename(os.path.normpath(workdir)),
                    workdir, config, data_source,
                    scalar_log.read_scalars(workdir),
                    evaluations, grids)
