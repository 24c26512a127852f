"""Recordings to work with: public datasets, and a simulated headset.

:func:`simulate` makes a synthetic recording of any paradigm the toolkit decodes, from
the signal model described in ``docs/simulate.md``; :func:`write_simulation` writes one
to a FIF file (``bci simulate``).
"""

from bci.datasets.simulate import MODEL_VERSION, PARADIGMS, simulate, write_simulation

__all__ = ["MODEL_VERSION", "PARADIGMS", "simulate", "write_simulation"]
