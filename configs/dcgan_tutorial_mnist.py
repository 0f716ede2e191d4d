"""Vijaya Lakshmi & Ganaraju: the TensorFlow DCGAN tutorial on
MNIST, trained by the DCGAN-paper guidelines the source lists (its sections IV
and V).

G: Dense seed -> 7x7x256 -> Conv2DTranspose 128 (stride 1) -> 64 (stride 2)
-> 1 (stride 2) -> 28x28x1, tanh. D: a CNN classifier, Conv 64 and 128 (5x5,
stride 2), Flatten, Dense(1) logit ("positive values for real images").

  python -m jaxgan.main --config=configs/dcgan_tutorial_mnist.py --workdir=runs/dcgan_tutorial
"""

from jaxgan.configs import default


def get_config():
  config = default.get_config()
  config.data.name = 'mnist'  # [source]
  config.data.batch_size = 128  # [source] "mini-batch size of 128".

  config.model.generator = 'dcgan_tutorial_g'  # [source] the tutorial's G.
  config.model.discriminator = 'dcgan_tutorial_d'  # [source] the tutorial's D.
  config.model.noise_dim = 100  # [source] the tutorial's 100-d seed.
  config.model.noise_distribution = 'normal'  # [source] tf.random.normal.
  # [source] guidelines: "ReLU in generator for all layers except the output,
  # which uses Tanh"; "LeakyReLU in the discriminator", slope 0.2.
  config.model.g_activation = 'relu'
  config.model.leaky_relu_slope = 0.2
  # [source] "batchnorm in both the generator and the discriminator", except
  # "the generator output layer and the discriminator input layer".
  config.model.d_batchnorm = True
  # [source] "initialized from a zero-centered Normal distribution with
  # standard deviation 0.02".
  config.model.kernel_init = 'normal_0.02'
  # [source] the tutorial's Dropout(0.3) after each D conv.
  config.model.d_dropout = 0.3
  # [unstated] Keras BatchNormalization defaults, as in the tutorial.
  config.model.bn_epsilon = 1e-3
  config.model.bn_momentum = 0.99

  # [source] cross-entropy on D's logit; G's loss is cross-entropy against
  # "real" labels (non-saturating).
  config.loss.name = 'non_saturating'

  # [source] "Adam ... learning rate 0.0002 ... beta1 0.5".
  config.optimizer.g_learning_rate = 2e-4
  config.optimizer.d_learning_rate = 2e-4
  config.optimizer.b1 = 0.5
  config.optimizer.b2 = 0.999  # [unstated] Adam's default.

  # [source] the tutorial's train_step: one generator forward, both losses
  # from one discriminator pass under two gradient tapes, both applied.
  config.train.update_scheme = 'simultaneous'
  config.train.num_epochs = 50  # [unstated] the tutorial's EPOCHS = 50.
  config.train.epoch_size = 0  # Epochs of MNIST's 60,000 digits.
  config.train.log_every = 50
  config.train.sample_every = 1170  # Every 2.5 epochs (468 steps/epoch).
  config.train.checkpoint_every = 2340
  return config
