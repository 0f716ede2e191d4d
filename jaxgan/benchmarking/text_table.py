"""The bench's plain-text tables: columns padded to their widest cell,
a rule under the header."""

from typing import Sequence


def aligned(rows: Sequence[Sequence[str]]) -> str:
  """rows[0] is the header; every row has as many cells."""
  widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
  lines = ['  '.join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
           for row in rows]
  lines.insert(1, '-' * len(lines[0]))
  return '\n'.join(lines)
