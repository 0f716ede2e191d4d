"""Writing workdir files so that a crash never leaves half of one."""

import contextlib
import json
import os


@contextlib.contextmanager
def atomic_write(path: str):
  """Yields a temporary path beside `path` to write to, renamed to `path`
  when the block ends (an atomic replace) or removed if it fails. Callers
  writing through a library name the format: the suffix is `.tmp`.

  The file is on disk before the rename and the rename is on disk after
  it (fsync of both), so that after a power loss `path` holds the old or
  the new contents, never an empty file (a checksum manifest read as
  empty would make a good checkpoint look damaged)."""
  directory = os.path.dirname(os.path.abspath(path))
  os.makedirs(directory, exist_ok=True)
  tmp = path + '.tmp'
  try:
    yield tmp
    _fsync(tmp)
    os.replace(tmp, path)
    if os.name == 'posix':  # Directories cannot be opened elsewhere.
      _fsync(directory)
  finally:
    if os.path.exists(tmp):
      os.remove(tmp)


def _fsync(path: str) -> None:
  fd = os.open(path, os.O_RDONLY)
  try:
    os.fsync(fd)
  finally:
    os.close(fd)


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
