"""Adaptive offset and gain of a continuous output (BCI2000's Normalizer).

Each new value joins a buffer of the last ``seconds`` of decision time (or the last
``trials`` decisions); the output is ``(value - mean) / std`` of that buffer, so it has
zero mean and unit spread over the recent past whatever the headset's gain or the
person's baseline. Until the buffer holds ``min_count`` values with a non-zero spread, the
value passes through unchanged and :meth:`OutputNormaliser.describe` says so.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np


class OutputNormaliser:
    """Normalise a continuous decoder's value by its recent mean and spread.

    Parameters
    ----------
    seconds : float or None
        Keep the values of the last ``seconds`` of decision time (``window_end``).
    trials : int or None
        Or: the last ``trials`` values. Exactly one of the two.
    min_count : int
        Values needed before normalising (>= 2).

    Attributes
    ----------
    offset, gain : float
        The last offset and gain applied (0 and 1 while warming up).
    """

    def __init__(self, seconds: float | None = None, trials: int | None = None,
                 min_count: int = 5) -> None:
        if (seconds is None) == (trials is None):
            raise ValueError("give the normalisation a window in seconds or in trials")
        if seconds is not None and not seconds > 0:
            raise ValueError(f"seconds must be positive, got {seconds}")
        if trials is not None and trials < 2:
            raise ValueError(f"trials must be at least 2, got {trials}")
        if min_count < 2:
            raise ValueError(f"min_count must be at least 2, got {min_count}")
        self.seconds = seconds
        self.trials = trials
        self.min_count = min_count
        self.reset()

    def reset(self) -> None:
        """Forget the buffer (a new session)."""
        self._times = np.empty(0)
        self._values = np.empty(0)
        self.offset, self.gain = 0.0, 1.0
        self.normalising = False

    def update(self, value: float, time: float) -> float:
        """Take in one value (in stream order) and return it normalised.

        Parameters
        ----------
        value : float
            The decoder's output.
        time : float
            Its time (LSL seconds; the decision's ``window_end``).

        Returns
        -------
        float
        """
        self._times = np.append(self._times, float(time))
        self._values = np.append(self._values, float(value))
        if self.seconds is not None:
            keep = self._times > self._times[-1] - self.seconds
        else:
            keep = np.arange(self._values.size) >= self._values.size - self.trials
        self._times, self._values = self._times[keep], self._values[keep]
        spread = float(self._values.std()) if self._values.size >= self.min_count else 0.0
        self.normalising = spread > 0.0 and np.isfinite(spread)
        if not self.normalising:
            self.offset, self.gain = 0.0, 1.0
            return float(value)
        self.offset, self.gain = float(self._values.mean()), 1.0 / spread
        return (float(value) - self.offset) * self.gain

    def __call__(self, decision: Any) -> Any:
        """A post-decoder stage: the decision with its ``value`` normalised.

        Parameters
        ----------
        decision : bci.pipeline.decision.Decision
            A continuous output's decision (``label`` None).

        Returns
        -------
        Decision
        """
        if decision.label is not None:
            raise ValueError("the output normaliser adapts continuous outputs, and this "
                             f"decision is a class ({decision.label!r}): remove normalise")
        return replace(decision, value=self.update(decision.value, decision.window_end))

    def describe(self) -> dict:
        """JSON-serialisable summary of the state."""
        status = ("normalising" if self.normalising else
                  f"warming up ({self._values.size}/{self.min_count} values): raw output")
        return {"kind": "normalise", "status": status, "seconds": self.seconds,
                "trials": self.trials, "n_values": int(self._values.size),
                "offset": self.offset, "gain": self.gain}
