"""Data parallel over a mesh and multi-process runs, on CPU: 8 virtual
devices against 1, checkpoints moved between device counts, and two
processes with jax.distributed against one."""

import json
import os
import signal
import socket
import subprocess
import sys
import types

import pytest

from jaxgan.core import parallel
from jaxgan.core.errors import ConfigError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Float32 round-off in reductions split over devices, with smooth
# activations (parallel_check.py): measured 1.2e-7 on params of O(1).
TOLERANCE = 1e-5


def run_script(script, log_path, *args, devices=1):
  """Starts tests/`script` with `devices` virtual CPU devices, its output to
  files (processes that wait on each other must never block on a full
  pipe). It inherits the suite's LLVM -O0 (conftest.py): the 8-vs-1
  differences below are the same there as at -O3 (1.2e-7)."""
  device_flag = f'--xla_force_host_platform_device_count={devices}'
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', JAX_PLATFORMS='cpu',
             XLA_FLAGS=f'{os.environ.get("XLA_FLAGS", "")} {device_flag}')
  with open(f'{log_path}.out', 'w') as out, open(f'{log_path}.err', 'w') as err:
    process = subprocess.Popen(
        [sys.executable, os.path.join(REPO, 'tests', script),
         *map(str, args)], cwd=REPO, env=env, stdout=out, stderr=err)
  process.log_path = log_path
  return process


def json_line(process, timeout=900):
  process.wait(timeout=timeout)
  with open(f'{process.log_path}.err') as f:
    assert process.returncode == 0, f.read()[-4000:]
  with open(f'{process.log_path}.out') as f:
    return json.loads([l for l in f if l.startswith('{')][-1])


def check_eight_devices(tmp_path, *cases):
  result = json_line(run_script('parallel_check.py', tmp_path / 'log',
                                tmp_path, *cases, devices=8))
  for name, difference in result.items():
    if 'largest param' not in name:
      assert difference < TOLERANCE, result
  return result


def test_eight_devices_compute_what_one_does_and_share_checkpoints(tmp_path):
  """A BatchNorm DCGAN and a WGAN-GP (n_critic 2), 5 steps at global batch 8
  on 8 devices and on 1; the DCGAN checkpointed at step 2 on 8 devices and
  finished on 1, and streamed on 8."""
  result = check_eight_devices(tmp_path)
  assert result['dcgan: largest param'] > 1  # Compared something real.
  assert result['dcgan: 8 devices, streamed vs in memory'] == 0  # Bitwise.
  assert 'wgan_gp: 8 vs 1 devices' in result


# The other direction (1 device to step 2, then 8): two more runs on 2
# cores, with the slow tests.
@pytest.mark.slow
def test_a_checkpoint_from_one_device_finishes_on_eight(tmp_path):
  result = check_eight_devices(tmp_path, 'one_then_eight')
  assert 'dcgan: 1 to step 2, then 8' in result


def free_port() -> int:
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


# A minute of three processes compiling on 2 cores: with the slow tests.
# The 8-device test above keeps the mesh code in CI.
@pytest.mark.slow
def test_two_processes_agree_with_each_other_and_with_one(tmp_path):
  coordinator = f'127.0.0.1:{free_port()}'
  workers = [run_script('multiprocess_check.py', tmp_path / f'log{i}',
                        tmp_path / 'two', coordinator, 2, i)
             for i in range(2)]
  reference = run_script('multiprocess_check.py', tmp_path / 'log', tmp_path /
                         'one', '', 0, -1)
  first, second = (json_line(w) for w in workers)
  alone = json_line(reference)
  assert (first['process'], second['process']) == (0, 1)
  assert first['processes'] == 2 and first['devices'] == 2
  assert first['sha256'] == second['sha256']  # Bit for bit the same.
  assert alone['processes'] == 1 and alone['devices'] == 1
  for a, b in zip(first['g_params'], alone['g_params']):
    assert max(abs(x - y) for x, y in zip(a, b)) < TOLERANCE
  # Only process 0 wrote the logs and samples; both wrote the checkpoint.
  two = tmp_path / 'two'
  assert len(list(two.glob('events.out.tfevents.*'))) == 1
  assert os.listdir(two / 'checkpoints') == ['5']
  assert (two / 'samples' / 'final.png').exists()


