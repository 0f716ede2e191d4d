"""Singh: the PyTorch-style DCGAN on MNIST, non-saturating loss.

G: ConvTranspose2d + BatchNorm + ReLU blocks from z as a 1x1 map
(1 -> 4 -> 7 -> 14 -> 28), then ConvTranspose2d to 1 channel and tanh.
D: Conv2d + BatchNorm + LeakyReLU blocks (no BatchNorm on the input layer),
a final Conv2d to one logit. D's loss is binary cross-entropy with logits;
G minimises -log D(G(z)) (the source's "without saturation" run).

  python -m jaxgan.main --config=configs/dcgan_nonsaturating_mnist.py --workdir=runs/dcgan_ns
"""

from jaxgan.configs import default


def get_config():
  config = default.get_config()
  config.data.name = 'mnist'  # [source]
  config.data.batch_size = 256  # [source] "grouped into batches of size 256".

  config.model.generator = 'dcgan_torch_g'  # [source] ConvTranspose+BN+ReLU.
  config.model.discriminator = 'dcgan_torch_d'  # [source] Conv+BN+LeakyReLU.
  config.model.noise_dim = 100  # [unstated] the PyTorch DCGAN tutorial's nz.
  config.model.noise_distribution = 'normal'  # [unstated] torch.randn.
  config.model.g_activation = 'relu'  # [source]
  config.model.d_batchnorm = True  # [source]
  config.model.leaky_relu_slope = 0.2  # [unstated] the PyTorch tutorial's.
  # [source] "all model weights ... from normal distribution with mean 0" for
  # convolutional, transposed and BatchNorm layers: N(0, 0.02) kernels and
  # N(1, 0.02) BatchNorm scales, as the PyTorch DCGAN tutorial's weights_init
  # (the source's text says standard deviation 0.2; its code is the tutorial's).
  config.model.kernel_init = 'normal_0.02'
  config.model.bn_scale_init = 'normal_1_0.02'
  # [unstated] PyTorch BatchNorm2d defaults.
  config.model.bn_epsilon = 1e-5
  config.model.bn_momentum = 0.9

  config.loss.name = 'non_saturating'  # [source] "without saturation".

  # [source] "Adam optimizers with learning rate 0.0002 and Beta1 = 0.5".
  config.optimizer.g_learning_rate = 2e-4
  config.optimizer.d_learning_rate = 2e-4
  config.optimizer.b1 = 0.5
  config.optimizer.b2 = 0.999  # [unstated] torch.optim.Adam's default.

  # [source] PyTorch's DCGAN example, which its code follows: D updated on a
  # real batch and G(z), then G updated on the same G(z) against the
  # updated D.
  config.train.update_scheme = 'alternating'
  config.train.num_epochs = 10  # [source] outputs shown after 5 and 10 epochs.
  config.train.epoch_size = 0  # Epochs of MNIST's 60,000 digits.
  config.train.sample_every = 0  # Automatic: 26 grids, every 90 steps.
  config.train.checkpoint_every = 1170
  return config
