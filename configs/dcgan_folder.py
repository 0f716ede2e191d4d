"""Radford et al.'s DCGAN on a folder of your own images, at any size from
28 pixels: G projects z to a 4x4 map (7x7 at 28) and doubles it with one
5x5 transposed conv per doubling, D mirrors it; the paper's optimizer
(Adam 2e-4, beta1 0.5), batch 128 and N(0, 0.02) init. jaxgan's recipe for
data no source trained on, not a source's experiment.

  python -m jaxgan.main --config=configs/dcgan_folder.py --workdir=runs/mine \
    --config.data.data_dir=FOLDER [--config.data.image_size=32]

FOLDER holds images (PNG, JPEG, WebP, BMP, GIF; any size and mode), in
class subfolders or not: this model ignores labels (configs/cdcgan_folder.py
uses them).
"""

from jaxgan.configs import default


def get_config():
  config = default.get_config()
  config.data.name = 'folder'  # A name for the data, in logs and records.
  config.data.source = 'folder'
  config.data.data_dir = ''  # Required: the folder of images.
  config.data.image_size = 64  # Radford et al.'s; 32 trains 4x faster.
  config.data.channels = 3
  config.data.batch_size = 128  # Radford et al.: "mini-batch ... of 128".
  config.model.generator = 'radford_dcgan_g'
  config.model.discriminator = 'radford_dcgan_d'
  config.model.dcgan.width = 64  # The paper's 64x64 nets (1024 at 4x4).
  config.model.kernel_init = 'normal_0.02'  # Radford et al.
  config.model.g_activation = 'relu'  # Radford et al.: ReLU in G,
  config.model.leaky_relu_slope = 0.2  # LeakyReLU 0.2 in D,
  config.model.d_batchnorm = True  # BatchNorm in both but D's input layer.
  config.loss.name = 'non_saturating'
  config.optimizer.g_learning_rate = 2e-4  # Radford et al.
  config.optimizer.d_learning_rate = 2e-4
  config.optimizer.b1 = 0.5
  # One G forward per step: D, then G on the same fakes (PyTorch's DCGAN).
  config.train.update_scheme = 'alternating'
  config.train.num_epochs = 25  # Epochs of the images in the folder.
  config.train.epoch_size = -1
  config.train.num_sample_images = 64
  return config
