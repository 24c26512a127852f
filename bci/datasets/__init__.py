"""bci.datasets."""
