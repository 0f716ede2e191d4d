"""op_profile: per-op times from a real jax.profiler trace, named by the JAX
operation each op came from, loops left out."""

import gzip
import json

import jax
import jax.numpy as jnp

from jaxgan.benchmarking import op_profile


@jax.jit
def three_matmuls(x):
  def body(carry, _):
    return jnp.tanh(carry @ carry), None
  return jax.lax.scan(body, x, None, length=3)[0]


def test_hlo_ops_name_each_instruction_and_its_source():
  x = jnp.ones((32, 32))
  ops = op_profile.hlo_ops(three_matmuls.lower(x).compile().as_text())
  opcodes = {opcode for opcode, _ in ops.values()}
  assert 'while' in opcodes
  # The loop's noise segments are dropped from the source.
  sources = [source for _, source in ops.values()]
  assert any(s.endswith('dot_general') for s in sources), sources
  assert not any('closed_call' in s or s.startswith('jit(') for s in sources)


def test_top_ops_of_a_real_trace(tmp_path):
  x = jnp.ones((128, 128))
  three_matmuls(x).block_until_ready()
  trace_path, wall_s = op_profile.trace(
      lambda: [three_matmuls(x).block_until_ready() for _ in range(2)],
      tmp_path)
  assert trace_path.is_relative_to(tmp_path) and wall_s > 0
  hlo_text = three_matmuls.lower(x).compile().as_text()
  rows = op_profile.top_ops(trace_path, hlo_text, num_steps=2, wall_s=wall_s)
  ops = op_profile.hlo_ops(hlo_text)
  assert rows and all(r.op in ops for r in rows)
  assert not any(ops[r.op][0] in op_profile.CONTAINER_OPCODES for r in rows)
  assert all(r.ms_per_step > 0 and 0 < r.share for r in rows)
  # The matmul runs three times per call (the scan's length).
  matmul = [r for r in rows if r.source.endswith('dot_general')]
  assert matmul and matmul[0].calls_per_step == 3
  assert 'ms' in op_profile.format_top_ops(rows)


def test_op_times_sum_the_events_of_each_op(tmp_path):
  events = [
      {'ph': 'X', 'name': 'a', 'dur': 5.0, 'args': {'hlo_op': 'fusion.1'}},
      {'ph': 'X', 'name': 'a', 'dur': 7.0, 'args': {'hlo_op': 'fusion.1'}},
      {'ph': 'X', 'name': 'python', 'dur': 100.0},
      {'ph': 'M', 'name': 'thread_name', 'args': {'name': 'x'}},
      {'ph': 'X', 'name': 'b', 'dur': 1.5, 'args': {'hlo_op': 'copy.2'}},
  ]
  path = tmp_path / 'perfetto_trace.json.gz'
  with gzip.open(path, 'wt') as f:
    json.dump({'traceEvents': events}, f)
  assert op_profile.op_times_us(path) == {'fusion.1': (12.0, 2),
                                          'copy.2': (1.5, 1)}
