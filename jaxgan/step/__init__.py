"""The train step: the D and G updates, losses and regularisers,
optimizers, noise and sampling, the train state."""
