"""The reward flag: feedback at or above a threshold for a dwell time.

Time is counted in samples of the signal (not wall-clock seconds), so a replay at any
speed and an offline run raise the flag on the very same feedback samples.
"""

from __future__ import annotations


class DwellReward:
    """Raises the reward once the feedback has stayed at or above ``threshold`` long enough.

    Parameters
    ----------
    threshold : float
        Normalised feedback (0-1) that counts as "above".
    dwell_samples : int
        Samples of signal the feedback must stay above before the flag is raised
        (0: raised on the first sample above).

    Notes
    -----
    The flag stays up while the feedback stays above and drops on the first sample
    below. An artifact calls :meth:`reset`: the dwell starts again from the next clean
    sample, so a burst of garbage can neither earn nor prolong a reward.
    """

    def __init__(self, threshold: float, dwell_samples: int) -> None:
        if dwell_samples < 0:
            raise ValueError(f"dwell must be >= 0 samples, got {dwell_samples}")
        self.threshold = float(threshold)
        self.dwell_samples = int(dwell_samples)
        self._above_since: int | None = None
        self._earned = False
        self.n_rewards = 0  # times the flag went up

    def reset(self) -> None:
        """Forget the running dwell (after an artifact)."""
        self._above_since = None
        self._earned = False

    def update(self, feedback: float, index: int) -> bool:
        """Whether the reward is earned at sample ``index`` with this feedback.

        Parameters
        ----------
        feedback : float
            The (smoothed) normalised feedback.
        index : int
            Sample index of the feedback sample; indices must not decrease.

        Returns
        -------
        bool
        """
        if not feedback >= self.threshold:  # also true for NaN
            self.reset()
            return False
        if self._above_since is None:
            self._above_since = index
        earned = index - self._above_since >= self.dwell_samples
        if earned and not self._earned:
            self.n_rewards += 1
        self._earned = earned
        return earned

    def __repr__(self) -> str:
        return f"DwellReward(threshold={self.threshold}, dwell_samples={self.dwell_samples})"
