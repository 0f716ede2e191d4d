"""Writing workdir files so that a crash never leaves half of one."""

import contextlib
import json
import os


@contextlib.contextmanager
def atomic_write(path: str):
  """Yields a temporary path beside `path` to write to, renamed to `path`
  when the block ends (an atomic replace) or removed if it fails. Callers
  writing through a library name the format: the suffix is `.tmp`."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  tmp = path + '.tmp'
  try:
    yield tmp
    os.replace(tmp, path)
  finally:
    if os.path.exists(tmp):
      os.remove(tmp)


def write_json(path: str, obj) -> None:
  """Writes `obj` as JSON, atomically."""
  with atomic_write(path) as tmp, open(tmp, 'w') as f:
    json.dump(obj, f, indent=2, sort_keys=True, default=str)


def read_json(path: str, default=None):
  """The JSON in `path`, or `default` where there is no such file."""
  if not os.path.exists(path):
    return default
  with open(path) as f:
    return json.load(f)
