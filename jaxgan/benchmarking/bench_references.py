"""Sun & Yang's DCGAN train step in PyTorch and in TF/Keras, for `jaxgan.bench`.

The same math as jaxgan's step for configs/dcgan_mnist.py: the same layers
(Dense 100->7*7*256 + BN + LeakyReLU(0.3), 5x5 transposed convs 128/64/1 with
strides 1/2/2 and BN + LeakyReLU between, tanh; 5x5 stride-2 convs 64/128/256
with LeakyReLU(0.3) and dropout 0.3, Dense(1)), the same update scheme as the
config timed (train.update_scheme), the non-saturating loss, Adam (G 1e-3, D
1e-4, betas 0.9/0.999, eps 1e-7), and batches drawn on the device from a
uint8 array. Only the initialisers and the exact placement of SAME padding
differ, which change no arithmetic. Each runs in float32 or in its own
bfloat16 mode: PyTorch's torch.autocast(dtype=torch.bfloat16), Keras'
mixed_bfloat16 policy.
"""

import os
import time
from typing import Callable, Optional, Tuple

import numpy as np

NOISE_DIM = 100
DATASET_SIZE = 2048

# Runs N more steps of a warmed-up reference; returns images/s.
Timer = Callable[[int], float]


def torch_timer(batch_size: int, scheme: str = 'alternating_fresh_noise',
                bfloat16: bool = False) -> Tuple[Optional[Timer], str]:
  """(timer, note) of the PyTorch eager step, built and warmed up; (None,
  why) if PyTorch is not installed."""
  try:
    import torch  # pylint: disable=g-import-not-at-top
    from torch import nn  # pylint: disable=g-import-not-at-top
  except ImportError:
    return None, "PyTorch not installed (pip install -e '.[bench]')"
  torch.manual_seed(0)
  torch.set_num_threads(os.cpu_count() or 1)

  def bn(c, dims):
    return (nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d)(
        c, eps=1e-3, momentum=0.01)

  generator = nn.Sequential(
      nn.Linear(NOISE_DIM, 7 * 7 * 256, bias=False), bn(7 * 7 * 256, 1),
      nn.LeakyReLU(0.3), nn.Unflatten(1, (256, 7, 7)),
      nn.ConvTranspose2d(256, 128, 5, 1, 2, bias=False), bn(128, 2),
      nn.LeakyReLU(0.3),
      nn.ConvTranspose2d(128, 64, 5, 2, 2, output_padding=1, bias=False),
      bn(64, 2), nn.LeakyReLU(0.3),
      nn.ConvTranspose2d(64, 1, 5, 2, 2, output_padding=1, bias=False),
      nn.Tanh())
  discriminator = nn.Sequential(
      nn.Conv2d(1, 64, 5, 2, 2), nn.LeakyReLU(0.3), nn.Dropout(0.3),
      nn.Conv2d(64, 128, 5, 2, 2), nn.LeakyReLU(0.3), nn.Dropout(0.3),
      nn.Conv2d(128, 256, 5, 2, 2), nn.LeakyReLU(0.3), nn.Dropout(0.3),
      nn.Flatten(), nn.Linear(4 * 4 * 256, 1))
  g_opt = torch.optim.Adam(generator.parameters(), 1e-3, betas=(0.9, 0.999),
                           eps=1e-7)
  d_opt = torch.optim.Adam(discriminator.parameters(), 1e-4,
                           betas=(0.9, 0.999), eps=1e-7)
  bce = nn.BCEWithLogitsLoss()
  images = torch.randint(0, 256, (DATASET_SIZE, 1, 28, 28), dtype=torch.uint8)
  ones, zeros = torch.ones(batch_size), torch.zeros(batch_size)

  d_params = list(discriminator.parameters())
  g_params = list(generator.parameters())

  def bce_logits(logits, target):
    return bce(logits[:, 0].float(), target)

  def alternating_fresh_noise(real):
    with torch.no_grad():
      fake = generator(torch.randn(batch_size, NOISE_DIM))
    d_loss = (bce_logits(discriminator(real), ones) +
              bce_logits(discriminator(fake), zeros))
    d_opt.zero_grad(set_to_none=True)
    d_loss.backward()
    d_opt.step()
    fake_logits = discriminator(generator(torch.randn(batch_size, NOISE_DIM)))
    g_opt.zero_grad(set_to_none=True)
    bce_logits(fake_logits, ones).backward()  # D's grads cleared before use.
    g_opt.step()

  def alternating(real):  # PyTorch's DCGAN example.
    fake = generator(torch.randn(batch_size, NOISE_DIM))
    d_loss = (bce_logits(discriminator(real), ones) +
              bce_logits(discriminator(fake.detach()), zeros))
    d_opt.zero_grad(set_to_none=True)
    d_loss.backward()
    d_opt.step()
    g_opt.zero_grad(set_to_none=True)
    bce_logits(discriminator(fake), ones).backward()
    g_opt.step()

  def simultaneous(real):  # Both losses from one forward pass.
    fake = generator(torch.randn(batch_size, NOISE_DIM))
    fake_logits = discriminator(fake)
    d_loss = (bce_logits(discriminator(real), ones) +
              bce_logits(fake_logits, zeros))
    g_loss = bce_logits(fake_logits, ones)
    d_grads = torch.autograd.grad(d_loss, d_params, retain_graph=True)
    g_grads = torch.autograd.grad(g_loss, g_params)
    for params, grads in ((d_params, d_grads), (g_params, g_grads)):
      for p, g in zip(params, grads):
        p.grad = g
    d_opt.step()
    g_opt.step()

  update = {'alternating_fresh_noise': alternating_fresh_noise,
            'alternating': alternating, 'simultaneous': simultaneous}[scheme]

  def step():
    index = torch.randint(0, DATASET_SIZE, (batch_size,))
    real = images[index].float() / 127.5 - 1.0
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bfloat16):
      update(real)

  def images_per_sec(num_steps: int) -> float:
    start = time.perf_counter()
    for _ in range(num_steps):
      step()
    return batch_size * num_steps / (time.perf_counter() - start)

  step()  # Warm-up (allocator, thread pool).
  mode = ', autocast bfloat16' if bfloat16 else ''
  return images_per_sec, (f'PyTorch {torch.__version__} eager{mode}, '
                          f'{torch.get_num_threads()} threads')


