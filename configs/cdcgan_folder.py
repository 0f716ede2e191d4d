"""configs/dcgan_folder.py conditioned on the folder's classes (one
subfolder per class): G gets a learnt label embedding beside z, D a
projection of it (Miyato & Koyama). Set model.num_classes to the number of
class subfolders; the run says so if it differs.

  python -m jaxgan.main --config=configs/cdcgan_folder.py --workdir=runs/mine \
    --config.data.data_dir=FOLDER --config.model.num_classes=10
"""

from jaxgan.configs import dcgan_folder


def get_config():
  config = dcgan_folder.get_config()
  config.model.generator = 'radford_cdcgan_g'
  config.model.discriminator = 'radford_cdcgan_d'
  config.model.num_classes = 10  # The folder's class subfolders.
  config.model.conditional.embed_dim = 50
  config.model.conditional.d_conditioning = 'projection'
  # 10x10 grids: image i is of class i mod 10, one class per column.
  config.train.num_sample_images = 100
  return config
