"""jaxgan: GANs in JAX/Flax, reproduced faithfully, measured honestly."""

__version__ = '0.1.0'