@pytest.mark.parametrize('address,num,pid', [
    ('127.0.0.1:1234', 0, 0), ('', 2, 0), ('127.0.0.1:1234', 2, 2),
    ('127.0.0.1:1234', 2, -1)])
def test_inconsistent_multi_process_flags_are_named(address, num, pid):
  with pytest.raises(ConfigError, match=f'--num_processes={num} '
                                        f'--process_id={pid} are inconsistent'):
    parallel.initialize(address, num, pid)


def test_clusters_are_detected_from_their_environment(monkeypatch):
  for name in ('SLURM_NTASKS', 'SLURM_PROCID', 'SLURM_STEP_NODELIST',
               'TPU_WORKER_HOSTNAMES'):
    monkeypatch.delenv(name, raising=False)
  assert parallel.cluster_environment() is None
  monkeypatch.setenv('SLURM_NTASKS', '1')
  monkeypatch.setenv('SLURM_PROCID', '0')
  monkeypatch.setenv('SLURM_STEP_NODELIST', 'node[1-2]')
  assert parallel.cluster_environment() is None  # One task: one process.
  monkeypatch.setenv('SLURM_NTASKS', '16')
  assert parallel.cluster_environment() == 'SLURM (16 tasks)'
  monkeypatch.delenv('SLURM_STEP_NODELIST')  # The batch shell, not srun.
  assert parallel.cluster_environment() is None
  monkeypatch.delenv('SLURM_NTASKS')
  monkeypatch.setenv('TPU_WORKER_HOSTNAMES', 'w0,w1,w2,w3')
  assert parallel.cluster_environment() == 'Cloud TPU pod slice (4 workers)'


def test_batch_size_must_divide_over_the_mesh():
  parallel.check_batch_size(8, types.SimpleNamespace(size=8))
  with pytest.raises(ConfigError, match='data.batch_size=12 is not divisible '
                     'by the device count 8; .* use a multiple of 8'):
    parallel.check_batch_size(12, types.SimpleNamespace(size=8))


@pytest.mark.slow
def test_sigterm_to_two_processes_saves_at_one_step_and_resumes(tmp_path):
  """launch/local.sh, SIGTERM mid-run: JAX's preemption sync point stops
  both processes at the same step, which is checkpointed; the rerun goes on
  from it."""
  def launch(num_steps, port):
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(port),
               LOG_DIR=str(tmp_path / f'logs{num_steps}'),
               TF_CPP_MIN_LOG_LEVEL='2')
    return subprocess.Popen(
        [os.path.join(REPO, 'launch', 'local.sh'),
         '--config=configs/dcgan_mnist.py', f'--workdir={tmp_path / "run"}',
         '--config.data.source=bundled', '--config.data.batch_size=8',
         f'--config.train.num_steps={num_steps}', '--config.train.log_every=10',
         '--config.train.sample_every=1000',
         '--config.train.checkpoint_every=1000',
         '--config.train.num_sample_images=4', '--config.report.at_end=False'],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)

  run = launch(2000, free_port())
  for line in run.stdout:  # Process 0's output.
    if ' step 30/2000 ' in line:
      run.send_signal(signal.SIGTERM)  # local.sh passes it to both.
      break
  output = run.communicate(timeout=300)[0]
  assert run.returncode == 143, output[-3000:]
  saved = os.listdir(tmp_path / 'run' / 'checkpoints')
  assert len(saved) == 1 and 30 <= int(saved[0]) < 2000, saved
  with open(tmp_path / 'logs2000' / 'process_1.log') as f:
    assert f'saved a checkpoint at step {saved[0]}' in f.read()
  resumed = launch(int(saved[0]) + 10, free_port())
  output = resumed.communicate(timeout=300)[0]
  assert resumed.returncode == 0, output[-3000:]
  assert f'Resumed from {tmp_path / "run" / "checkpoints"} at step {saved[0]}' in output
