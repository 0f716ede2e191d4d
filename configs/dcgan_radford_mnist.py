"""He: Radford et al.'s DCGAN replicated on MNIST with the k-step
update schedule.

G: uniform z -> project and reshape to 7x7x128 -> BatchNorm + ReLU ->
fractionally-strided 5x5 convs (stride 2) to 14x14x64 and 28x28x1, tanh.
D: strided 5x5 convs (64, 128) with LeakyReLU (BatchNorm from the second),
one logit. Its 64x64 variant (Figure 4's four fractionally-strided convs) is
dcgan_radford64_g / _d, trained by configs/dcgan_radford_celeba.py.

  python -m jaxgan.main --config=configs/dcgan_radford_mnist.py --workdir=runs/dcgan_radford
"""

from jaxgan.configs import default


def get_config():
  config = default.get_config()
  config.data.name = 'mnist'  # [source]
  config.data.batch_size = 128  # [source] "mini-batch size of 128".

  config.model.generator = 'dcgan_radford_g'  # [source] fractionally strided.
  config.model.discriminator = 'dcgan_radford_d'  # [source] strided convs.
  config.model.noise_dim = 100  # [source] "A 100 dimensional uniform
  config.model.noise_distribution = 'uniform'  # distribution Z".
  config.model.g_activation = 'relu'  # [source] ReLU in G, tanh output.
  config.model.leaky_relu_slope = 0.2  # [source] LeakyReLU in D (Radford: 0.2).
  config.model.d_batchnorm = True  # [unstated] Radford et al.'s guideline.
  config.model.kernel_init = 'normal_0.02'  # [unstated] Radford et al.
  # [unstated] tf.contrib.layers.batch_norm as the DCGAN-tensorflow code
  # the source ran: epsilon 1e-5, decay 0.9.
  config.model.bn_epsilon = 1e-5
  config.model.bn_momentum = 0.9

  config.loss.name = 'non_saturating'  # [unstated] the DCGAN code's loss.

  # [source] "Adam optimizer with beta1 = 0.5, beta2 = 0.999, and a fixed
  # learning rate of 0.0002 for both generator and discriminator".
  config.optimizer.g_learning_rate = 2e-4
  config.optimizer.d_learning_rate = 2e-4
  config.optimizer.b1 = 0.5
  config.optimizer.b2 = 0.999

  # [source] "In every k step the generator updates k-1 times and the
  # discriminator updates one time, here k=2": one D update, then k - 1 = 1
  # G update. Set g_steps_per_d_step = k - 1 for other k.
  config.train.d_steps_per_g_step = 1
  config.train.g_steps_per_d_step = 1
  # [source] its code (yihui-he/GAN-MNIST) runs the D and the G update as
  # separate session runs, each on its own freshly drawn noise.
  config.train.update_scheme = 'alternating_fresh_noise'
  config.train.num_steps = 20_000  # [source] "only trains for 20K steps".
  config.train.log_every = 100
  # 20 grids; [source] shows samples at 5k, 10k and 20k steps, among them.
  config.train.sample_every = 1000
  config.train.checkpoint_every = 2500
  return config
