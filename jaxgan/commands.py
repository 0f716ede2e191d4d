"""The `jaxgan` console script: `jaxgan train|evaluate|sample|report|
reproduce|bench|score_images|fid_stats [flags]` runs `python -m jaxgan.X`
with the same flags (train is jaxgan.main), which stays the documented form."""

import runpy
import sys

COMMANDS = {
    'train': 'jaxgan.main',
    'evaluate': 'jaxgan.evaluate',
    'sample': 'jaxgan.sample',
    'report': 'jaxgan.report',
    'reproduce': 'jaxgan.reproduce',
    'bench': 'jaxgan.bench',
    'score_images': 'jaxgan.score_images',
    'fid_stats': 'jaxgan.fid_stats',
}


def usage() -> str:
  return (f'usage: jaxgan {{{"|".join(COMMANDS)}}} [--flags]; '
          f'`jaxgan COMMAND --helpfull` lists a command\'s flags.')


def main(argv=None) -> None:
  argv = sys.argv[1:] if argv is None else argv
  if not argv or argv[0] in ('-h', '--help', 'help'):
    print(usage())
    sys.exit(0 if argv else 2)
  command, flags = argv[0], argv[1:]
  if command not in COMMANDS:
    print(f'jaxgan: error: unknown command {command!r}; {usage()}',
          file=sys.stderr)
    sys.exit(2)
  sys.argv = [f'jaxgan {command}', *flags]
  runpy.run_module(COMMANDS[command], run_name='__main__', alter_sys=True)


if __name__ == '__main__':
  main()
