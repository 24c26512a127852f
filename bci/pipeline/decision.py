"""Decisions, and the LSL stream that carries them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bci.postprocess import GestureEvent, GestureMarkerOutlet
from bci.stream.description import StreamDescription
from bci.stream.outlet import Outlet


@dataclass(frozen=True)
class Decision:
    """What the decoder made of one window.

    Attributes
    ----------
    value : float
        Index of the predicted class in ``classes``, or the value of a continuous output.
    label : str or None
        Name of the predicted class (None for a continuous output).
    scores : ndarray, shape (n_scores,)
        One score per class (probabilities when the decoder has them), or the features
        of a continuous output.
    window_end : float
        LSL time of the newest sample the decision used.
    stop_index : int
        Sample index one past the window's last sample.
    true_label : str or None
        Class of the event a marker-locked window belongs to, when known.
    event_time : float or None
        LSL time of that event.
    gesture : str or None
        With ``[postprocess]``: the stable gesture after this decision (the rest class
        when none); None without.
    events : tuple of GestureEvent
        With ``[postprocess]``: the gesture onsets and offsets this decision caused.
    """

    value: float
    label: str | None
    scores: np.ndarray
    window_end: float
    stop_index: int
    true_label: str | None = None
    event_time: float | None = None
    gesture: str | None = None
    events: tuple[GestureEvent, ...] = ()

    def same_as(self, other: Decision) -> bool:
        """Bit-for-bit equality of what was decided (not of when it was pushed)."""
        return (self.value == other.value and self.label == other.label
                and np.array_equal(self.scores, other.scores)
                and self.stop_index == other.stop_index and self.gesture == other.gesture
                and self.events == other.events)


def decision_channels(score_names: list[str], *, gestures: bool = False) -> list[str]:
    """Channel labels of a decision stream (``gesture`` and ``event`` with [postprocess])."""
    extra = ["gesture", "event"] if gestures else []
    return ["class", *[f"score_{name}" for name in score_names], *extra, "window_end",
            "latency_ms"]


def event_code(events: tuple[GestureEvent, ...]) -> float:
    """``event`` channel value: +1 a gesture starts (also a switch), -1 back to rest, 0."""
    if any(e.kind == "onset" for e in events):
        return 1.0
    return -1.0 if events else 0.0


class DecisionOutlet:
    """The decision stream ``bci live`` pushes: one float64 sample per decision.

    Channels are ``class``, ``score_<name>`` per score, ``window_end`` and
    ``latency_ms`` (push time - window_end); each sample is stamped with its push time.
    Class names, the output kind and the channel labels are in the description
    (``desc/bci``). With a rest class (a ``[postprocess]`` pipeline), two channels come
    before ``window_end``: ``gesture`` (index of the stable gesture in the classes) and
    ``event`` (+1 a gesture starts, -1 the output returns to rest, 0 no change), and the
    onsets and offsets also go out as string markers (``onset:fist``, ``offset:fist``) on
    ``<name>-gestures``.

    Parameters
    ----------
    name : str
        Stream name (``bci-decisions`` by default on the command line).
    classes : list of str or None
        Class names in index order; None for a continuous output.
    score_names : list of str
        Names of the score channels (the classes, or the features of a continuous one).
    source_id : str
        LSL source id.
    metadata : dict
        More fields for ``desc/bci`` (e.g. the pipeline's name and budgets).
    rest : str or None
        The rest class of a ``[postprocess]`` pipeline: adds the gesture channels and
        the gesture marker stream.
    """

    def __init__(self, name: str, *, classes: list[str] | None, score_names: list[str],
                 source_id: str = "", metadata: dict | None = None,
                 rest: str | None = None) -> None:
        gestures = rest is not None and bool(classes)
        channels = decision_channels(score_names, gestures=gestures)
        self.n_channels = len(channels)
        self.n_scores = len(score_names)
        meta = {"classes": classes or [], "output": "class" if classes else "continuous",
                "channels": channels, **(metadata or {})}
        self.markers: GestureMarkerOutlet | None = None
        self._gesture_index: dict[str, int] = {}
        if gestures:
            meta.update(output="gestures", rest=rest, gesture_markers=f"{name}-gestures")
            self._gesture_index = {c: i for i, c in enumerate(classes)}
        self.description = StreamDescription(
            name=name, stype="Decisions", sfreq=0.0, ch_names=tuple(channels),
            ch_types=tuple("misc" for _ in channels), units=tuple("" for _ in channels),
            channel_format="double64", source_id=source_id, metadata=meta)
        self._outlet = Outlet(self.description)
        if gestures:
            self.markers = GestureMarkerOutlet(
                f"{name}-gestures", classes=classes, rest=rest,
                source_id=f"{source_id}-gestures" if source_id else "",
                metadata={"decisions": name})
        self._sample = np.zeros(self.n_channels)

    def push(self, decision: Decision, push_time: float) -> float:
        """Push one decision stamped ``push_time``; return its latency in ms."""
        latency_ms = (push_time - decision.window_end) * 1e3
        sample = self._sample
        sample[0] = decision.value
        sample[1:1 + self.n_scores] = decision.scores
        if self.markers is not None:
            sample[-4] = self._gesture_index[decision.gesture]
            sample[-3] = event_code(decision.events)
        sample[-2] = decision.window_end
        sample[-1] = latency_ms
        self._outlet.push_sample(sample, push_time)
        if self.markers is not None and decision.events:
            self.markers.push(decision.events, push_time)
        return latency_ms

    def have_consumers(self) -> bool:
        """Whether an inlet is connected."""
        return self._outlet.have_consumers()

    def close(self) -> None:
        """Withdraw the stream (and the gesture markers)."""
        self._outlet.close()
        if self.markers is not None:
            self.markers.close()
