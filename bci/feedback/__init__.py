"""Neurofeedback: a training-free decoder's value, normalised against a baseline.

``bci neurofeedback PROTOCOL.toml --stream N`` records a baseline, then pushes a 0-1
feedback value at a steady rate (in signal time) with a reward flag and artifact marks,
over LSL and optionally OSC, and writes a session summary (``docs/neurofeedback.md``).

The pieces, one idea per module:

- :mod:`~bci.feedback.protocol`: the protocol file (pipeline + ``[feedback]`` table);
- :mod:`~bci.feedback.normaliser`: baseline distribution -> percentile (0-1);
- :mod:`~bci.feedback.reward`: threshold + dwell;
- :mod:`~bci.feedback.artifacts`: large amplitude, flat line, gap;
- :mod:`~bci.feedback.processor`: decisions -> feedback samples on a signal-time grid;
- :mod:`~bci.feedback.session`: the live session and the offline run;
- :mod:`~bci.feedback.outlet` and :mod:`~bci.feedback.osc`: where samples go;
- :mod:`~bci.feedback.summary`: JSON + PNG session report;
- :mod:`~bci.feedback.cli`: the command (:func:`add_arguments`, :func:`run`).
"""

from bci.feedback.artifacts import ArtifactDetector, CheckedPipeline
from bci.feedback.cli import add_arguments, main, run
from bci.feedback.normaliser import BaselineNormaliser
from bci.feedback.osc import OscAddress, OscSender, parse_osc_address
from bci.feedback.outlet import FEEDBACK_CHANNELS, FeedbackOutlet
from bci.feedback.processor import FeedbackSample, NeurofeedbackProcessor
from bci.feedback.protocol import FeedbackSettings, Protocol, load_protocol, parse_protocol
from bci.feedback.reward import DwellReward
from bci.feedback.session import (
    FeedbackRun,
    FeedbackSession,
    build_feedback,
    run_feedback_offline,
)
from bci.feedback.summary import plot_session, session_summary, write_summary

__all__ = ["FEEDBACK_CHANNELS", "ArtifactDetector", "BaselineNormaliser", "CheckedPipeline",
           "DwellReward", "FeedbackOutlet", "FeedbackRun", "FeedbackSample",
           "FeedbackSession", "FeedbackSettings", "NeurofeedbackProcessor", "OscAddress",
           "OscSender", "Protocol", "add_arguments", "build_feedback", "load_protocol",
           "main", "parse_osc_address", "parse_protocol", "plot_session", "run",
           "run_feedback_offline", "session_summary", "write_summary"]
