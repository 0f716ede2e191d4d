"""One self-contained HTML page: every image embedded as a data URI and no
script, so it opens offline, from an e-mail, or as a CI artifact."""

import base64
import html
import os
from typing import Iterable, Optional, Sequence

MIME_TYPES = {'.png': 'image/png', '.gif': 'image/gif'}

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1250px;
       padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; } figcaption { color: #555; margin-top: 0.3em; }
img { max-width: 100%; }
img.pixels { image-rendering: pixelated; }
.note { color: #8a5300; background: #fff6e5; padding: 0.5em 0.8em; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
"""


def escape(text) -> str:
  return html.escape(str(text))


def data_uri(path: str) -> str:
  extension = os.path.splitext(path)[1].lower()
  if extension not in MIME_TYPES:
    raise ValueError(f'{path}: cannot embed a {extension!r} file; expected '
                     f'one of {", ".join(MIME_TYPES)}.')
  with open(path, 'rb') as f:
    encoded = base64.b64encode(f.read()).decode('ascii')
  return f'data:{MIME_TYPES[extension]};base64,{encoded}'


def figure(path: str, caption: str, pixels: bool = False) -> str:
  """The image at `path`, embedded; `pixels` keeps small images sharp when
  the browser scales them."""
  name = os.path.basename(path)
  css = ' class="pixels"' if pixels else ''
  return (f'<figure id="{escape(name)}"><img src="{data_uri(path)}" '
          f'alt="{escape(name)}"{css}><figcaption><b>{escape(name)}</b>: '
          f'{escape(caption)}</figcaption></figure>')


def note(text: str) -> str:
  return f'<p class="note">{escape(text)}</p>'


def table(header: Optional[Sequence[str]],
          rows: Iterable[Sequence[object]]) -> str:
  """Numbers right-aligned at 4 significant digits; no header row if None."""
  head = (f'<tr>{"".join(f"<th>{escape(h)}</th>" for h in header)}</tr>'
          if header else '')
  body = []
  for row in rows:
    cells = ''.join(
        f'<td class="num">{escape(format_value(c))}</td>'
        if isinstance(c, (int, float)) and not isinstance(c, bool)
        else f'<td>{escape(c)}</td>' for c in row)
    body.append(f'<tr>{cells}</tr>')
  return f'<table>{head}{"".join(body)}</table>'


def format_value(value) -> str:
  if isinstance(value, float):
    return f'{value:.4g}'
  return str(value)


def preformatted(text: str) -> str:
  return f'<pre>{escape(text)}</pre>'


def section(title: str, *parts: Optional[str]) -> str:
  return f'<h2>{escape(title)}</h2>' + ''.join(p for p in parts if p)


def render(title: str, parts: Sequence[str]) -> str:
  return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
          f'<title>{escape(title)}</title><style>{STYLE}</style></head>'
          f'<body><h1>{escape(title)}</h1>{"".join(parts)}</body></html>\n')
