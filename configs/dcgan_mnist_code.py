"""Sun & Yang's DCGAN on MNIST as their released code runs it (Sun & Yang,
"Implementing GAN on MNIST and SVHN", section 2; github.com/Shengjie-Sun/
GR5242-FP-GAN, code/GANs-CoLab.ipynb): the code that drew the paper's
figures differs from the paper's text, which configs/dcgan_mnist.py follows,
in five places, each marked [code]:

- z is uniform on [-1, 1] (`tf.random.uniform(..., minval=-1, maxval=1)`),
  not normal;
- G's projection has no BatchNorm: the code builds `bn0` and never calls it;
- LeakyReLU is `tf.nn.leaky_relu`, slope 0.2, not the Keras layer's 0.3;
- D has BatchNorm after its second and third convs;
- D is updated first, then G on the same noise against the updated D.

Everything else (sizes, dropout 0.3, Adam 1e-3 / 1e-4 with Keras defaults,
batch 256, Keras BatchNorm defaults, 100 epochs) is as in dcgan_mnist.

  python -m jaxgan.main --config=configs/dcgan_mnist_code.py --workdir=runs/dcgan_mnist_code
"""

from jaxgan.configs import dcgan_mnist


def get_config():
  config = dcgan_mnist.get_config()
  config.model.noise_distribution = 'uniform'  # [code]
  config.model.generator = 'dcgan_mnist_code_g'  # [code] no BN after Dense.
  config.model.leaky_relu_slope = 0.2  # [code] tf.nn.leaky_relu.
  config.model.d_batchnorm = True  # [code] bn2, bn3.
  # [code] a D update on G(z), then a G update on G(z) for the same z.
  config.train.update_scheme = 'alternating'
  return config
