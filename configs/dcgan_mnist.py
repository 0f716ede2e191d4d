"""Sun & Yang, "Implementing GAN on MNIST and SVHN", section 2: DCGAN on MNIST.

What the source states is marked [source]. What it leaves unstated follows the
TensorFlow DCGAN tutorial its Keras code is built on, marked [unstated].

  python -m jaxgan.main --config=configs/dcgan_mnist.py --workdir=runs/dcgan_mnist
"""

from jaxgan.configs import default


def get_config():
  config = default.get_config()

  config.data.name = 'mnist'  # [source] 60,000 28x28 training digits.
  config.data.batch_size = 256  # [source] "Batch: 256".

  # [source] G: Dense(100 -> 7*7*256)+BN+LeakyReLU; ConvTranspose 128/64/1,
  # 5x5, strides 1/2/2, SAME, BN+LeakyReLU between, tanh output.
  config.model.generator = 'dcgan_mnist_g'
  config.model.g_activation = 'leaky_relu'
  # [source] D: Conv 64/128/256, 5x5, stride 2, SAME, LeakyReLU, dropout 0.3,
  # Flatten, Dense(1) logit; no BatchNorm.
  config.model.discriminator = 'dcgan_d'
  config.model.d_batchnorm = False
  config.model.noise_dim = 100  # [source] "100 x 1 random noise vector".
  config.model.noise_distribution = 'normal'  # [unstated] tf.random.normal.
  config.model.d_dropout = 0.3  # [source] "Dropout: 0.3".
  # [unstated] Keras layers' defaults, which the source's code uses:
  # glorot_uniform kernels, LeakyReLU slope 0.3, BatchNorm eps 1e-3 and
  # momentum 0.99.
  config.model.kernel_init = 'glorot_uniform'
  config.model.leaky_relu_slope = 0.3
  config.model.bn_epsilon = 1e-3
  config.model.bn_momentum = 0.99

  # [source] cross-entropy on D's logit; G maximises log D(G(z)) (the
  # non-saturating loss of the tutorial).
  config.loss.name = 'non_saturating'

  # [source] Adam, "Generator: 1e-3, Discriminator: 1e-4".
  config.optimizer.g_learning_rate = 1e-3
  config.optimizer.d_learning_rate = 1e-4
  # [unstated] Keras Adam defaults: beta1 0.9, beta2 0.999, eps 1e-7.
  config.optimizer.b1 = 0.9
  config.optimizer.b2 = 0.999
  config.optimizer.eps = 1e-7
  config.optimizer.grad_clip_norm = 0.0  # [unstated] none in the source.

  # [unstated] bfloat16 on GPUs and TPUs, where six seeds of this config kept
  # float32's quality (docs/performance.md, "Does bfloat16 cost quality?");
  # float32 on CPUs.
  config.model.compute_dtype = 'bfloat16_on_accelerators'
  config.train.num_epochs = 100  # [source] "Epoch: 100".
  config.train.epoch_size = 0  # Epochs of MNIST's 60,000 digits.
  # Length set by num_epochs: epochs of MNIST's 60,000 digits (234 steps at
  # batch 256), 23,400 steps whatever stands in for them (train.epoch_size).
  config.train.num_steps = 0
  config.train.d_steps_per_g_step = 1  # [unstated] one D, one G per batch.
  # [source] its Keras code follows the TF tutorial's train_step: one
  # generator forward, both losses from one discriminator pass under two
  # gradient tapes, both updates applied.
  config.train.update_scheme = 'simultaneous'
  config.train.log_every = 50
  config.train.sample_every = 1170  # Every 5 epochs.
  config.train.checkpoint_every = 1170

  return config
