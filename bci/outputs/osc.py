"""Decisions and gestures over OSC (``bci live --osc HOST:PORT``)."""

from __future__ import annotations

from bci.pipeline.step import SessionInfo, Step
from bci.postprocess import GestureOscSender


class GestureOscSink:
    """Sends each decision's scores, its stable gesture (or class) and gesture events.

    Parameters
    ----------
    sender : GestureOscSender
        The UDP transport (best-effort: send errors are counted, never raised).
    """

    def __init__(self, sender: GestureOscSender) -> None:
        self.sender = sender

    def open(self, info: SessionInfo) -> None:
        """Nothing to prepare."""

    def write(self, step: Step) -> None:
        """Send the step's decisions."""
        for decision in step.decisions:
            self.sender.send(decision.scores, decision.gesture or str(decision.label or ""),
                             decision.events)

    def close(self) -> None:
        """Close the socket."""
        self.sender.close()
