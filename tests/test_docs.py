"""The README is a first screen and the docs are reachable from it: the
README's length and picture, every docs page linked from it, and every
relative link and anchor in the README and the docs resolving."""

import os
import re

from tests.conftest import REPO

DOCS = os.path.join(REPO, 'docs')
LINK = re.compile(r'!?\[[^\]]*\]\(([^)\s]+)\)')


def read(path: str) -> str:
  with open(path) as f:
    return f.read()


def anchors(markdown: str):
  """GitHub's anchors of a page's headings (code spans and fences aside)."""
  text = re.sub(r'```.*?```', '', markdown, flags=re.S)
  found = set()
  for heading in re.findall(r'^#+ (.*)$', text, re.M):
    slug = re.sub(r'[^\w\- ]', '', heading.strip().lower())
    found.add(slug.replace(' ', '-'))
  return found


def pages():
  return [os.path.join(REPO, 'README.md')] + sorted(
      os.path.join(DOCS, f) for f in os.listdir(DOCS) if f.endswith('.md'))


def test_the_readme_is_a_first_screen_with_a_picture():
  readme = read(os.path.join(REPO, 'README.md'))
  assert len(readme.splitlines()) <= 220
  images = re.findall(r'!\[[^\]]*\]\(([^)]+)\)', readme)
  assert images and all(os.path.isfile(os.path.join(REPO, i)) for i in images)


def test_every_docs_page_is_linked_from_the_readme():
  linked = {os.path.normpath(os.path.join(REPO, target.split('#')[0]))
            for target in LINK.findall(read(os.path.join(REPO, 'README.md')))}
  for page in pages()[1:]:
    assert page in linked, page


def test_every_relative_link_and_anchor_resolves():
  broken = []
  for page in pages():
    for target in LINK.findall(read(page)):
      if re.match(r'[a-z]+:', target):
        continue  # http(s), mailto
      path, _, anchor = target.partition('#')
      resolved = (os.path.normpath(os.path.join(os.path.dirname(page), path))
                  if path else page)
      if not os.path.exists(resolved):
        broken.append(f'{page}: {target}')
      elif anchor and anchor not in anchors(read(resolved)):
        broken.append(f'{page}: {target} (no such heading)')
  assert not broken, broken
