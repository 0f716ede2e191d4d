"""Generators and discriminators, looked up by their config names.

Importing this package registers every model family; a new family is one new
module here plus its import below.
"""

from jaxgan.models import conditional  # noqa: F401  (each import registers its models)
from jaxgan.models import conv_gan  # noqa: F401
from jaxgan.models import dcgan  # noqa: F401
from jaxgan.models import lstm  # noqa: F401
from jaxgan.models import mlp  # noqa: F401
from jaxgan.models.registry import build_discriminator, build_generator, check_config, discriminators, generators, num_classes  # noqa: F401
