"""The DCGAN authors' conditional MNIST model as He's TensorFlow port ran it
(He, "Replicating Deep Convolution Generative Adversarial Network using
existing code"; yihui-he/GAN-MNIST, `mnist/model.py` and `mnist/train.py`),
to test whether his nearest-neighbour figure (5.19% at his 20K steps) rests
on what the port changed. configs/cdcgan_radford_mnist.py is the authors'
model; the port differs from it in three places, all taken here:

- D's logit is batch-normalised and passed through a LeakyReLU, and the
  port's cross-entropy clips it to [1e-7, 1 - 1e-7] before the sigmoid
  (`cdcgan_he_d`);
- no L2 weight decay (the authors' 2.5e-5 is not ported);
- both nets on pixels in [0, 1], G ending in a sigmoid (`model.unit_pixels`).

  python -m jaxgan.main --config=configs/cdcgan_he_mnist.py --workdir=runs/cdcgan_he_mnist
"""

from jaxgan.configs import cdcgan_radford_mnist


def get_config():
  config = cdcgan_radford_mnist.get_config()  # 10k steps: his 20K updates.
  config.model.discriminator = 'cdcgan_he_d'  # [port] BN + lrelu + clip.
  config.model.unit_pixels = True  # [port] X / 255., sigmoid G.
  config.optimizer.weight_decay = 0.0  # [port] plain Adam.
  return config
