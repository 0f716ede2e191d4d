"""Generators and discriminators, looked up by their config names.

Importing this package registers every model family; a new family is one new
module here plus its import below.
"""

from jaxgan.models import conditional, conv_gan, dcgan, lstm, mlp  # noqa: F401
from jaxgan.models.registry import build_discriminator, build_generator, check_config, discriminators, generators, num_classes  # noqa: F401
