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
- :mod:`~bci.feedback.stage`: the processor as a post-decoder stage of the session loop;
- :mod:`~bci.feedback.sinks`, :mod:`~bci.feedback.outlet`, :mod:`~bci.feedback.osc`:
  where samples go (session sinks);
- :mod:`~bci.feedback.program`: the live session and the offline run, both the one
  session loop of :mod:`bci.runtime`;
- :mod:`~bci.feedback.summary`: JSON + PNG session report.

The command is :mod:`bci.cli.neurofeedback`.
"""

from importlib import import_module

_LAZY = {
    "ArtifactDetector": "artifacts",
    "BaselineNormaliser": "normaliser",
    "OscAddress": "osc", "OscSender": "osc", "FeedbackOscSender": "osc",
    "parse_osc_address": "osc",
    "FEEDBACK_CHANNELS": "outlet", "FeedbackOutlet": "outlet",
    "FeedbackSample": "processor", "NeurofeedbackProcessor": "processor",
    "FeedbackSettings": "protocol", "Protocol": "protocol", "load_protocol": "protocol",
    "parse_protocol": "protocol",
    "DwellReward": "reward",
    "FeedbackRun": "program", "build_feedback": "program", "open_feedback": "program",
    "run_feedback_offline": "program",
    "FeedbackStage": "stage",
    "FeedbackSink": "sinks", "FeedbackOscSink": "sinks", "FeedbackPrinter": "sinks",
    "plot_session": "summary", "session_summary": "summary", "write_summary": "summary",
}

__all__ = [
    "FEEDBACK_CHANNELS",
    "ArtifactDetector",
    "BaselineNormaliser",
    "DwellReward",
    "FeedbackOscSender",
    "FeedbackOscSink",
    "FeedbackOutlet",
    "FeedbackPrinter",
    "FeedbackRun",
    "FeedbackSample",
    "FeedbackSettings",
    "FeedbackSink",
    "FeedbackStage",
    "NeurofeedbackProcessor",
    "OscAddress",
    "OscSender",
    "Protocol",
    "build_feedback",
    "load_protocol",
    "open_feedback",
    "parse_osc_address",
    "parse_protocol",
    "plot_session",
    "run_feedback_offline",
    "session_summary",
    "write_summary",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bci.feedback' has no attribute {name!r}")
    value = getattr(import_module(f"bci.feedback.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
