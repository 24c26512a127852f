"""Window decisions -> stable gestures: majority vote or hysteresis, dwell, a rest class.

A sliding-window decoder makes a decision every few tens of milliseconds; on its own it
flickers between classes at every transition and now and then in the middle of a held
gesture. :class:`GestureStabiliser` turns that stream into the output an application
wants: one stable gesture at a time (the ``rest`` class when there is none), announced by
``onset`` and ``offset`` events.

Two rules pick a *candidate* class for each decision:

``majority``
    The most frequent label among the last ``votes`` decisions (ties go to the stable
    gesture when it is among the tied, else to the most recent of the tied labels).
``hysteresis``
    The class probabilities averaged over the last ``votes`` decisions. From rest, a
    gesture becomes the candidate when its mean probability reaches ``enter``; a stable
    gesture stays the candidate until its mean probability falls below ``exit`` (then
    the candidate is another gesture that reaches ``enter``, or rest). Needs a decoder
    with probabilities (``predict_proba``, as ``emg-lda`` has).

A candidate that differs from the stable gesture is output only once it has been the
candidate without interruption for ``dwell`` seconds of *signal*: ``dwell`` is converted
to samples and compared with the decisions' ``stop_index``, never with a clock, so a
recording replayed at any speed, or run offline, gives the very same events.

The ``[postprocess]`` table::

    [postprocess]
    kind = "hysteresis"   # or "majority" (the default)
    votes = 5             # decisions voted over (majority) or averaged (hysteresis)
    dwell = 0.15          # seconds a new candidate must hold before it is output
    rest = "rest"         # the class that means "no gesture"
    enter = 0.6           # hysteresis only: mean probability that starts a gesture
    exit = 0.4            # hysteresis only: mean probability below which it ends

Defaults are those shown, except ``kind``; ``enter`` and ``exit`` are refused with
``kind = "majority"``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import numpy as np

from bci.errors import ConfigError
from bci.pipeline.decision import GestureEvent

#: Keys of the ``[postprocess]`` table and their defaults.
POSTPROCESS_DEFAULTS: dict[str, object] = {
    "kind": "majority", "votes": 5, "dwell": 0.15, "rest": "rest", "enter": 0.6, "exit": 0.4,
}
#: The stabiliser kinds.
KINDS = ("majority", "hysteresis")
_PROBABILITY_TOLERANCE = 1e-6


class WindowDecision(Protocol):
    """What the stabiliser reads from a decision (:class:`bci.pipeline.Decision` has it)."""

    @property
    def label(self) -> str | None: ...

    @property
    def scores(self) -> np.ndarray: ...

    @property
    def window_end(self) -> float: ...

    @property
    def stop_index(self) -> int: ...


class GestureStabiliser:
    """Turns window decisions into stable gestures with onset and offset events.

    Synchronous and stateful: feed every decision, in order, to :meth:`update`. The
    state (recent votes, the pending candidate and since when, the stable gesture) is
    held in attributes and cleared by :meth:`reset`.

    Parameters
    ----------
    classes : sequence of str
        The decoder's classes, in score order (``Decision.scores`` follows it).
    sfreq : float
        Sampling rate of the signal, to turn ``dwell`` into samples.
    kind : {"majority", "hysteresis"}
        How the candidate class is chosen (see the module notes).
    votes : int
        Decisions voted over (majority) or whose probabilities are averaged
        (hysteresis); 1 disables smoothing.
    dwell : float
        Seconds of signal a new candidate must hold before it becomes the output; 0
        outputs it at once.
    rest : str
        The class meaning "no gesture": the output when no gesture is stable. Must be
        one of ``classes``.
    enter, exit : float
        Hysteresis only: mean probability at which a gesture becomes the candidate, and
        below which a stable gesture stops being it; ``0 < exit <= enter <= 1``.
    origin : str
        Where the settings came from, for error messages.

    Attributes
    ----------
    current : str
        The stable gesture (the rest class when none).
    current_index : int
        Its index in ``classes``.
    pending : str or None
        The candidate waiting out its dwell, if any.
    pending_since : int or None
        ``stop_index`` of the first decision that made it the candidate.
    dwell_samples : int
        ``dwell`` in samples.

    Raises
    ------
    bci.errors.ConfigError
        For an unknown kind, a non-positive ``votes``, a negative ``dwell``, a rest class
        that is not a class, or thresholds outside ``0 < exit <= enter <= 1``.
    """

    def __init__(self, classes: Sequence[str], sfreq: float, *, kind: str = "majority",
                 votes: int = 5, dwell: float = 0.15, rest: str = "rest",
                 enter: float = 0.6, exit: float = 0.4,
                 origin: str = "[postprocess]") -> None:
        classes = [str(c) for c in classes]
        if kind not in KINDS:
            raise ConfigError(f"{origin}: kind must be one of {list(KINDS)}, got {kind!r}")
        if isinstance(votes, bool) or not isinstance(votes, int | np.integer) or votes < 1:
            raise ConfigError(f"{origin}: votes must be a whole number >= 1, got {votes!r}")
        if not _is_number(dwell) or not dwell >= 0:
            raise ConfigError(f"{origin}: dwell must be seconds >= 0, got {dwell!r}")
        if len(classes) < 2 or len(set(classes)) != len(classes):
            raise ConfigError(f"{origin}: a gesture stabiliser needs two or more distinct "
                              f"classes, got {classes}")
        if rest not in classes:
            raise ConfigError(f"{origin}: rest = {rest!r} is not one of the decoder's "
                              f"classes {classes}: name the class that means no gesture")
        if not _is_number(sfreq) or not sfreq > 0:
            raise ConfigError(f"{origin}: the sampling rate must be positive, got {sfreq!r}")
        if kind == "hysteresis":
            for name, value in (("enter", enter), ("exit", exit)):
                if not _is_number(value) or not 0 < value <= 1:
                    raise ConfigError(f"{origin}: {name} must be a probability in (0, 1], "
                                      f"got {value!r}")
            if exit > enter:
                raise ConfigError(f"{origin}: exit ({exit}) must not exceed enter ({enter}): "
                                  "a gesture would end as soon as it starts")
        self.classes = classes
        self.sfreq = float(sfreq)
        self.kind = kind
        self.votes = int(votes)
        self.dwell = float(dwell)
        self.rest = rest
        self.enter = float(enter)
        self.exit = float(exit)
        self.dwell_samples = int(round(self.dwell * self.sfreq))
        self.rest_index = classes.index(rest)
        self._index = {name: i for i, name in enumerate(classes)}
        self._gestures = np.array([i != self.rest_index for i in range(len(classes))])
        self.reset()

    @classmethod
    def from_config(cls, table: Mapping[str, object] | None, classes: Sequence[str],
                    sfreq: float, *, origin: str = "config") -> GestureStabiliser:
        """Build from a parsed ``[postprocess]`` table (missing keys take the defaults).

        Parameters
        ----------
        table : mapping or None
            ``PipelineConfig.postprocess``; None gives the defaults.
        classes : sequence of str
            The decoder's classes in score order.
        sfreq : float
            Sampling rate of the signal.
        origin : str
            The config's origin (a path), for messages.

        Returns
        -------
        GestureStabiliser

        Raises
        ------
        bci.errors.ConfigError
            For an unknown key or an invalid value, in one line.
        """
        where = f"{origin}: [postprocess]"
        table = dict(table or {})
        unknown = sorted(set(table) - set(POSTPROCESS_DEFAULTS))
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {unknown}: valid are "
                              f"{sorted(POSTPROCESS_DEFAULTS)}")
        settings = {**POSTPROCESS_DEFAULTS, **table}
        for key in ("kind", "rest"):
            if not isinstance(settings[key], str):
                raise ConfigError(f"{where}: {key} must be a string, got {settings[key]!r}")
        kind = settings["kind"]
        if kind == "majority":
            extra = sorted({"enter", "exit"} & set(table))
            if extra:
                raise ConfigError(f"{where}: {', '.join(extra)} only apply to kind = "
                                  "\"hysteresis\": remove them or change the kind")
        return cls(classes, sfreq, kind=kind, votes=settings["votes"],
                   dwell=settings["dwell"], rest=settings["rest"], enter=settings["enter"],
                   exit=settings["exit"], origin=where)

    # -- state -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every decision: the output is rest, no vote or candidate is held.

        No event is returned: a gesture active at the reset ends silently (a new session
        starts from rest).
        """
        self.current_index = self.rest_index
        self.pending_index: int | None = None
        self.pending_since: int | None = None
        self._labels: deque[int] = deque(maxlen=self.votes)
        self._scores: deque[np.ndarray] = deque(maxlen=self.votes)

    @property
    def current(self) -> str:
        """The stable gesture (the rest class when none)."""
        return self.classes[self.current_index]

    @property
    def pending(self) -> str | None:
        """The candidate waiting out its dwell, if any."""
        return None if self.pending_index is None else self.classes[self.pending_index]

    # -- feeding -----------------------------------------------------------------------

    def update(self, decision: WindowDecision) -> list[GestureEvent]:
        """Consume one window decision; return the events it causes (often none).

        Parameters
        ----------
        decision : Decision
            Its ``label`` (majority) or ``scores`` (hysteresis: class probabilities in
            ``classes`` order), ``window_end`` and ``stop_index`` are read.

        Returns
        -------
        list of GestureEvent
            ``[]``, ``[onset]``, ``[offset]`` or ``[offset, onset]`` (a direct switch).

        Raises
        ------
        ValueError
            A label outside ``classes``, or (hysteresis) scores that are not
            probabilities of the right length.
        """
        candidate = (self._majority(decision) if self.kind == "majority"
                     else self._hysteresis(decision))
        stop = int(decision.stop_index)
        if candidate == self.current_index:
            self.pending_index = self.pending_since = None
            return []
        if candidate != self.pending_index:
            self.pending_index, self.pending_since = candidate, stop
        if stop - self.pending_since < self.dwell_samples:
            return []
        events = []
        time = float(decision.window_end)
        if self.current_index != self.rest_index:
            events.append(GestureEvent("offset", self.current, time, stop))
        self.current_index = candidate
        self.pending_index = self.pending_since = None
        if candidate != self.rest_index:
            events.append(GestureEvent("onset", self.current, time, stop))
        return events

    def _majority(self, decision: WindowDecision) -> int:
        index = self._index.get(str(decision.label))
        if index is None:
            raise ValueError(f"decision label {decision.label!r} is not one of the "
                             f"stabiliser's classes {self.classes}: build it with the "
                             "model's classes")
        labels = self._labels
        labels.append(index)
        counts = np.bincount(np.fromiter(labels, int, len(labels)),
                             minlength=len(self.classes))
        best = counts.max()
        if counts[self.current_index] == best:
            return self.current_index
        for label in reversed(labels):  # the most recent of the tied labels
            if counts[label] == best:
                return label
        raise AssertionError("unreachable")  # pragma: no cover

    def _hysteresis(self, decision: WindowDecision) -> int:
        scores = np.asarray(decision.scores, dtype=float)
        if (scores.shape != (len(self.classes),)
                or not np.all(scores >= -_PROBABILITY_TOLERANCE)
                or not np.all(scores <= 1 + _PROBABILITY_TOLERANCE)):
            raise ValueError(f"hysteresis needs {len(self.classes)} class probabilities per "
                             f"decision, got scores {np.round(scores, 3).tolist()}: use a "
                             "decoder with predict_proba or kind = \"majority\"")
        self._scores.append(scores)
        mean = np.mean(self._scores, axis=0)
        current = self.current_index
        if current != self.rest_index and mean[current] >= self.exit:
            return current
        entering = np.where(self._gestures & (mean >= self.enter), mean, -1.0)
        best = int(np.argmax(entering))
        return best if entering[best] >= 0 else self.rest_index


def stabilise(stabiliser: GestureStabiliser, decisions: Iterable[WindowDecision]
              ) -> tuple[list[GestureEvent], list[str]]:
    """Run decisions through a stabiliser (from its current state).

    Parameters
    ----------
    stabiliser : GestureStabiliser
        Usually fresh or just reset.
    decisions : iterable of Decision
        In stream order.

    Returns
    -------
    events : list of GestureEvent
        Every onset and offset, in order.
    stable : list of str
        The stable gesture after each decision (the rest class when none).
    """
    events: list[GestureEvent] = []
    stable: list[str] = []
    for decision in decisions:
        events.extend(stabiliser.update(decision))
        stable.append(stabiliser.current)
    return events, stable


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float | np.number)


__all__ = ["KINDS", "POSTPROCESS_DEFAULTS", "GestureEvent", "GestureStabiliser",
           "WindowDecision", "stabilise"]
