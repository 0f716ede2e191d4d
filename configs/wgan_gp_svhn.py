"""Sun & Yang, section 4.2: WGAN with gradient penalty on SVHN.

The SVHN DCGAN of configs/dcgan_svhn.py (200 epochs) with the WGAN-GP loss of
configs/wgan_gp_mnist.py.

  python -m jaxgan.main --config=configs/wgan_gp_svhn.py --workdir=runs/wgan_gp_svhn
"""

from jaxgan.configs import dcgan_svhn


def get_config():
  config = dcgan_svhn.get_config()
  config.loss.name = 'wgan_gp'  # [source] WGAN with gradient penalty.
  config.loss.gp_weight = 10.0  # [unstated] Gulrajani et al.'s lambda.
  config.train.d_steps_per_g_step = 1  # [source] hyper-parameters as DCGAN.
  # As configs/wgan_gp_mnist.py: the generator stays float32 under a
  # bfloat16 compute dtype (measured there).
  config.model.g_compute_dtype = 'float32'
  return config
