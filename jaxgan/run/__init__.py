"""A run: its parts from the config, the training loop, checkpoints,
recovery, progress, evaluation during training, a run read back from its
workdir."""
