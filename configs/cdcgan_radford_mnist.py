"""The DCGAN authors' own class-conditional MNIST model, which He's
replication runs (Radford, Metz & Chintala, "Unsupervised Representation
Learning with Deep Convolutional Generative Adversarial Networks", section
IX; He, "Replicating Deep Convolution Generative Adversarial
Network using existing code", section 1.5): the nearest-neighbour
protocol's model as its authors' code built it.

G: [z, y] -> Dense 1024 -> [., y] -> Dense 7x7x128 -> [., y maps] ->
transposed 5x5 stride-2 convs to 14x14x64 and 28x28x1, tanh. D: [x, y maps]
-> 5x5 stride-2 convs 64 and 128 (each input with y maps) -> [., y] ->
Dense 1024 -> [., y] -> one logit. y is the one-hot label; BatchNorm without
scale and bias, no biases anywhere (configs/cdcgan_mnist.py is the
label-embedding, projection-discriminator reading of the same protocol).
One departure: the authors' nets work on pixels in [0, 1] with a sigmoid G;
these use jaxgan's [-1, 1] and tanh (`model.unit_pixels=True` restores
theirs, which scored the same at 5k steps).

He's code counts an update of either net as a step and alternates them (D,
G, D, G, ...), so his "20K steps" are 10,000 D and 10,000 G updates: 10,000
of jaxgan's steps, each one D and one G update on fresh noise.

  python -m jaxgan.main --config=configs/cdcgan_radford_mnist.py --workdir=runs/cdcgan_radford_mnist
"""

from jaxgan.configs import cdcgan_mnist


def get_config():
  config = cdcgan_mnist.get_config()  # Batch 128, U[-1, 1] z, Adam 2e-4/0.5.
  config.model.generator = 'cdcgan_radford_g'  # [code] label everywhere.
  config.model.discriminator = 'cdcgan_radford_d'
  config.model.bn_epsilon = 1e-8  # [code] its batchnorm's e.
  # [code] "l2 = 2.5e-5 # l2 weight decay", added to both nets' gradients.
  config.optimizer.weight_decay = 2.5e-5
  config.train.num_steps = 10_000  # [source] 20K steps of one net's update.
  config.train.sample_every = 500  # 20 grids.
  config.train.checkpoint_every = 2500
  return config
