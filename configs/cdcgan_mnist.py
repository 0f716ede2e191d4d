"""Class-conditional DCGAN on MNIST, for the DCGAN paper's nearest-neighbour
protocol (Vijaya Lakshmi & Ganaraju, section IX; He, section 1.5): 1-NN
classifiers fitted on class-conditional samples, scored on the real test set.

G: z and a learnt label embedding -> He's DCGAN generator (7x7x128 ->
14x14x64 -> 28x28x1). D: He's strided convs; the label enters through a
projection (or one-hot label maps on the input, d_conditioning='concat').
BatchNorm without scale and bias, which section IX found better.

  python -m jaxgan.main --config=configs/cdcgan_mnist.py --workdir=runs/cdcgan_mnist
"""

from jaxgan.configs import dcgan_radford_mnist


def get_config():
  config = dcgan_radford_mnist.get_config()
  config.model.generator = 'cdcgan_g'
  config.model.discriminator = 'cdcgan_d'
  config.model.num_classes = 10  # [source] conditional on the 10 digits.
  config.model.conditional.embed_dim = 50  # [unstated]
  config.model.conditional.d_conditioning = 'projection'  # [unstated]
  # [source] section IX: "removing the scale and bias parameters from batchnorm
  # produced better results".
  config.model.bn_use_scale = False
  config.model.bn_use_bias = False
  # Sample grids of 10x10: image i is of class i mod 10, one class per column.
  config.train.num_sample_images = 100
  return config
