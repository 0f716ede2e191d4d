"""How far bfloat16 compute moves a trained run's gradients, next to how far
another minibatch moves them.

  python launch/bf16_gradient_check.py --workdir=runs/dcgan_mnist

At the run's latest checkpoint, on one batch of real images and noise, the
gradients of D's loss (with each D regulariser, such as the gradient
penalty, on its own line) and of G's loss are computed in float32 and in
bfloat16 (`model.compute_dtype`), and in float32 on a second batch. For each: the
relative difference of the whole gradient, its cosine, and the parameters
that move most. If bfloat16 changes a gradient by much less than the next
minibatch does, its rounding is not what sets the run's course.
"""

from absl import app
from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

from jaxgan.datasets import data
from jaxgan.run import runs
from jaxgan.run.assemble import build_models
from jaxgan.step import losses

FLAGS = flags.FLAGS
flags.DEFINE_string('workdir', None, 'A run directory with a checkpoint.')
flags.DEFINE_integer('batch_size', 64, 'Images (and noise vectors) per batch.')
flags.mark_flag_as_required('workdir')


def gradients(config, state, images, dtype, seed):
  """{term: (value, {parameter path: gradient})} in compute dtype `dtype`."""
  config = config.copy_and_resolve_references()
  config.model.compute_dtype = dtype
  g_model, d_model = build_models(config)
  loss = losses.bind(config.loss)
  keys = jax.random.split(jax.random.key(seed), 3)
  batch = images.shape[0]
  z = jax.random.normal(keys[0], (batch, config.model.noise_dim))
  labels = (jnp.arange(batch) % config.model.num_classes
            if config.model.num_classes else None)
  real = jnp.asarray(images, jnp.float32) / 127.5 - 1.0

  def critic(d_params, x):
    return d_model.apply(
        {'params': d_params, 'batch_stats': state.d_batch_stats}, x, labels,
        train=True, rngs={'dropout': keys[1]},
        mutable=['batch_stats'])[0].astype(jnp.float32)

  def generate(g_params):
    return g_model.apply(
        {'params': g_params, 'batch_stats': state.g_batch_stats}, z, labels,
        train=True, rngs={'dropout': keys[1]},
        mutable=['batch_stats'])[0].astype(jnp.float32)

  fake = generate(state.g_params)
  terms = {'d_loss': (lambda p: loss.discriminator(critic(p, real),
                                                   critic(p, fake)),
                      state.d_params)}
  for name, penalty, _ in loss.d_regularizers:
    terms[name] = (
        lambda p, penalty=penalty: penalty(lambda x: critic(p, x), real, fake,
                                           keys[2]), state.d_params)
  terms['g_loss'] = (lambda p: loss.generator(critic(state.d_params,
                                                     generate(p))),
                     state.g_params)
  result = {}
  for name, (function, params) in terms.items():
    value, grads = jax.jit(jax.value_and_grad(function))(params)
    result[name] = (float(value), {
        jax.tree_util.keystr(path): np.ravel(leaf)
        for path, leaf in jax.tree_util.tree_leaves_with_path(grads)})
  return result


def compare(reference, other, label):
  print(f'== {label}')
  for name, (value, grads) in reference.items():
    other_value, other_grads = other[name]
    a = np.concatenate(list(grads.values()))
    b = np.concatenate(list(other_grads.values()))
    relative = np.linalg.norm(b - a) / np.linalg.norm(a)
    cosine = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    per_leaf = sorted(((np.linalg.norm(other_grads[k] - g) /
                        (np.linalg.norm(g) + 1e-30), k)
                       for k, g in grads.items()), reverse=True)[:3]
    print(f'{name}: value {value:.5g} vs {other_value:.5g} | gradient '
          f'relative difference {relative:.4f}, cosine {cosine:.5f} | most: ' +
          ', '.join(f'{k} {r:.3f}' for r, k in per_leaf))


def main(argv):
  del argv
  config = runs.load_config(FLAGS.workdir)
  _, _, state = runs.load_state(FLAGS.workdir, config, 'latest')
  dataset = data.load(config.data.name, source=config.data.source,
                      data_dir=config.data.data_dir)
  n = FLAGS.batch_size
  first, second = dataset.images[:n], dataset.images[n:2 * n]
  reference = gradients(config, state, first, 'float32', 0)
  compare(reference, gradients(config, state, first, 'bfloat16', 0),
          'bfloat16, the same batch')
  compare(reference, gradients(config, state, second, 'float32', 1),
          'float32, another batch')


if __name__ == '__main__':
  app.run(main)
