"""He's 64x64 DCGAN (his Figure 4): uniform z projected to 4x4x1024,
four fractionally-strided 5x5 convs to 8x8x512, 16x16x256, 32x32x128 and
64x64x3. On CelebA faces, center-cropped to 108x108 and resized to 64x64 as
the DCGAN authors' code prepares them.

  python -m jaxgan.main --config=configs/dcgan_radford_celeba.py --workdir=runs/dcgan_celeba
"""

from jaxgan.configs import dcgan_radford_mnist


def get_config():
  config = dcgan_radford_mnist.get_config()
  config.data.name = 'celeb_a'  # Through tensorflow-datasets (or npz).
  config.model.generator = 'dcgan_radford64_g'  # [source] Figure 4.
  config.model.discriminator = 'dcgan_radford64_d'
  config.train.num_steps = 0
  config.train.num_epochs = 5  # [unstated] Radford et al.'s face runs.
  config.train.epoch_size = 0  # Epochs of CelebA's 162,770 faces.
  config.train.sample_every = 0  # Automatic: 25 grids.
  config.train.checkpoint_every = 1000
  return config
