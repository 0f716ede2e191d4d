"""What a run looked like: its scalar history, figures, progress GIF, latent
walks and the self-contained HTML page of `python -m jaxgan.report`."""
