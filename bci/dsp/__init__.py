"""bci.dsp: stateful causal filters, re-referencing and features for the live path.

A chunk is a float64 array ``(n_channels, n_times)``; every stage is a callable
``chunk -> chunk`` that never modifies its input, keeps its state in attributes ending
in ``_`` and has ``reset()``. The pipeline builds the live path with
:meth:`FilterChain.from_config` from the TOML ``[[filters]]`` list; see
``docs/filters.md``.
"""

from bci.dsp.band_power import BandPower, band_power
from bci.dsp.chain import FILTER_KINDS, FilterChain
from bci.dsp.nonfinite import NonFiniteGuard
from bci.dsp.picks import Picks
from bci.dsp.reference import Reference
from bci.dsp.sos import (
    SosFilter,
    design_bandpass,
    design_highpass,
    design_lowpass,
    design_notch,
    stack_sos,
)

__all__ = [
    "FILTER_KINDS",
    "BandPower",
    "FilterChain",
    "NonFiniteGuard",
    "Picks",
    "Reference",
    "SosFilter",
    "band_power",
    "design_bandpass",
    "design_highpass",
    "design_lowpass",
    "design_notch",
    "stack_sos",
]
