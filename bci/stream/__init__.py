"""bci.stream."""
