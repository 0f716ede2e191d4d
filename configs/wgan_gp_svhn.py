"""Seed 000, section 4.2: WGAN with gradient penalty on SVHN (Sun & Yang).

The SVHN DCGAN of configs/dcgan_svhn.py (200 epochs) with the WGAN-GP loss of
configs/wgan_gp_mnist.py.

  python -m jaxgan.main --config=configs/wgan_gp_svhn.py --workdir=runs/wgan_gp_svhn
"""

from configs import dcgan_svhn


def get_config():
  config = dcgan_svhn.get_config()
  config.loss.name = 'wgan_gp'  # [seed] WGAN with gradient penalty.
  config.loss.gp_weight = 10.0  # [unstated] Gulrajani et al.'s lambda.
  config.train.d_steps_per_g_step = 1  # [seed] hyper-parameters as DCGAN.
  # Precision, not the recipe: under --config.model.compute_dtype=bfloat16
  # (or auto) the generator stays float32, which keeps float32's quality
  # where a bfloat16 generator lost it (measured on MNIST; README, "Does
  # bfloat16 cost quality?"). No effect in float32, the default.
  config.model.g_compute_dtype = 'float32'
  return config
