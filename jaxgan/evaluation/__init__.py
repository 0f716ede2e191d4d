"""Measuring sample quality: an evaluator classifier trained per dataset,
metrics on its features, and the DCGAN paper's protocols."""
