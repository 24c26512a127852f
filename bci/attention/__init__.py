"""The attention platform, headless parts: CPT scoring, resting-EEG measures,
simulation, the assessment session, a person's history and the course across sessions.

The windows (the CPT, the neurofeedback display) live in ``bci_apps``.
"""

from bci.attention.cpt import ANTICIPATORY_S, CptScores, Stimulus, score_cpt
from bci.attention.protocol import AssessProtocol, load_assess_protocol, parse_assess_protocol
from bci.attention.resting import resting_measures
from bci.attention.simulate import SimulatedEEG, SimulatedResponder

__all__ = ["ANTICIPATORY_S", "AssessProtocol", "CptScores", "SimulatedEEG",
           "SimulatedResponder", "Stimulus", "load_assess_protocol", "parse_assess_protocol",
           "resting_measures", "score_cpt"]
