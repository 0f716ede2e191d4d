"""`python -m jaxgan.X ARGS` for tests, without paying Python's and JAX's
start-up (2-3 s) per command: a server process imports the libraries the
commands import, once per test process, then forks a child per command that
runs the module as `python -m` does (runpy, run_name='__main__', its own
code executed afresh) with its stdout and stderr in files. The child is a
new process, so exit codes, what it prints and what it leaves on disk are
the command's own. JAX's backend starts in the child, never in the server
(a fork must not inherit its threads)."""

import atexit
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# What the commands import before they do anything (TensorFlow, which data
# loading and CLU's writers import, stays in the child: seconds, but only
# for commands that get that far).
_PRELOAD = ('jax', 'flax.linen', 'optax', 'orbax.checkpoint', 'absl.app',
            'ml_collections.config_flags', 'jaxgan.api', 'jaxgan.core.cli',
            'jaxgan.run.config_validation')

_SERVER_CODE = f'''
import gc, json, os, runpy, sys
sys.path.insert(0, {REPO!r})
for name in {_PRELOAD!r}:
  __import__(name)
gc.freeze()  # The children's garbage collector leaves the libraries alone.
requests, replies = sys.stdin, sys.stdout
for line in requests:
  request = json.loads(line)
  pid = os.fork()
  if pid == 0:  # The command's process.
    os.chdir(request['cwd'])
    os.environ.clear()
    os.environ.update(request['env'])
    for fd, path in ((1, request['stdout']), (2, request['stderr'])):
      target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
      os.dup2(target, fd)
      os.close(target)
    sys.stdin = open(os.devnull)
    sys.argv = [request['module'], *request['args']]
    runpy.run_module(request['module'], run_name='__main__', alter_sys=True)
    sys.exit(0)  # Python's own exit: atexit handlers run, as in python -m.
  replies.write(f'{{pid}}\\n')
  replies.flush()
  _, status = os.waitpid(pid, 0)
  replies.write(f'{{os.waitstatus_to_exitcode(status)}}\\n')
  replies.flush()
'''

_server = []


def _start_server() -> subprocess.Popen:
  server = subprocess.Popen(
      [sys.executable, '-c', _SERVER_CODE], cwd=REPO, text=True,
      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2'))
  atexit.register(server.stdin.close)  # Its loop ends and it exits.
  return server


def _read_line(server: subprocess.Popen, timeout: float, pid=None) -> str:
  ready, _, _ = select.select([server.stdout], [], [], timeout)
  if not ready:  # The command, and the server whose replies it would skew.
    if pid:
      with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    server.kill()
    _server.clear()
    raise subprocess.TimeoutExpired(f'forked command (pid {pid})', timeout)
  line = server.stdout.readline()
  if not line:
    _server.clear()
    raise RuntimeError('the command server exited: see its stderr above')
  return line


def run_module(module: str, *args: str, cwd: str = REPO,
               timeout: float = 600) -> subprocess.CompletedProcess:
  """`python -m module *args` in `cwd`, run to completion, its output
  captured as subprocess.run(capture_output=True, text=True) captures it."""
  if not _server or _server[0].poll() is not None:
    _server[:] = [_start_server()]
  server = _server[0]
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
  with tempfile.TemporaryDirectory() as tmp:
    out, err = os.path.join(tmp, 'stdout'), os.path.join(tmp, 'stderr')
    server.stdin.write(json.dumps({
        'module': module, 'args': list(map(str, args)), 'cwd': str(cwd),
        'env': env, 'stdout': out, 'stderr': err}) + '\n')
    server.stdin.flush()
    pid = int(_read_line(server, 60))
    returncode = int(_read_line(server, timeout, pid))
    with open(out) as f_out, open(err) as f_err:
      return subprocess.CompletedProcess([module, *args], returncode,
                                         f_out.read(), f_err.read())
