"""Sun & Yang's WGAN-GP on MNIST (configs/wgan_gp_mnist.py), trained with
Gulrajani et al.'s own settings ("Improved Training of Wasserstein GANs",
Algorithm 1's defaults) instead of DCGAN's: 5 critic updates per G update,
each on a fresh batch, and Adam at 1e-4 with beta1 0 and beta2 0.9 for both
nets.

Sun & Yang say their WGAN-GP used "exactly the same" hyper-parameters as
their DCGAN (Adam beta1 0.9, G 1e-3, D 1e-4, one critic update); with those
the critic's outputs swing by tens and the samples stall (docs/results.md).
This config shows what the same networks and loss reach with the settings
the gradient penalty was published with.

  python -m jaxgan.main --config=configs/wgan_gp_gulrajani_mnist.py --workdir=runs/wgan_gp_gulrajani
"""

from jaxgan.configs import wgan_gp_mnist


def get_config():
  config = wgan_gp_mnist.get_config()
  # Gulrajani et al., Algorithm 1: n_critic = 5, alpha = 1e-4, beta1 = 0,
  # beta2 = 0.9 (and lambda = 10, which wgan_gp_mnist already uses).
  config.train.d_steps_per_g_step = 5
  # Each critic update on its own batch and noise, as in Algorithm 1.
  config.train.update_scheme = 'alternating_fresh_noise'
  config.optimizer.g_learning_rate = 1e-4
  config.optimizer.d_learning_rate = 1e-4
  config.optimizer.b1 = 0.0
  config.optimizer.b2 = 0.9
  config.optimizer.eps = 1e-8  # TensorFlow's Adam default, their code's.
  # wgan_gp_mnist's 50 epochs count the critic's batches: 2,340 G updates.
  config.train.checkpoint_every = 234  # Every 5 epochs.
  return config
