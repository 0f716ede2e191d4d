"""Generators and discriminators, looked up by their config names.

Importing this package registers every model family; a new family is one new
module here plus its import below.
"""

from jaxgan.models import dcgan  # noqa: F401  (registers its models)
from jaxgan.models.registry import build_discriminator, build_generator, discriminators, generators  # noqa: F401
