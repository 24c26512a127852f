"""Gesture outputs: LSL markers and OSC messages.

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

import numpy as np

from bci.postprocess.gestures import GestureEvent
from bci.stream.description import StreamDescription
from bci.stream.osc import OscSender
from bci.stream.outlet import Outlet


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


__all__ = ["GestureMarkerOutlet", "GestureOscSender", "gesture_marker",
           "parse_gesture_marker"]
