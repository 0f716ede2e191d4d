"""The published results: each source's experiment, its length, the points
where the source reports and what it claims there.

`python -m jaxgan.reproduce` trains, evaluates and tabulates these; the
docs/results.md is its table. Lengths are the sources' own, in
steps of their batch (an epoch is one of MNIST's 60,000 digits, whatever
data stands in for them; see run_length.py).
"""

import dataclasses
from typing import Dict, Tuple

from jaxgan.run import run_length

# MNIST's 60,000 digits at batch 256 (integer division, as the sources'
# dataset iterators drop the last partial batch) and at batch 128.
EPOCH_AT_256 = 60_000 // 256  # 234 steps.
EPOCH_AT_128 = 60_000 // 128  # 468 steps.


@dataclasses.dataclass(frozen=True)
class Point:
  """Where a source reports: a step, and what the source calls it."""
  step: int
  label: str


@dataclasses.dataclass(frozen=True)
class Experiment:
  name: str
  config: str  # configs/<config>.py
  source: str  # Short citation; README, References.
  claim: str  # What the source reports, quoted where it can be.
  points: Tuple[Point, ...]  # Ascending; the last is the run's length.
  checkpoint_every: int  # Divides every point's step.
  # Judged by the bar (legible digits of all 10 classes): FD on
  # features within 10x of the real reference, classifier score >= 9, all
  # 10 modes. False for the models their sources call poor.
  called_good: bool = True

  @property
  def num_steps(self) -> int:
    return self.points[-1].step


def _epochs(*epochs: int, per: int = EPOCH_AT_256,
            critic_updates: int = 1) -> Tuple[Point, ...]:
  """Points after `epochs` epochs of D's batches, counted as a run counts
  them (run_length.steps_for_epochs)."""
  return tuple(Point(run_length.steps_for_epochs(e, per, critic_updates),
                     f'{e} epochs') for e in epochs)


EXPERIMENTS: Tuple[Experiment, ...] = (
    Experiment(
        'dcgan', 'dcgan_mnist', 'Sun & Yang',
        'DCGAN: "a good approximation" of the digits after 30 epochs; no '
        'visible improvement after 50.',
        _epochs(5, 30, 50), checkpoint_every=1170),
    Experiment(
        'dcgan_code', 'dcgan_mnist_code', 'Sun & Yang',
        'The same DCGAN as the authors\' released code runs it (uniform z, '
        'no BN after G\'s projection, BN in D, alternating updates).',
        _epochs(5, 30, 50), checkpoint_every=1170),
    Experiment(
        'wgan_gp', 'wgan_gp_mnist', 'Sun & Yang',
        'WGAN-GP: "no significant difference" from DCGAN at 50 epochs.',
        _epochs(5, 30, 50), checkpoint_every=1170),
    Experiment(
        'wgan_gp_gulrajani', 'wgan_gp_gulrajani_mnist',
        'Sun & Yang; Gulrajani et al.',
        'The same WGAN-GP with Gulrajani et al.\'s Algorithm 1 settings (5 '
        'critic updates per G update, Adam 1e-4, beta1 0, beta2 0.9) instead '
        'of DCGAN\'s.',
        _epochs(5, 30, 50, critic_updates=5), checkpoint_every=234),
    Experiment(
        'nonsat', 'dcgan_nonsaturating_mnist', 'Singh',
        'Non-saturating loss: digits "almost readable" after 10 epochs at '
        'batch 256.',
        _epochs(5, 10), checkpoint_every=1170),
    Experiment(
        'sat', 'dcgan_saturating_mnist', 'Singh',
        'Saturating loss: not readable after 10 epochs; G\'s gradients '
        'vanish.',
        _epochs(5, 10), checkpoint_every=1170, called_good=False),
    Experiment(
        'radford', 'dcgan_radford_mnist', 'He',
        'Radford et al.\'s DCGAN, k = 2, batch 128: basic shapes at 5k steps, '
        'digits at 20k.',
        (Point(5000, '5k steps'), Point(10_000, '10k steps'),
         Point(20_000, '20k steps')), checkpoint_every=2500),
    Experiment(
        'cdcgan', 'cdcgan_mnist', 'He; Radford et al.',
        'Class-conditional DCGAN: 1-NN classifier fitted on its samples errs '
        'on 5.19% of the test digits (real digits: 3.22%); Radford et al.: '
        '2.98% vs 3.1%.',
        (Point(10_000, '10k steps'), Point(20_000, '20k steps')),
        checkpoint_every=2500),
    Experiment(
        'cdcgan_radford', 'cdcgan_radford_mnist', 'He; Radford et al.',
        'The same protocol on the DCGAN authors\' own conditional model '
        '(the label fed to every layer), which He\'s code runs: He\'s 20K '
        'steps count D and G updates alike, 10k of jaxgan\'s steps.',
        (Point(5000, '5k steps'), Point(10_000, '10k steps'),
         Point(20_000, '20k steps')),
        checkpoint_every=2500),
    Experiment(
        'cdcgan_he', 'cdcgan_he_mnist', 'He',
        'The DCGAN authors\' conditional model as He\'s TensorFlow port ran '
        'it (D\'s logit batch-normalised, LeakyReLU\'d and clipped; no '
        'weight decay; [0, 1] pixels): 1-NN error 5.19% at his 20K updates '
        '(10k of jaxgan\'s steps).',
        (Point(5000, '5k steps'), Point(10_000, '10k steps')),
        checkpoint_every=2500),
    Experiment(
        'mlp', 'mlp_gan_mnist', 'Kapoor & Orozco',
        'Linear (MLP) GAN: fastest and sharpest; "in all but a few cases, '
        'the numbers are clearly legible".',
        _epochs(100, 500), checkpoint_every=11_700),
    Experiment(
        'conv', 'conv_gan_mnist', 'Kapoor & Orozco',
        'Convolutional GAN without pooling: next best, improving with '
        'training.',
        _epochs(100, 500), checkpoint_every=11_700, called_good=False),
    Experiment(
        'conv_pool', 'conv_pool_gan_mnist', 'Kapoor & Orozco',
        'Convolutional GAN with pooling: poor.',
        _epochs(100, 500), checkpoint_every=11_700, called_good=False),
    Experiment(
        'lstm', 'lstm_gan_mnist', 'Kapoor & Orozco',
        'LSTM GAN: poor.',
        _epochs(100, 500), checkpoint_every=11_700, called_good=False),
    Experiment(
        'tutorial', 'dcgan_tutorial_mnist', 'Vijaya Lakshmi & Ganaraju',
        'The TensorFlow DCGAN tutorial\'s 50 epochs at batch 128.',
        _epochs(10, 50, per=EPOCH_AT_128), checkpoint_every=2340),
)

BY_NAME: Dict[str, Experiment] = {e.name: e for e in EXPERIMENTS}

# The comparisons the sources make, and the one that shows why the source's
# WGAN-GP stalls: name -> experiments, overlaid by `jaxgan.report --compare`.
COMPARISONS: Dict[str, Tuple[str, ...]] = {
    'saturating_vs_nonsaturating': ('sat', 'nonsat'),
    'dcgan_vs_wgan_gp': ('dcgan', 'wgan_gp'),
    'wgan_gp_vs_gulrajani': ('wgan_gp', 'wgan_gp_gulrajani'),
    'kapoor_orozco_families': ('mlp', 'conv', 'conv_pool', 'lstm'),
}