def keras_timer(batch_size: int, scheme: str = 'alternating_fresh_noise',
                bfloat16: bool = False) -> Tuple[Optional[Timer], str]:
  """(timer, note) of the TF/Keras tf.function step, traced and warmed up;
  (None, why) if TensorFlow is not installed."""
  try:
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    import keras  # pylint: disable=g-import-not-at-top
  except ImportError:
    return None, 'TensorFlow/Keras not installed'
  tf.config.set_visible_devices([], 'GPU')
  tf.random.set_seed(0)
  layers = keras.layers
  policy = keras.mixed_precision.global_policy()
  keras.mixed_precision.set_global_policy(
      'mixed_bfloat16' if bfloat16 else 'float32')

  def bn():
    return layers.BatchNormalization(epsilon=1e-3, momentum=0.99)

  generator = keras.Sequential([
      keras.Input((NOISE_DIM,)),
      layers.Dense(7 * 7 * 256, use_bias=False), bn(), layers.LeakyReLU(0.3),
      layers.Reshape((7, 7, 256)),
      layers.Conv2DTranspose(128, 5, 1, 'same', use_bias=False), bn(),
      layers.LeakyReLU(0.3),
      layers.Conv2DTranspose(64, 5, 2, 'same', use_bias=False), bn(),
      layers.LeakyReLU(0.3),
      layers.Conv2DTranspose(1, 5, 2, 'same', use_bias=False),
      # The output in float32, as Keras' mixed-precision guide advises.
      layers.Activation('tanh', dtype='float32')])
  discriminator = keras.Sequential([
      keras.Input((28, 28, 1)),
      layers.Conv2D(64, 5, 2, 'same'), layers.LeakyReLU(0.3),
      layers.Dropout(0.3),
      layers.Conv2D(128, 5, 2, 'same'), layers.LeakyReLU(0.3),
      layers.Dropout(0.3),
      layers.Conv2D(256, 5, 2, 'same'), layers.LeakyReLU(0.3),
      layers.Dropout(0.3),
      layers.Flatten(), layers.Dense(1, dtype='float32')])
  keras.mixed_precision.set_global_policy(policy)
  g_opt = keras.optimizers.Adam(1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
  d_opt = keras.optimizers.Adam(1e-4, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
  bce = keras.losses.BinaryCrossentropy(from_logits=True)
  images = tf.constant(np.random.default_rng(0).integers(
      0, 256, (DATASET_SIZE, 28, 28, 1), dtype=np.uint8))
  ones, zeros = tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))

  d_vars = discriminator.trainable_variables
  g_vars = generator.trainable_variables

  def noise():
    return tf.random.normal((batch_size, NOISE_DIM))

  def alternating_fresh_noise(real):
    fake = generator(noise(), training=True)
    with tf.GradientTape() as tape:
      d_loss = (bce(ones, discriminator(real, training=True)) +
                bce(zeros, discriminator(fake, training=True)))
    d_opt.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars))
    with tf.GradientTape() as tape:
      g_loss = bce(ones, discriminator(generator(noise(), training=True),
                                       training=True))
    g_opt.apply_gradients(zip(tape.gradient(g_loss, g_vars), g_vars))
    return d_loss + g_loss

  def alternating(real):
    with tf.GradientTape() as g_tape:
      fake = generator(noise(), training=True)
      with tf.GradientTape() as d_tape:
        d_loss = (bce(ones, discriminator(real, training=True)) +
                  bce(zeros, discriminator(tf.stop_gradient(fake),
                                           training=True)))
      d_opt.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars))
      g_loss = bce(ones, discriminator(fake, training=True))
    g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars))
    return d_loss + g_loss

  def simultaneous(real):  # The TensorFlow DCGAN tutorial's train_step.
    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
      fake_output = discriminator(generator(noise(), training=True),
                                  training=True)
      d_loss = (bce(ones, discriminator(real, training=True)) +
                bce(zeros, fake_output))
      g_loss = bce(ones, fake_output)
    g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars))
    d_opt.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars))
    return d_loss + g_loss

  update = {'alternating_fresh_noise': alternating_fresh_noise,
            'alternating': alternating, 'simultaneous': simultaneous}[scheme]

  @tf.function
  def step():
    index = tf.random.uniform((batch_size,), 0, DATASET_SIZE, tf.int32)
    real = tf.cast(tf.gather(images, index), tf.float32) / 127.5 - 1.0
    return update(real)

  def images_per_sec(num_steps: int) -> float:
    start = time.perf_counter()
    for _ in range(num_steps):
      loss = step()
    loss.numpy()
    return batch_size * num_steps / (time.perf_counter() - start)

  step().numpy()  # Trace and warm up.
  mode = ', mixed_bfloat16' if bfloat16 else ''
  return images_per_sec, (f'TF {tf.__version__} / Keras {keras.__version__} '
                          f'tf.function{mode}')


REFERENCES = {'torch': torch_timer, 'keras': keras_timer}
