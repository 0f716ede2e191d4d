"""jaxgan: GANs in JAX/Flax, reproduced faithfully, measured honestly.

From Python: `from jaxgan import api` (get_config, train, load_run).
"""

__version__ = '0.1.0'
