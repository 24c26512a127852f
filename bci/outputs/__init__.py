"""Sinks: where a session's steps go — LSL streams, OSC, the terminal, memory.

Each sink has ``open(info)``, ``write(step)`` and ``close()`` (see
:class:`bci.pipeline.step.Sink`) and runs on the session's thread. The recorder's sink is
in :mod:`bci.record`, neurofeedback's in :mod:`bci.feedback`.
"""

from bci.outputs.collect import Collector
from bci.outputs.decisions import DecisionOutlet, DecisionSink, decision_channels, event_code
from bci.outputs.osc import GestureOscSink
from bci.outputs.printer import DecisionPrinter
from bci.outputs.status import StatusSink

__all__ = ["Collector", "DecisionOutlet", "DecisionPrinter", "DecisionSink",
           "GestureOscSink", "StatusSink", "decision_channels", "event_code"]
