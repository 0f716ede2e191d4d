"""What `python -m jaxgan.bench` times jaxgan against: the PyTorch and
Keras references, the Inception features, XLA's op profile."""
