"""bci.decoders."""
