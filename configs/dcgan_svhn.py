"""Sun & Yang, section 3: DCGAN on SVHN.

The MNIST DCGAN of configs/dcgan_mnist.py with the changes section 3 names:
G projects to 8x8x256 and its last layer has 3 filters (32x32x3 images); D is
unchanged but for its 32x32x3 input; 200 epochs.

  python -m jaxgan.main --config=configs/dcgan_svhn.py --workdir=runs/dcgan_svhn
"""

from jaxgan.configs import dcgan_mnist


def get_config():
  config = dcgan_mnist.get_config()
  # [source] SVHN's cropped 32x32x3 digits (73,257 training images). Through
  # tensorflow-datasets; offline, prepare it elsewhere or use data.source=npz.
  config.data.name = 'svhn_cropped'
  config.model.generator = 'dcgan_svhn_g'  # [source] 8x8x256 -> 32x32x3.
  config.train.num_epochs = 200  # [source] "Epoch: 200".
  config.train.epoch_size = 0  # Epochs of SVHN's 73,257 images.
  config.train.sample_every = 1430  # Every 5 epochs (286 steps/epoch).
  config.train.checkpoint_every = 1430
  return config
