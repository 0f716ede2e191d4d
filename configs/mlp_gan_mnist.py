"""Kapoor & Orozco, "Experiments with GANs": the linear (MLP) GAN
on MNIST, with its Table 1 "unchanged network parameters", which the conv and
LSTM GAN configs import from here.

G: z -> Dense layers growing in size -> Dense(784) -> tanh. D: flattened
image -> Dense layers shrinking in size -> Dense(1) logit. Dropout 0.5.

  python -m jaxgan.main --config=configs/mlp_gan_mnist.py --workdir=runs/mlp_gan
"""

from jaxgan.configs import default


def get_config():
  config = default.get_config()
  config.data.name = 'mnist'  # [source]
  config.data.batch_size = 256  # [source] Table 1 "Batch Size 256".

  config.model.generator = 'mlp_g'
  config.model.discriminator = 'mlp_d'
  config.model.noise_dim = 100  # [source] Table 1 "Z Input Size 100".
  config.model.noise_distribution = 'normal'  # [unstated]
  # [source] Table 1 "Layers 2"; the sizes are its tuned hyperparameters
  # (Table 2 "Layer One Size, Layer Two Size"), [unstated] values; G's grow
  # and D's shrink as its section 3 says.
  config.model.mlp.g_hidden = (256, 512)
  config.model.mlp.d_hidden = (512, 256)
  config.model.g_activation = 'relu'  # [unstated]
  config.model.leaky_relu_slope = 0.2  # [unstated] D's LeakyReLU.
  # [source] "All models contained dropout", Table 1 "Dropout Probability
  # 0.5"; [unstated] in which net: the discriminator, here.
  config.model.d_dropout = 0.5
  config.model.g_dropout = 0.0
  config.model.kernel_init = 'glorot_uniform'  # [unstated] TF 1.0's default.

  config.loss.name = 'non_saturating'  # [unstated]

  # [source] "the Adam optimizer", Table 1 "Learning Rate 1e-4".
  config.optimizer.g_learning_rate = 1e-4
  config.optimizer.d_learning_rate = 1e-4
  # [unstated] TF 1.0 AdamOptimizer defaults.
  config.optimizer.b1 = 0.9
  config.optimizer.b2 = 0.999
  config.optimizer.eps = 1e-8
  # [source] "All models besides the linear model contained gradient clipping"
  # (Table 1 "Max Gradient Norm 5.0" applies to the others).
  config.optimizer.grad_clip_norm = 0.0

  # [unstated] TensorFlow 1.0 code, not published; TF1 GAN loops run the D
  # and the G update as separate session runs, each fed its own noise.
  config.train.update_scheme = 'alternating_fresh_noise'
  config.train.num_epochs = 500  # [source] Table 1 "Max Training Epochs 500".
  config.train.epoch_size = 0  # Epochs of MNIST's 60,000 digits.
  config.train.log_every = 50
  config.train.sample_every = 1170  # Every 5 epochs (234 steps/epoch).
  config.train.checkpoint_every = 1170
  return config
