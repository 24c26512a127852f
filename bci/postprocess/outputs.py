"""Gesture outputs: LSL markers, OSC messages, and the hook that feeds them live.

The gesture marker stream (type ``Markers``, one string channel) carries one marker per
event, ``onset:<gesture>`` or ``offset:<gesture>``, stamped with its push time like the
decision stream; a direct switch gives ``offset:a`` then ``onset:b``. Its description
(``desc/bci``) names the classes and the rest class.

Over OSC (UDP), each decision sends ``<prefix>/scores`` (one float per class, in class
order) and ``<prefix>/gesture`` (the stable gesture's name, the rest class when none);
each event sends ``<prefix>/onset`` or ``<prefix>/offset`` with the gesture's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pylsl

from bci.postprocess.gestures import GestureEvent, GestureStabiliser, WindowDecision
from bci.stream.description import StreamDescription
from bci.stream.osc import OscSender
from bci.stream.outlet import Outlet

if TYPE_CHECKING:
    pass


def gesture_marker(event: GestureEvent) -> str:
    """The marker text of an event: ``onset:fist``, ``offset:fist``."""
    return f"{event.kind}:{event.gesture}"


def parse_gesture_marker(text: str) -> tuple[str, str]:
    """``(kind, gesture)`` of a gesture marker.

    Raises
    ------
    ValueError
        Not ``onset:<gesture>`` or ``offset:<gesture>``.
    """
    kind, sep, gesture = text.partition(":")
    if not sep or kind not in ("onset", "offset") or not gesture:
        raise ValueError(f"not a gesture marker: {text!r} (expected onset:NAME or "
                         "offset:NAME)")
    return kind, gesture


class GestureMarkerOutlet:
    """An LSL string marker stream of gesture onsets and offsets.

    Parameters
    ----------
    name : str
        Stream name (e.g. ``bci-decisions-gestures``).
    classes : sequence of str
        The decoder's classes.
    rest : str
        The rest class (never announced by a marker: its "onset" is another's offset).
    source_id : str
        LSL source id.
    metadata : dict or None
        More fields for ``desc/bci``.
    """

    def __init__(self, name: str, *, classes: Sequence[str], rest: str,
                 source_id: str = "", metadata: dict | None = None) -> None:
        meta = {"output": "gestures", "classes": list(classes), "rest": rest,
                "markers": "onset:<gesture> | offset:<gesture>", **(metadata or {})}
        self.description = StreamDescription(
            name=name, stype="Markers", sfreq=0.0, ch_names=("gesture",),
            ch_types=("stim",), units=("",), channel_format="string",
            source_id=source_id, metadata=meta)
        self._outlet = Outlet(self.description)
        self.n_pushed = 0

    def push(self, events: Sequence[GestureEvent], push_time: float) -> None:
        """Push one marker per event, in order, all stamped ``push_time``."""
        for event in events:
            self._outlet.push_marker(gesture_marker(event), push_time)
            self.n_pushed += 1

    def have_consumers(self) -> bool:
        """Whether an inlet is connected."""
        return self._outlet.have_consumers()

    def close(self) -> None:
        """Withdraw the stream."""
        self._outlet.close()


class GestureOscSender(OscSender):
    """Sends scores, the stable gesture and its events as OSC messages over UDP.

    Parameters
    ----------
    address : OscAddress
        From :func:`bci.feedback.osc.parse_osc_address` (``--osc HOST:PORT``).
    prefix : str
        Address prefix (``/bci`` gives ``/bci/scores``, ``/bci/gesture``, ``/bci/onset``,
        ``/bci/offset``).

    Attributes
    ----------
    n_sent, n_errors : int
        Decisions sent, and decisions whose messages could not all be sent (UDP is
        best-effort: the live loop must not die of a full socket buffer).
    """

    def send(self, scores: np.ndarray, gesture: str, events: Sequence[GestureEvent]) -> None:
        """Send one decision's messages; count, never raise, socket errors."""
        self.send_all([self.message("scores", *(float(s) for s in scores)),
                       *(self.message(e.kind, e.gesture) for e in events),
                       self.message("gesture", gesture)])


class GestureRelay:
    """Stabilises each live decision and sends its gesture events on.

    A callable with the signature of :class:`bci.pipeline.Session`'s ``on_decision``
    hook (it runs in the session's worker thread, after the decision was pushed): pass
    it to :func:`bci.pipeline.live.open_live` to turn a running classifier into a
    gesture interface.

    Parameters
    ----------
    stabiliser : GestureStabiliser
        Built for the model's classes and the stream's rate.
    outlet : GestureMarkerOutlet or None
        Where the onset and offset markers go.
    osc : GestureOscSender or None
        Where OSC messages go.
    keep : bool
        Keep every event in ``self.events`` (tests, short runs).

    Attributes
    ----------
    n_decisions : int
        Decisions fed so far.
    """

    def __init__(self, stabiliser: GestureStabiliser, *,
                 outlet: GestureMarkerOutlet | None = None,
                 osc: GestureOscSender | None = None, keep: bool = False) -> None:
        self.stabiliser = stabiliser
        self.outlet = outlet
        self.osc = osc
        self.keep = keep
        self.events: list[GestureEvent] = []
        self.n_decisions = 0

    def __call__(self, decision: WindowDecision, latency_ms: float | None = None) -> None:
        """Feed one decision (``latency_ms`` is the session's, unused here)."""
        events = self.stabiliser.update(decision)
        self.n_decisions += 1
        if events and self.outlet is not None:
            self.outlet.push(events, pylsl.local_clock())
        if self.osc is not None:
            self.osc.send(decision.scores, self.stabiliser.current, events)
        if self.keep:
            self.events.extend(events)


__all__ = ["GestureMarkerOutlet", "GestureOscSender", "GestureRelay", "gesture_marker",
           "parse_gesture_marker"]
