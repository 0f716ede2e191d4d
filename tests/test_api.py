"""The Python API as the README shows it: the snippet under "From Python" runs
as written, in a fresh process (as a notebook would start), and shows
progress without any flag parsing."""

import importlib.util
import os
import re
import subprocess
import sys

import pytest

from jaxgan import api, commands
from tests.conftest import REPO


def readme_snippet() -> str:
  with open(os.path.join(REPO, 'README.md')) as f:
    readme = f.read()
  section = readme.split('## From Python', 1)[1].split('\n## ', 1)[0]
  [code] = re.findall(r'```python\n(.*?)```', section, re.S)
  return code


def test_readme_python_snippet_trains_loads_samples_and_evaluates(tmp_path):
  code = readme_snippet()
  assert 'api.train(' in code and 'api.load_run(' in code
  result = subprocess.run(
      [sys.executable, '-c', code], cwd=tmp_path, capture_output=True,
      text=True, timeout=600, check=False,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2'))
  assert result.returncode == 0, result.stderr[-3000:]
  printed = result.stdout.strip().splitlines()[-1]
  assert printed.startswith('20 (16, 28, 28, 1) '), result.stdout
  assert 0 < float(printed.rsplit(' ', 1)[1]) <= 10  # The classifier score.
  # Progress shows by default, on one screen: the libraries' INFO lines
  # (Orbax logs 59 per save and restore) are left out.
  assert 'step 20/20' in result.stderr, result.stderr[-3000:]
  assert 'CheckpointManager' not in result.stderr, result.stderr[-3000:]
  output_lines = (result.stdout + result.stderr).strip().splitlines()
  assert len(output_lines) <= 25, result.stderr
  # The report was written at the end.
  workdir = tmp_path / 'runs' / 'notebook'
  assert (workdir / 'report' / 'index.html').exists()
  assert (workdir / 'checkpoints' / '20').exists()


def test_configs_from_python_are_locked_and_name_the_near_field():
  config = api.get_config('dcgan_mnist')
  config.train.num_steps = 20
  with pytest.raises(AttributeError, match='Did you mean "num_steps"'):
    config.train.num_stepz = 20
  with pytest.raises(ValueError, match='verbosity=3'):
    api.train(config, '/nonexistent', verbosity=3)


def test_the_console_script_runs_each_command_module(monkeypatch, capsys):
  """`jaxgan train ...` is `python -m jaxgan.main ...`, and so on."""
  for module in commands.COMMANDS.values():
    assert importlib.util.find_spec(module) is not None, module
  ran = []
  monkeypatch.setattr(commands.runpy, 'run_module',
                      lambda module, **kwargs: ran.append((module, sys.argv)))
  commands.main(['train', '--config=dcgan_mnist', '--workdir=w'])
  assert ran == [('jaxgan.main', ['jaxgan train', '--config=dcgan_mnist',
                                  '--workdir=w'])]
  with pytest.raises(SystemExit) as exit_info:
    commands.main(['trian'])
  assert exit_info.value.code == 2
  assert "unknown command 'trian'" in capsys.readouterr().err
