"""Kapoor & Orozco: the convolutional GAN without pooling.

Table 1's settings (configs/mlp_gan_mnist.py) with 2 conv layers of 5 output
channels per net, capped with a dense layer, and gradient clipping at global
norm 5.0.

  python -m jaxgan.main --config=configs/conv_gan_mnist.py --workdir=runs/conv_gan
"""

from jaxgan.configs import mlp_gan_mnist


def get_config():
  config = mlp_gan_mnist.get_config()
  config.model.generator = 'conv_gan_g'
  config.model.discriminator = 'conv_gan_d'
  config.model.conv_gan.num_layers = 2  # [source] Table 1 "Layers 2".
  # [source] "Convolutional Output Channels 5".
  config.model.conv_gan.features = 5
  # [source] Table 2 tunes filter shape and stride; "models with a stride of
  # one ended up performing much better", "the best DCGAN was the one with
  # the smallest stride and filter": stride 1, [unstated] 3x3.
  config.model.conv_gan.kernel_size = 3
  config.model.conv_gan.stride = 1
  config.model.conv_gan.pooling = False  # [source] the no-pooling variant.
  config.optimizer.grad_clip_norm = 5.0  # [source] "Max Gradient Norm 5.0".
  return config
