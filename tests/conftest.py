"""Shared fixtures: tiny configs that run the real models in seconds."""

import contextlib
import gc
import os
import shutil
import sys
import tempfile

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

# One persistent XLA compilation cache for the whole session, subprocesses
# included: many tests compile the same tiny programs, which dominates their
# time. Executables from the cache are the same programs, so results are too.
_OWN_CACHE = None
if 'JAX_COMPILATION_CACHE_DIR' not in os.environ:
  _OWN_CACHE = tempfile.mkdtemp(prefix='jaxgan-test-xla-cache-')
  os.environ['JAX_COMPILATION_CACHE_DIR'] = _OWN_CACHE
# Programs of 20 ms or more: the many small ones a run compiles besides its
# step (sampling, the report's, the NaN guard) recur from test to test too
# (test_faults.py and test_train.py on one core: 195 s at a 0.5 s
# threshold, 171 s so).
os.environ.setdefault('JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS', '0.02')
# The suite compiles far more than it runs (tiny batches, a few steps), and
# LLVM at -O0 compiles it faster (a DCGAN step: 3.8 s, not 6.8 s, on the dev
# CPU). XLA's own graph optimisations are unchanged, and subprocesses inherit
# it (JAX reads the variable), so runs compared bit for bit share it. JAX's
# flag rather than XLA_FLAGS, because JAX reads it at each compile: tests
# whose time goes on running programs, not compiling them (the Inception
# network, a whole test split), ask for the optimised build with the
# `xla_optimized` fixture. (XLA's older elemental fusion emitters compile a
# step twice as fast again, but break bit-identity between programs that
# production keeps, e.g. streamed vs in-memory batches: not used.) Helper
# scripts that import this file keep the level their environment gives
# them. `python -m jaxgan.bench` measures the production setting.
if 'pytest' in sys.modules:
  os.environ.setdefault('JAX_DISABLE_MOST_OPTIMIZATIONS', '1')


def _share_cores_between_workers():
  """Each pytest-xdist worker (-n auto: one per core) keeps to its own cores,
  and the processes it starts with it. XLA sizes its thread pools (the
  compiler's and the runtime's) to the cores a process may use: free to use
  both cores, each of two workers would compile on several threads which
  repeat per-thread set-up (an MLIR context each) and contend with the
  other worker's (measured: docs/development.md)."""
  worker = os.environ.get('PYTEST_XDIST_WORKER', '')  # gw0, gw1, ...
  workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '0'))
  if not worker.startswith('gw') or not hasattr(os, 'sched_setaffinity'):
    return
  cpus = sorted(os.sched_getaffinity(0))
  index = int(worker[2:])
  if workers > 1 and len(cpus) > 1:
    mine = cpus[index::workers] or [cpus[index % len(cpus)]]
    os.sched_setaffinity(0, mine)


_share_cores_between_workers()
# Evaluators trained by tests are cached here, never in the user's cache.
# (Tests also import this file as tests.conftest: that copy reuses the dir.)
_OWN_EVALUATOR_CACHE = None
if 'JAXGAN_TEST_EVALUATOR_CACHE' not in os.environ:
  _OWN_EVALUATOR_CACHE = tempfile.mkdtemp(prefix='jaxgan-test-evaluators-')
  os.environ['JAXGAN_TEST_EVALUATOR_CACHE'] = _OWN_EVALUATOR_CACHE
os.environ['JAXGAN_CACHE_DIR'] = os.environ['JAXGAN_TEST_EVALUATOR_CACHE']


# Python's cyclic garbage collector walks every live object at each full
# collection: here, everything the suite imported (TensorFlow, JAX). What is
# alive once the tests are collected stays alive: frozen out of its walks.
def pytest_collection_finish(session):  # pylint: disable=unused-argument
  gc.collect()
  gc.freeze()


def pytest_sessionfinish(session, exitstatus):  # pylint: disable=unused-argument
  if _OWN_CACHE:
    shutil.rmtree(_OWN_CACHE, ignore_errors=True)
  if _OWN_EVALUATOR_CACHE:
    shutil.rmtree(_OWN_EVALUATOR_CACHE, ignore_errors=True)

import pytest  # pylint: disable=g-import-not-at-top

# Where the suite's time goes: with JAXGAN_TEST_COMPILE_LOG=FILE, each test
# appends one JSON line (its name, its xdist worker, its seconds, the seconds
# this process spent tracing, lowering and compiling XLA programs in it and
# how many it compiled; many small ones are eager, op-by-op code; subprocesses
# not counted).
_COMPILE_LOG = os.environ.get('JAXGAN_TEST_COMPILE_LOG')
_COMPILE_EVENTS = ('/jax/core/compile/jaxpr_trace_duration',
                   '/jax/core/compile/jaxpr_to_mlir_module_duration',
                   '/jax/core/compile/backend_compile_duration')
_compile_seconds, _compiles = [0.0], [0]

