"""bci.dsp."""
