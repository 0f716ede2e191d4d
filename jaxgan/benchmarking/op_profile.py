"""Where a compiled step spends its time, op by op, for `python -m jaxgan.bench
--profile=DIR`: a jax.profiler trace of a few calls, summed per XLA op.

The profiler records one event per executed op with the op's HLO name
(`ynn_fusion.44`); the compiled HLO says which JAX operation each op came
from (`ConvTranspose_0/dot_general`), which is what a user can act on. Loops
and calls contain the ops they run, so they are left out of the sums.
"""

import dataclasses
import gzip
import json
import pathlib
import re
import time
from typing import Callable, Dict, List, Tuple

import jax

# Ops whose events contain other ops' events.
CONTAINER_OPCODES = frozenset({'while', 'conditional', 'call'})

_INSTRUCTION = re.compile(
    r'^\s*(?:ROOT\s+)?%?(?P<name>[\w.\-]+) = .+? (?P<opcode>[a-z][\w\-]*)\(')
_OP_NAME = re.compile(r'op_name="(?P<op_name>[^"]*)"')
# Path segments of an op_name that say nothing about the layer.
_NOISE = re.compile(r'^(jit\(.*\)|while|body|cond|closed_call|checkpoint|'
                    r'pjit\(.*\)|remat)$')


@dataclasses.dataclass(frozen=True)
class OpTime:
  op: str  # The HLO instruction, as the trace names it.
  ms_per_step: float
  share: float  # Of the wall time of the profiled steps.
  calls_per_step: float
  source: str  # The JAX operation it came from ('' where unknown).


def hlo_ops(hlo_text: str) -> Dict[str, Tuple[str, str]]:
  """Each instruction of a compiled HLO module: name -> (opcode, the
  op_name it came from, shortened to the parts that name a layer)."""
  ops = {}
  for line in hlo_text.splitlines():
    match = _INSTRUCTION.match(line)
    if not match:
      continue
    op_name = _OP_NAME.search(line)
    parts = [p for p in (op_name.group('op_name').split('/') if op_name
                         else []) if not _NOISE.match(p)]
    ops[match.group('name')] = (match.group('opcode'), '/'.join(parts))
  return ops


def op_times_us(trace_path: pathlib.Path) -> Dict[str, Tuple[float, int]]:
  """Each traced XLA op's total time (microseconds) and event count."""
  with gzip.open(trace_path, 'rt') as f:
    trace = json.load(f)
  events = trace['traceEvents'] if isinstance(trace, dict) else trace
  totals = {}
  for event in events:
    op = (event.get('args') or {}).get('hlo_op')
    if event.get('ph') == 'X' and op:
      total, count = totals.get(op, (0.0, 0))
      totals[op] = (total + float(event.get('dur', 0.0)), count + 1)
  return totals


def trace(run: Callable[[], None], log_dir: pathlib.Path
          ) -> Tuple[pathlib.Path, float]:
  """Runs `run` (which must block until its work is done) under the
  profiler; the trace it wrote (also viewable in Perfetto or TensorBoard)
  and the wall seconds of `run`."""
  log_dir = pathlib.Path(log_dir)
  log_dir.mkdir(parents=True, exist_ok=True)
  before = set(log_dir.glob('**/perfetto_trace.json.gz'))
  with jax.profiler.trace(str(log_dir), create_perfetto_trace=True):
    start = time.perf_counter()
    run()
    wall = time.perf_counter() - start
  written = sorted(set(log_dir.glob('**/perfetto_trace.json.gz')) - before)
  if not written:
    raise RuntimeError(f'jax.profiler wrote no perfetto_trace.json.gz under '
                       f'{log_dir}.')
  return written[-1], wall


def top_ops(trace_path: pathlib.Path, hlo_text: str, num_steps: int,
            wall_s: float, top: int = 10) -> List[OpTime]:
  """The `top` ops by time per step, from a trace of `num_steps` steps that
  took `wall_s`, containers left out."""
  ops = hlo_ops(hlo_text)
  rows = []
  for op, (total_us, count) in op_times_us(trace_path).items():
    opcode, source = ops.get(op, ('', ''))
    if opcode in CONTAINER_OPCODES:
      continue
    ms = total_us / 1e3 / num_steps
    rows.append(OpTime(op, ms, ms / 1e3 / (wall_s / num_steps),
                       count / num_steps, source))
  rows.sort(key=lambda r: r.ms_per_step, reverse=True)
  return rows[:top]


def format_top_ops(rows: List[OpTime]) -> str:
  lines = [f'  {r.ms_per_step:9.2f} ms {r.share:6.1%} x{r.calls_per_step:<3g} '
           f'{r.op:<28} {r.source[-80:]}' for r in rows]
  return '\n'.join(['  top ops (time per step, share of the step, runs per '
                    'step, XLA op, JAX operation):'] + lines)
