"""Finding missing samples from timestamps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Gap:
    """Samples that should have arrived but did not.

    Attributes
    ----------
    index : int
        Index (in samples received so far) of the first sample after the gap.
    time : float
        LSL time of that sample.
    n_missing : int
        Samples missing, from the time elapsed over the sampling period.
    duration : float
        Seconds of signal missing.
    """

    index: int
    time: float
    n_missing: int
    duration: float


class GapDetector:
    """Counts missing and backward samples in a stream of timestamps.

    A step between consecutive timestamps longer than the sampling period by more than
    the tolerance is a gap of ``round(step / period) - 1`` samples; a step backwards is
    counted as such (reported, never reordered). The tolerance is half a period plus
    six times the observed jitter (an exponentially weighted mean of
    ``|step - period|``), so a jittery Bluetooth source does not raise false gaps while a
    single dropped sample of a clean source is still caught.

    Parameters
    ----------
    period : float
        Expected seconds between samples (``1 / sfreq``, divided by the replay speed for
        a replay announcing one).
    """

    def __init__(self, period: float) -> None:
        self.period = period
        self.reset()

    def reset(self) -> None:
        """Forget the last timestamp and every count."""
        self._last_time: float | None = None
        self._jitter = 0.0
        self.n_gaps = 0
        self.n_missing = 0
        self.n_backwards = 0
        self.n_samples = 0

    def update(self, times: np.ndarray) -> tuple[list[Gap], int]:
        """Inspect the timestamps of a new chunk.

        Parameters
        ----------
        times : ndarray, shape (n_times,)

        Returns
        -------
        gaps : list of Gap
            The gaps that end inside this chunk.
        n_backwards : int
            Samples of this chunk stamped earlier than the sample before them.
        """
        n = times.shape[0]
        if n == 0:
            return [], 0
        if self._last_time is None:
            steps = np.diff(times)
            offset = 1
        else:
            steps = np.diff(times, prepend=self._last_time)
            offset = 0
        first_index = self.n_samples
        self._last_time = float(times[-1])
        self.n_samples += n
        if steps.size == 0:
            return [], 0
        deviation = np.abs(steps - self.period)
        tolerance = 0.5 * self.period + 6.0 * self._jitter
        late = np.flatnonzero(steps > self.period + tolerance)
        backwards = int(np.count_nonzero(steps < 0))
        normal = deviation[deviation <= tolerance]
        if normal.size:
            # Smooth over roughly the last thousand steps.
            alpha = min(1.0, normal.size / 1000.0)
            self._jitter = (1 - alpha) * self._jitter + alpha * float(normal.mean())
        gaps = []
        for k in late:
            n_missing = max(int(round(steps[k] / self.period)) - 1, 1)
            index = first_index + int(k) + offset
            gaps.append(Gap(index=index, time=float(times[k + offset]),
                            n_missing=n_missing, duration=float(steps[k] - self.period)))
        self.n_gaps += len(gaps)
        self.n_missing += sum(g.n_missing for g in gaps)
        self.n_backwards += backwards
        return gaps, backwards
