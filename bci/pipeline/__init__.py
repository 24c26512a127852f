"""bci.pipeline."""
