"""The attention platform, headless parts: CPT scoring, resting-EEG measures,
simulation, the assessment session, a person's history and the course across sessions.

The windows (the CPT, the neurofeedback display) live in ``bci_apps``. Names are loaded
on first use, so that ``bci --help`` (which builds the ``assess`` parser from
:mod:`bci.attention.command`) does not import scipy.
"""

from __future__ import annotations

import importlib

_NAMES = {"ANTICIPATORY_S": "cpt", "CptScores": "cpt", "Stimulus": "cpt",
          "score_cpt": "cpt", "AssessProtocol": "protocol",
          "load_assess_protocol": "protocol", "parse_assess_protocol": "protocol",
          "resting_measures": "resting", "SimulatedEEG": "simulate",
          "SimulatedResponder": "simulate"}

__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name in _NAMES:
        return getattr(importlib.import_module(f"bci.attention.{_NAMES[name]}"), name)
    raise AttributeError(f"module 'bci.attention' has no attribute {name!r}")
