"""A quick look for CPU users: Kapoor & Orozco's linear (MLP) GAN, the most
CPU-friendly source recipe (about 40 steps/s at batch 256 on 2 cores, where
a DCGAN step takes 1.3 s), stopped at 120 of its 500 epochs and evaluated at
the end. Digits of every class, many recognisable, in about 12 minutes on a
2-core CPU (11m41s measured, docs/results.md); configs/mlp_gan_mnist.py is
the full recipe.

  python -m jaxgan.main --config=configs/mlp_gan_quick_look_mnist.py --workdir=runs/mlp_gan_quick_look
"""

from jaxgan.configs import mlp_gan_mnist


def get_config():
  config = mlp_gan_mnist.get_config()
  config.train.num_epochs = 120  # 28,080 steps.
  config.train.epoch_size = 0  # Epochs of MNIST's 60,000 digits.
  config.train.sample_every = 0  # Automatic: 25 grids.
  config.train.checkpoint_every = 28_080 // 4
  # Scored once, at the end, with the shipped evaluator.
  config.train.eval_every = 28_080
  config.eval.num_samples = 1000  # The bundled subset's held-out count.
  return config
