"""Judging a trained classifier or a generator: clean accuracy, attacks, robustness, FID(task) and CAS."""
