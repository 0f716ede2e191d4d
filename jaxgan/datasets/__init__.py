"""Data: datasets from tfds, IDX, npz, a folder or the bundled digits;
pixels and grids; the real batches, in memory or streamed."""