if _COMPILE_LOG:
  import json  # pylint: disable=g-import-not-at-top
  import time  # pylint: disable=g-import-not-at-top
  from jax import monitoring  # pylint: disable=g-import-not-at-top

  def _count_compile_time(event, duration, **_):
    if event in _COMPILE_EVENTS:
      _compile_seconds[0] += duration
    _compiles[0] += event == _COMPILE_EVENTS[-1]

  monitoring.register_event_duration_secs_listener(_count_compile_time)

  @pytest.hookimpl(wrapper=True)
  def pytest_runtest_protocol(item, nextitem):
    del nextitem
    _compile_seconds[0], _compiles[0], started = 0.0, 0, time.time()
    try:
      return (yield)
    finally:
      with open(_COMPILE_LOG, 'a') as f:
        f.write(json.dumps({'test': item.nodeid,
                            'worker': os.environ.get('PYTEST_XDIST_WORKER', ''),
                            'seconds': round(time.time() - started, 2),
                            'compile': round(_compile_seconds[0], 2),
                            'programs': _compiles[0]}) + '\n')

from jaxgan.configs import dcgan_mnist  # pylint: disable=g-import-not-at-top
from tests import forked_commands  # pylint: disable=g-import-not-at-top


@contextlib.contextmanager
def xla_optimizations(enabled: bool):
  """XLA's optimised build (True) or -O0 (False) for the compiles within
  (see above). A program this process already compiled keeps the build it
  was compiled with."""
  import jax  # pylint: disable=g-import-not-at-top
  before = jax.config.read('jax_disable_most_optimizations')
  jax.config.update('jax_disable_most_optimizations', not enabled)
  try:
    yield
  finally:
    jax.config.update('jax_disable_most_optimizations', before)


@contextlib.contextmanager
def xla_older_fusion_emitters():
  """XLA:CPU's older (elemental) fusion emitters for the compiles within:
  configs/dcgan_mnist.py's step compiles 4x faster with them (6.6 s -> 1.5 s
  at -O0 on the dev CPU). They round differently from the newer emitters,
  and bit-identities that production keeps between differently fused
  programs (streamed vs in-memory batches, resumed vs unbroken runs, the
  shared-fake schemes) fail under them: so only modules that test none of
  those use them, and production's own emitters stay tested by the rest.
  What was compiled within is dropped from JAX's in-memory caches on the
  way out, so no later test reuses it; the disk cache keys it apart (the
  option is in its key)."""
  import jax  # pylint: disable=g-import-not-at-top
  from jax._src import compiler  # pylint: disable=g-import-not-at-top

  default_options = compiler.get_compile_options

  def older_emitters_options(*args, env_options_overrides=None, **kwargs):
    overrides = {'xla_cpu_use_fusion_emitters': False,
                 **(env_options_overrides or {})}
    return default_options(*args, env_options_overrides=overrides, **kwargs)

  compiler.get_compile_options = older_emitters_options
  try:
    yield
  finally:
    compiler.get_compile_options = default_options
    jax.clear_caches()


@pytest.fixture(scope='module')
def xla_fast_compiling():
  """The older fusion emitters (above) for a whole test module."""
  with xla_older_fusion_emitters():
    yield


@pytest.fixture
def xla_optimized():
  """The optimised build for a test whose programs run for seconds (they
  run 2x faster so)."""
  with xla_optimizations(True):
    yield


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_main(*args, timeout=600, config='configs/dcgan_mnist.py'):
  """python -m jaxgan.main --config=`config` `args`, run to completion in
  its own process (forked_commands.py)."""
  return forked_commands.run_module('jaxgan.main', f'--config={config}',
                                    *args, timeout=timeout)


# The loop's tests' model (tiny_dcgan_config; test_faults.py's command-line
# twin passes the same fields as flags).
SMALL_DCGAN = {'generator': 'radford_dcgan_g',
               'discriminator': 'radford_dcgan_d', 'dcgan.width': 8}


def tiny_dcgan_config(mnist_pair=False, **train_overrides):
  """configs/dcgan_mnist.py shrunk to a few steps on the bundled digits, and
  to Radford et al.'s DCGAN at an eighth of its width unless `mnist_pair`
  (the config's own G and D): the loop's tests test the loop, and a fresh
  4-step run takes 2.4 s, not 4.2 s, on the dev CPU. (The pair trains end to
  end in test_configs.py; its shapes and layers are tested in test_models.py
  and test_layers.py.)"""
  config = dcgan_mnist.get_config()
  if not mnist_pair:
    config.model.update_from_flattened_dict(SMALL_DCGAN)
  config.data.source = 'bundled'
  config.data.allow_download = False
  config.data.batch_size = 8
  config.train.num_steps = 4
  config.train.log_every = 2
  config.train.sample_every = 2
  config.train.checkpoint_every = 2
  config.train.num_sample_images = 4
  # A quick evaluator, for runs that evaluate.
  config.eval.num_samples = 48
  config.eval.evaluator.num_steps = 30
  config.eval.evaluator.batch_size = 32
  # The report is tested on its own (test_report.py) and per config
  # (test_configs.py); the loop's other tests skip it.
  config.report.at_end = False
  for key, value in train_overrides.items():
    config.train[key] = value
  return config


@pytest.fixture
def tiny_config():
  return tiny_dcgan_config()
