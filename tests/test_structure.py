"""The code's layering, read from its import statements (module level and
late imports alike): no cycle, and the training loop on top, where only the
entry points reach it."""

import ast
import os
import re
import subprocess
import sys

from tests.conftest import REPO

PACKAGE = os.path.join(REPO, 'jaxgan')


def module_name(path: str) -> str:
  name = os.path.relpath(path, REPO)[:-3].replace(os.sep, '.')
  return name[:-len('.__init__')] if name.endswith('.__init__') else name


def import_graph():
  """{module: the jaxgan modules it imports}, configs left out (they import
  only each other and ml_collections)."""
  paths = [os.path.join(d, f) for d, _, names in os.walk(PACKAGE)
           for f in names if f.endswith('.py')]
  modules = {module_name(p): p for p in paths}
  graph = {}
  for name, path in modules.items():
    with open(path) as f:
      tree = ast.parse(f.read())
    imported = set()
    for node in ast.walk(tree):
      if isinstance(node, ast.Import):
        imported.update(a.name for a in node.names)
      elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
        for alias in node.names:
          full = f'{node.module}.{alias.name}'
          imported.add(full if full in modules else node.module)
    graph[name] = {m for m in imported
                   if m in modules and m != name and m != 'jaxgan'}
  return graph


def cycles(graph):
  """The strongly connected components with more than one module."""
  index, low, stack, on_stack, found = {}, {}, [], set(), []

  def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v)
    on_stack.add(v)
    for w in graph[v]:
      if w not in index:
        visit(w)
        low[v] = min(low[v], low[w])
      elif w in on_stack:
        low[v] = min(low[v], index[w])
    if low[v] == index[v]:
      component = set()
      while True:
        w = stack.pop()
        on_stack.discard(w)
        component.add(w)
        if w == v:
          break
      if len(component) > 1:
        found.append(sorted(component))

  for v in sorted(graph):
    if v not in index:
      visit(v)
  return found


def test_cycle_finder_finds_a_cycle():
  assert cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [
      ['a', 'b', 'c']]


def test_no_import_cycle():
  assert cycles(import_graph()) == []


def test_the_training_loop_is_reached_only_through_the_entry_points():
  graph = import_graph()
  importers = lambda module: sorted(m for m, deps in graph.items()
                                    if module in deps)
  # main (the command line) -> api (the Python API) -> train; and the
  # bench's check on itself (--vs_training), which runs the loop beside it.
  assert importers('jaxgan.run.train') == ['jaxgan.api', 'jaxgan.bench']
  assert importers('jaxgan.api') == ['jaxgan.main']
  # The report is written by the entry points, not by the loop.
  assert 'jaxgan.report' not in graph['jaxgan.run.train']


# The folders of jaxgan/, lowest first: a module imports only from its own
# folder and those below it; the top level imports anything.
LAYERS = ('core', 'datasets', 'models', 'step', 'evaluation', 'run',
          'reporting', 'benchmarking')
ENTRY_POINTS_AND_COMMANDS = {
    '__init__', 'main', 'api', 'commands', 'evaluate', 'sample', 'report',
    'reproduce', 'score_images', 'fid_stats', 'bench'}


def layer_of(module: str) -> int:
  parts = module.split('.')
  return (LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS
          else len(LAYERS))


def upward_imports(graph):
  return sorted(f'{m} -> {d}' for m, deps in graph.items() for d in deps
                if layer_of(d) > layer_of(m))


def test_no_import_goes_up_a_layer():
  assert upward_imports({'jaxgan.core.a': {'jaxgan.run.b'}}) == [
      'jaxgan.core.a -> jaxgan.run.b']  # The check can fail.
  assert upward_imports(import_graph()) == []


def test_the_top_level_holds_only_entry_points_commands_and_layers():
  modules = {f[:-3] for f in os.listdir(PACKAGE) if f.endswith('.py')}
  folders = {f for f in os.listdir(PACKAGE)
             if os.path.isfile(os.path.join(PACKAGE, f, '__init__.py'))}
  assert modules == ENTRY_POINTS_AND_COMMANDS
  assert len(modules) <= 14
  assert folders == set(LAYERS)


def test_the_docs_layout_names_every_module():
  """The "How the code is laid out" table (docs/architecture.md), checked
  against the code: every module is in it, and everything it names exists."""
  with open(os.path.join(REPO, 'docs', 'architecture.md')) as f:
    section = f.read().split('# How the code is laid out', 1)[1].split(
        '\n## ', 1)[0]
  table = '\n'.join(l for l in section.splitlines() if l.startswith('|'))
  named = set(re.findall(r'`(\w+\.py)`', table))
  basenames = {f for _, _, names in os.walk(PACKAGE) for f in names
               if f.endswith('.py') and f != '__init__.py'}
  assert basenames <= named, sorted(basenames - named)
  assert named <= basenames, sorted(named - basenames)


def test_importing_jaxgan_starts_no_jax_backend():
  """jax.distributed.initialize (main.py, multi-host runs) must run before
  any backend starts: no module may make an array when it is imported. Nor
  import TensorFlow (3-4 s): only a run's TensorBoard writer needs it."""
  code = ('import sys\n'
          'import jax._src.xla_bridge as xla_bridge\n'
          'from jaxgan import api, bench, evaluate, report, sample\n'
          'assert not xla_bridge._backends, "a backend started at import"\n'
          'assert "tensorflow" not in sys.modules, "TensorFlow at import"\n')
  result = subprocess.run([sys.executable, '-c', code], cwd=REPO,
                          capture_output=True, text=True, check=False,
                          timeout=300)
  assert result.returncode == 0, result.stderr[-2000:]
