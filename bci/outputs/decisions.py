"""The decision stream ``bci live`` pushes, and the sink that feeds it."""

from __future__ import annotations

import time

import numpy as np

from bci.pipeline.decision import Decision
from bci.pipeline.step import SessionInfo, Step
from bci.postprocess import GestureEvent, GestureMarkerOutlet
from bci.stream.description import StreamDescription
from bci.stream.outlet import Outlet


def decision_channels(score_names: list[str], *, gestures: bool = False,
                      targets: bool = False) -> list[str]:
    """Channel labels of a decision stream (``gesture`` and ``event`` with [postprocess]).

    A regression's outputs are named after their targets (``cursor_vx``, ...); other
    scores are ``score_<name>``.
    """
    extra = ["gesture", "event"] if gestures else []
    scores = list(score_names) if targets else [f"score_{name}" for name in score_names]
    return ["class", *scores, *extra, "window_end", "latency_ms"]


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
        Stream name (``<input>-decisions`` by default on the command line).
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
                 rest: str | None = None, targets: list[str] | None = None) -> None:
        gestures = rest is not None and bool(classes)
        channels = decision_channels(score_names, gestures=gestures, targets=bool(targets))
        self.n_channels = len(channels)
        self.n_scores = len(score_names)
        meta = {"classes": classes or [], "output": "class" if classes else "continuous",
                "channels": channels, **(metadata or {})}
        if targets:
            meta["targets"] = list(targets)
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


class DecisionSink:
    """Pushes every decision of a step on a :class:`DecisionOutlet`, stamped ``step.now``.

    The outlet is created with the sink (before the session starts) so that receivers,
    a recorder among them, can subscribe before the first decision. The push time of
    each sample is the step's ``now``, the time the session also measures latency at.

    Parameters
    ----------
    outlet : DecisionOutlet
    """

    def __init__(self, outlet: DecisionOutlet) -> None:
        self.outlet = outlet
        self._stats = None

    @property
    def description(self) -> StreamDescription:
        """The decision stream's description."""
        return self.outlet.description

    def open(self, info: SessionInfo) -> None:
        """Remember the session's statistics (the push is timed as ``push``)."""
        self._stats = info.stats

    def write(self, step: Step) -> None:
        """Push the step's decisions."""
        if not step.decisions:
            return
        started = time.perf_counter_ns()
        push_time = step.now
        for decision in step.decisions:
            self.outlet.push(decision, push_time)
        if self._stats is not None:
            self._stats.stage("push").add((time.perf_counter_ns() - started) / 1e6)

    def close(self) -> None:
        """Withdraw the decision stream."""
        self.outlet.close()
