"""The original WGAN (Arjovsky et al. 2017) on MNIST, with weight clipping:
the variant Sun & Yang (section 4.1) names before moving to the gradient
penalty. Sun & Yang's DCGAN architecture (configs/dcgan_mnist.py, no BatchNorm
in D) with the WGAN paper's training: RMSProp at 5e-5, five critic updates
per G update, critic weights clipped to [-0.01, 0.01].

  python -m jaxgan.main --config=configs/wgan_clip_mnist.py --workdir=runs/wgan_clip
"""

from jaxgan.configs import dcgan_mnist


def get_config():
  config = dcgan_mnist.get_config()
  config.data.batch_size = 64  # Arjovsky et al.'s batch size.
  config.loss.name = 'wgan'
  config.loss.weight_clip = 0.01  # Arjovsky et al.'s c.
  config.optimizer.name = 'rmsprop'  # Arjovsky et al.: no momentum.
  config.optimizer.g_learning_rate = 5e-5
  config.optimizer.d_learning_rate = 5e-5
  config.optimizer.rms_decay = 0.99  # torch.optim.RMSprop's alpha, as theirs.
  config.optimizer.eps = 1e-8
  config.train.d_steps_per_g_step = 5  # Arjovsky et al.'s n_critic.
  # Arjovsky et al.'s code: every critic and generator update draws its own
  # noise.
  config.train.update_scheme = 'alternating_fresh_noise'
  config.train.num_epochs = 50
  config.train.epoch_size = 0  # Epochs of MNIST's 60,000 digits.
  config.train.sample_every = 0  # Automatic: 25 grids.
  config.train.checkpoint_every = 1000
  return config
