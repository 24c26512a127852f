"""bci.io."""
