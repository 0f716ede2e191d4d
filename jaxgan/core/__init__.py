"""Foundations every layer uses: typed errors, name registries, atomic
writes, config checks and files, the command-line edge, the device mesh,
signals and the run's random keys."""
