"""Kapoor & Orozco: the convolutional GAN with pooling layers
between the convolutions (Table 1: pooling kernel 2x2, stride 1x1).

  python -m jaxgan.main --config=configs/conv_pool_gan_mnist.py --workdir=runs/conv_pool_gan
"""

from jaxgan.configs import conv_gan_mnist


def get_config():
  config = conv_gan_mnist.get_config()
  config.model.conv_gan.pooling = True  # [source] the pooling variant.
  config.model.conv_gan.pool_size = 2  # [source] "Pooling Kernel Size [2, 2]".
  config.model.conv_gan.pool_stride = 1  # [source] "Pooling Stride [1, 1]".
  return config
