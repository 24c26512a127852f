"""bci.replay."""
