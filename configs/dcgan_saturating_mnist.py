"""Singh: the PyTorch-style DCGAN on MNIST, saturating loss.

configs/dcgan_nonsaturating_mnist.py with G minimising log(1 - D(G(z))), the
minimax objective, whose gradient -1/(1 - D(G(z))) stays small while D
rejects the fakes (the source's "with saturation" run).

  python -m jaxgan.main --config=configs/dcgan_saturating_mnist.py --workdir=runs/dcgan_sat
"""

from jaxgan.configs import dcgan_nonsaturating_mnist


def get_config():
  config = dcgan_nonsaturating_mnist.get_config()
  config.loss.name = 'saturating'  # [source] "with saturation".
  return config
