"""A decision: what the decoder made of one window (the stream that carries it is in
:mod:`bci.outputs.decisions`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class GestureEvent:
    """A change of the stable gesture.

    Attributes
    ----------
    kind : {"onset", "offset"}
        A gesture starts or ends. Switching straight from one gesture to another gives
        the offset of the old one, then the onset of the new one, at the same time.
    gesture : str
        The gesture that starts or ends (never the rest class).
    time : float
        ``window_end`` of the decision that caused it (LSL time live; seconds from the
        first sample offline).
    stop_index : int
        ``stop_index`` of that decision: one past the newest sample it used.
    """

    kind: Literal["onset", "offset"]
    gesture: str
    time: float
    stop_index: int


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
    artifact : str or None
        Why the window is an artifact, when the pipeline checks windows (neurofeedback:
        ``amplitude``, ``flat``); None when clean or unchecked.
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
    artifact: str | None = None

    def same_as(self, other: Decision) -> bool:
        """Bit-for-bit equality of what was decided (not of when it was pushed)."""
        return (self.value == other.value and self.label == other.label
                and np.array_equal(self.scores, other.scores)
                and self.stop_index == other.stop_index and self.gesture == other.gesture
                and self.events == other.events)
