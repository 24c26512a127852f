"""The status stream: every status event of a session as a string marker."""

from __future__ import annotations

import pylsl

from bci.pipeline.step import SessionInfo, Step
from bci.stream.description import StreamDescription
from bci.stream.outlet import Outlet


class StatusSink:
    """Pushes each :class:`~bci.pipeline.step.StatusEvent` on ``<name>`` (``Markers``).

    ``bci live`` publishes ``<decisions>-status``: gaps, stalls, repaired NaN bursts,
    decoder errors, replaced sources, a recorder that stopped — one line each, so a
    receiver can exclude the affected trials.

    Parameters
    ----------
    name : str
        Stream name.
    source_id : str
        LSL source id.
    """

    def __init__(self, name: str, *, source_id: str = "") -> None:
        self.description = StreamDescription.for_markers(name, source_id=source_id)
        self._outlet = Outlet(self.description)
        self.n_pushed = 0

    def open(self, info: SessionInfo) -> None:
        """Nothing to prepare: the stream exists from construction."""

    def write(self, step: Step) -> None:
        """Push the step's events, stamped with the step's time (or now)."""
        for event in step.events:
            stamp = step.now if step.now is not None else pylsl.local_clock()
            self._outlet.push_marker(event.message, stamp)
            self.n_pushed += 1

    def close(self) -> None:
        """Withdraw the stream."""
        self._outlet.close()
