"""Normalising a raw feature against a baseline: its percentile in the baseline values.

The feedback value is the empirical cumulative distribution function (mid-rank ECDF) of
the baseline, evaluated at the current value: the fraction of baseline windows whose
value was lower (ties count half). It is 0-1 by construction, needs no assumption about
the feature's distribution, is untouched by outliers in the baseline, and gives the same
feedback whether the decoder outputs power or its log (any increasing transform of the
feature leaves the percentiles unchanged). A threshold of 0.7 then means "higher than 70 %
of your own baseline" on any headset, in any unit.
"""

from __future__ import annotations

import numpy as np

from bci.feedback.protocol import DIRECTIONS


class BaselineNormaliser:
    """Collects baseline values, then maps any value to its baseline percentile (0-1).

    Parameters
    ----------
    direction : str
        ``"up"``: higher values give higher feedback. ``"down"``: lower values give
        higher feedback (``1 - percentile``), for features to be decreased.

    Attributes
    ----------
    values_ : ndarray, shape (n_values,)
        The sorted baseline values once :meth:`freeze` was called.
    """

    def __init__(self, direction: str = "up") -> None:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
        self.direction = direction
        self._collected: list[float] = []
        self.values_: np.ndarray | None = None

    @property
    def n_values(self) -> int:
        """How many baseline values are held."""
        return len(self._collected) if self.values_ is None else self.values_.size

    @property
    def is_frozen(self) -> bool:
        """Whether the baseline is complete (normalising is possible)."""
        return self.values_ is not None

    def add(self, value: float) -> None:
        """Add one baseline value (non-finite values are ignored)."""
        if self.values_ is not None:
            raise RuntimeError("the baseline is frozen: no more values can be added")
        if np.isfinite(value):
            self._collected.append(float(value))

    def freeze(self) -> None:
        """End the baseline; from now on :meth:`__call__` normalises."""
        if not self._collected:
            raise ValueError("the baseline holds no value: nothing to normalise against")
        self.values_ = np.sort(np.asarray(self._collected, dtype=float))

    def __call__(self, value: float) -> float:
        """The value's percentile in the baseline, as a fraction (0-1).

        Parameters
        ----------
        value : float

        Returns
        -------
        float
            Mid-rank ECDF: ``(#below + #equal / 2) / n``; flipped for ``"down"``. NaN
            for a NaN value.
        """
        if self.values_ is None:
            raise RuntimeError("the baseline is not complete yet: call freeze() first")
        if np.isnan(value):
            return float("nan")
        below = np.searchsorted(self.values_, value, side="left")
        not_above = np.searchsorted(self.values_, value, side="right")
        fraction = float(below + not_above) / (2.0 * self.values_.size)
        return fraction if self.direction == "up" else 1.0 - fraction

    def value_at(self, feedback: float) -> float:
        """The raw value whose feedback is ``feedback`` (e.g. what the threshold means).

        Parameters
        ----------
        feedback : float
            Normalised value, 0-1.

        Returns
        -------
        float
            The baseline quantile (linear interpolation between baseline values).
        """
        if self.values_ is None:
            raise RuntimeError("the baseline is not complete yet: call freeze() first")
        q = feedback if self.direction == "up" else 1.0 - feedback
        return float(np.quantile(self.values_, min(max(q, 0.0), 1.0)))

    def describe(self) -> dict:
        """Statistics of the baseline values (JSON-serialisable)."""
        values = self.values_ if self.values_ is not None else np.sort(self._collected)
        if values.size == 0:
            return {"n_windows": 0}
        p = np.percentile(values, [10, 25, 50, 75, 90])
        return {"n_windows": int(values.size), "mean": float(values.mean()),
                "std": float(values.std()), "min": float(values[0]),
                "p10": float(p[0]), "p25": float(p[1]), "median": float(p[2]),
                "p75": float(p[3]), "p90": float(p[4]), "max": float(values[-1])}
