"""Kapoor & Orozco: the LSTM GAN. The image's 28 rows are the
sequence; 2 LSTM layers per net, capped with a dense layer; gradient clipping
at global norm 5.0 and Table 1's other settings (configs/mlp_gan_mnist.py).

  python -m jaxgan.main --config=configs/lstm_gan_mnist.py --workdir=runs/lstm_gan
"""

from jaxgan.configs import mlp_gan_mnist


def get_config():
  config = mlp_gan_mnist.get_config()
  config.model.generator = 'lstm_g'
  config.model.discriminator = 'lstm_d'
  config.model.lstm.num_layers = 2  # [source] Table 1 "Layers 2".
  # [source] Table 2 tunes "Number of Units"; [unstated] value.
  config.model.lstm.units = 128
  config.optimizer.grad_clip_norm = 5.0  # [source] "Max Gradient Norm 5.0".
  return config
