"""Feedback from the decoder's decisions: what an online run shows the subject.

:class:`DecisionFeedback` is a plain synchronous object with explicit state: feed it
every decision sample in order (``update``), read what to draw (``bar``, ``selected``,
``spelled``). It knows nothing of LSL or Qt, so the window, a test, or a stage of the
runtime can drive it the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bci.present.protocol import Protocol

__all__ = ["DecisionFeedback"]

_DIRECTION = {"left": -1.0, "right": 1.0, "up": 1.0, "down": -1.0}


class DecisionFeedback:
    """Turns decision-stream samples into a bar, a highlighted target or a spelled text.

    Parameters
    ----------
    protocol : Protocol
        Its cues say which class moves the bar which way (the cue's ``arrow``) and which
        SSVEP target a class is.
    channels : sequence of str
        Channel labels of the decision stream (``class``, ``score_<class>``, ...).
    smoothing : float
        Seconds, time constant of the bar's exponential smoothing (0: none).

    Attributes
    ----------
    bar : float
        Motor imagery: position in [-1, 1], the direction-weighted class scores.
    selected : int
        SSVEP: index of the cue the newest decision chose, or -1.
    spelled : str
        P300: characters chosen so far.
    """

    def __init__(self, protocol: Protocol, channels: Sequence[str], *,
                 smoothing: float = 0.3) -> None:
        self.protocol = protocol
        self.channels = list(channels)
        self.smoothing = smoothing
        label_to_class = {}
        if protocol.config is not None:
            label_to_class = {label: name for name, labels in protocol.config.events.items()
                              for label in labels}
        # Per cue: the decision channel holding its score.
        self._score_index = []
        for cue in protocol.cues:
            name = f"score_{label_to_class.get(cue.label, cue.label)}"
            self._score_index.append(self.channels.index(name)
                                     if name in self.channels else -1)
        self._direction = np.array([_DIRECTION.get(c.arrow, 0.0) for c in protocol.cues])
        self.reset()

    def reset(self) -> None:
        """Forget every decision (a new run)."""
        self.bar = 0.0
        self.target_bar = 0.0
        self.selected = -1
        self.spelled = ""
        self.n_decisions = 0
        self._last_time: float | None = None
        self._flash_scores: dict[str, list[float]] = {}

    def update(self, values: Sequence[float], time: float) -> None:
        """Take one decision sample (values in channel order) received at LSL ``time``."""
        values = np.asarray(values, dtype=float)
        self.n_decisions += 1
        scores = np.array([values[i] if i >= 0 else np.nan for i in self._score_index])
        if np.all(np.isnan(scores)):
            return
        if self.protocol.paradigm == "motor-imagery":
            self.target_bar = float(np.clip(np.nansum(scores * self._direction), -1, 1))
        elif self.protocol.paradigm in ("ssvep", "emg"):
            self.selected = int(np.nanargmax(scores))
        self.advance(time)

    def advance(self, time: float) -> None:
        """Move the bar toward the newest decision's value by the time passed."""
        if self._last_time is None or self.smoothing <= 0:
            self.bar = self.target_bar
        else:
            alpha = 1.0 - np.exp(-max(time - self._last_time, 0.0) / self.smoothing)
            self.bar += alpha * (self.target_bar - self.bar)
        self._last_time = time

    def flash_score(self, flash: str, score: float) -> None:
        """P300: the target score of the decision locked to ``flash`` (``row2``...)."""
        self._flash_scores.setdefault(flash, []).append(float(score))

    def end_sequence(self) -> str:
        """P300: choose the character of the best row and column; append and return it."""
        matrix = self.protocol.matrix
        if not matrix or not self._flash_scores:
            return ""

        def best(prefix: str, n: int) -> int:
            means = [np.mean(self._flash_scores.get(f"{prefix}{k}", [-np.inf]))
                     for k in range(n)]
            return int(np.argmax(means))

        char = matrix[best("row", len(matrix))][best("col", len(matrix[0]))]
        self.spelled += char
        self._flash_scores = {}
        return char
