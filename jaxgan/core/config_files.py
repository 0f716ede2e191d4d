"""Experiment configs by file path or by name: configs/NAME.py installs as
jaxgan.configs.NAME, so `--config=dcgan_mnist` works from any directory,
and a copied and edited config file works by its path."""

import difflib
import importlib.util
import os
from typing import List

import ml_collections

from jaxgan import configs as configs_package
from jaxgan.core.errors import ConfigError

CONFIGS_DIR = os.path.dirname(configs_package.__file__)
# Modules of the configs package that are not experiments.
NOT_EXPERIMENTS = ('__init__', 'default')


def names() -> List[str]:
  """The experiment configs jaxgan ships, by name."""
  return sorted(name[:-3] for name in os.listdir(CONFIGS_DIR)
                if name.endswith('.py') and name[:-3] not in NOT_EXPERIMENTS)


def resolve(name_or_path: str) -> str:
  """The file of a config given as a path (kept as given) or as a shipped
  config's name ('dcgan_mnist', 'dcgan_mnist.py', or 'configs/dcgan_mnist.py'
  outside the repository). Anything else is returned as is, for the loader
  to report."""
  if os.path.exists(name_or_path):
    return name_or_path
  name = os.path.basename(name_or_path)
  name = name[:-3] if name.endswith('.py') else name
  if os.path.dirname(name_or_path) in ('', 'configs') and name in names():
    return os.path.join(CONFIGS_DIR, f'{name}.py')
  return name_or_path


def not_found(name_or_path: str) -> str:
  """One line for a config that is neither a file nor a shipped name,
  naming the nearest shipped configs."""
  name = os.path.basename(name_or_path)
  name = name[:-3] if name.endswith('.py') else name
  near = difflib.get_close_matches(name, names(), n=3, cutoff=0.6)
  hint = (f'did you mean {" or ".join(near)}?' if near else
          f'shipped configs: {", ".join(names())}.')
  return (f'config {name_or_path!r} is neither a file nor a shipped config; '
          f'{hint}')


def load(name_or_path: str) -> ml_collections.ConfigDict:
  """get_config() of a config file or shipped config."""
  path = resolve(name_or_path)
  if not os.path.isfile(path):
    raise ConfigError(not_found(name_or_path))
  spec = importlib.util.spec_from_file_location('jaxgan_config', path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config()
