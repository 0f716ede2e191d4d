"""Sun & Yang, section 4.1: WGAN with gradient penalty on MNIST.

"All the structures and the hyper-parameters are exactly the same as DCGAN"
(configs/dcgan_mnist.py); only the loss changes: the critic maximises
E[C(x)] - E[C(G(z))] minus a gradient penalty on random interpolates, and G
maximises E[C(G(z))].

  python -m jaxgan.main --config=configs/wgan_gp_mnist.py --workdir=runs/wgan_gp_mnist
"""

from jaxgan.configs import dcgan_mnist


def get_config():
  config = dcgan_mnist.get_config()
  config.loss.name = 'wgan_gp'  # [source] WGAN with gradient penalty.
  # [unstated] Gulrajani et al.'s lambda = 10.
  config.loss.gp_weight = 10.0
  # [source] "exactly the same as DCGAN": one critic update per G update
  # (Gulrajani et al. use 5; --config.train.d_steps_per_g_step=5 for theirs).
  config.train.d_steps_per_g_step = 1
  # Precision, not the recipe: under --config.model.compute_dtype=bfloat16
  # (or auto) the generator stays float32, which keeps float32's quality
  # where a bfloat16 generator lost it (measured on MNIST; docs/performance.md, "Does
  # bfloat16 cost quality?"). No effect in float32, the default.
  config.model.g_compute_dtype = 'float32'
  # The seed compares DCGAN and WGAN over 50 epochs (its Figure 7).
  config.train.num_epochs = 50
  config.train.epoch_size = 0  # Epochs of MNIST's 60,000 digits.
  config.train.sample_every = 0  # Automatic: 25 grids (DCGAN's 1,170 gives 10).
  return config
