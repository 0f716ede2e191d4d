"""Writing small workdir files so that a crash never leaves half of one."""

import json
import os


def write_json(path: str, obj) -> None:
  """Writes `obj` as JSON through a temp file and a rename (atomic)."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  tmp = path + '.tmp'
  with open(tmp, 'w') as f:
    json.dump(obj, f, indent=2, sort_keys=True, default=str)
  os.replace(tmp, path)
