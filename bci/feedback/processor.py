"""From pipeline decisions to feedback samples on a steady grid of signal time.

:class:`NeurofeedbackProcessor` is synchronous and owns no thread, socket or clock. It
is told how far the signal has arrived (a sample index) and which decisions the
pipeline made, and returns the feedback samples that became due: one every
``1 / rate`` seconds *of signal*, placed by sample index, never by wall clock. So the
live session and an offline run over the same recording produce the very same feedback
samples, whatever the replay speed or the machine's load.

What happens to each decision and each sample:

1. **Baseline.** Values of clean windows ending in the first ``baseline`` seconds of
   signal after the first full window form the baseline distribution (artifact windows
   are left out; the baseline is extended until it holds ``min_baseline_windows``).
   Nothing is output meanwhile.
2. **Normalise.** Each later value becomes its percentile in the baseline
   (:class:`~bci.feedback.normaliser.BaselineNormaliser`).
3. **Smooth.** Exponentially, with time constant ``smoothing`` seconds of signal:
   ``y += (1 - exp(-dt / smoothing)) * (x - y)`` per feedback sample.
4. **Reward.** Raised once the smoothed feedback stayed at or above ``threshold`` for
   ``dwell`` seconds (:class:`~bci.feedback.reward.DwellReward`).
5. **Artifacts.** A sample whose newest window is an artifact (large amplitude, flat
   line), or for which no window exists because of a gap or withheld (non-finite)
   samples, is flagged: the smoothed feedback is held, and the reward drops and its
   dwell starts again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bci.feedback.artifacts import GAP, WITHHELD
from bci.feedback.normaliser import BaselineNormaliser
from bci.feedback.protocol import FeedbackSettings
from bci.feedback.reward import DwellReward
from bci.pipeline.decision import Decision
from bci.stream.gaps import Gap

#: Feedback shown before any clean sample was normalised (the baseline median).
NEUTRAL = 0.5


@dataclass(frozen=True)
class FeedbackSample:
    """One sample of the feedback stream.

    Attributes
    ----------
    index : int
        Sample index of the signal the feedback sample is due at (it reflects the
        signal up to, not including, this sample).
    feedback : float
        Smoothed normalised feedback, 0-1.
    reward : bool
        Whether the reward is earned.
    value : float
        The raw feature of the newest window (e.g. log10 band power).
    normalised : float
        The newest window's value normalised, before smoothing.
    artifact : str or None
        Why the sample is an artifact (``amplitude``, ``flat``, ``gap``, ``withheld``),
        or None.
    window_end : float
        LSL time of the newest sample the newest window used.
    window_stop : int
        Sample index one past that window's last sample.
    """

    index: int
    feedback: float
    reward: bool
    value: float
    normalised: float
    artifact: str | None
    window_end: float
    window_stop: int

    @property
    def is_artifact(self) -> bool:
        """Whether the sample is flagged as an artifact."""
        return self.artifact is not None


@dataclass(frozen=True)
class BaselineWindow:
    """A window seen during the baseline (for the session summary)."""

    stop_index: int
    value: float
    artifact: str | None


class NeurofeedbackProcessor:
    """Turns a pipeline's decisions into baseline, then steady-rate feedback samples.

    Parameters
    ----------
    settings : FeedbackSettings
        The protocol's ``[feedback]`` table.
    sfreq : float
        Nominal sampling rate of the signal (defines the grid of signal time).
    step_samples : int
        Samples between the pipeline's window ends: a feedback sample with no window
        ending within one step before it has lost its window (gap or withheld).

    Attributes
    ----------
    normaliser : BaselineNormaliser
    reward : DwellReward
    baseline_start : int or None
        Sample index at which the baseline began (end of the first full window).
    baseline_stop : int or None
        Sample index of the first feedback sample (the baseline's end).
    baseline_windows : list of BaselineWindow
        Every window of the baseline phase.
    """

    def __init__(self, settings: FeedbackSettings, *, sfreq: float, step_samples: int) -> None:
        self.settings = settings
        self.sfreq = float(sfreq)
        if settings.rate > self.sfreq:
            raise ValueError(f"feedback rate {settings.rate:g} Hz is above the signal's "
                             f"sampling rate ({self.sfreq:g} Hz): lower [feedback].rate")
        self.step_samples = int(step_samples)
        self.baseline_samples = int(round(settings.baseline * self.sfreq))
        self.reset()

    def reset(self) -> None:
        """Forget everything: a new baseline is recorded before any feedback."""
        settings = self.settings
        self.normaliser = BaselineNormaliser(settings.direction)
        self.reward = DwellReward(settings.threshold, int(round(settings.dwell * self.sfreq)))
        self.baseline_start: int | None = None
        self.baseline_stop: int | None = None
        self.baseline_windows: list[BaselineWindow] = []
        self._tick = 0  # number of the next grid point
        self._current: tuple[Decision, str | None] | None = None
        self._gaps: list[int] = []  # indices of gaps after the current decision's window
        self._smoothed: float | None = None
        self._last_index: int | None = None

    @property
    def in_baseline(self) -> bool:
        """Whether the baseline is still being recorded."""
        return not self.normaliser.is_frozen

    def grid_index(self, tick: int) -> int:
        """Sample index of grid point ``tick`` (``round(tick * sfreq / rate)``)."""
        return int(round(tick * self.sfreq / self.settings.rate))

    def update(self, stop_index: int, decisions: Sequence[tuple[Decision, str | None]],
               gaps: Iterable[Gap] = ()) -> list[FeedbackSample]:
        """Consume what the pipeline made of the signal up to ``stop_index``.

        Parameters
        ----------
        stop_index : int
            Samples of signal received so far (the chunk's ``stop_index``).
        decisions : sequence of (Decision, str or None)
            The pipeline's new decisions, oldest first, each with its artifact reason.
        gaps : iterable of Gap
            Gaps found in the new samples.

        Returns
        -------
        list of FeedbackSample
            The feedback samples now due (none during the baseline), oldest first.
        """
        self._gaps.extend(g.index for g in gaps)
        out: list[FeedbackSample] = []
        pending = iter(decisions)
        upcoming = next(pending, None)
        while (t := self.grid_index(self._tick)) <= stop_index:
            # A decision whose window ends at or before t is known at t.
            while upcoming is not None and upcoming[0].stop_index <= t:
                self._take(*upcoming)
                upcoming = next(pending, None)
            sample = self._sample_at(t)
            self._tick += 1
            if sample is not None:
                out.append(sample)
        while upcoming is not None:
            self._take(*upcoming)
            upcoming = next(pending, None)
        return out

    def _take(self, decision: Decision, reason: str | None) -> None:
        if self.in_baseline:
            if self.baseline_start is None:
                self.baseline_start = decision.stop_index
            if (decision.stop_index < self.baseline_start + self.baseline_samples
                    or self.normaliser.n_values < self.settings.min_baseline_windows):
                self.baseline_windows.append(
                    BaselineWindow(decision.stop_index, decision.value, reason))
                if reason is None:
                    self.normaliser.add(decision.value)
        self._current = (decision, reason)
        self._gaps = [g for g in self._gaps if g > decision.stop_index]

    def _baseline_done(self, t: int) -> bool:
        if self.normaliser.is_frozen:
            return True
        if (self.baseline_start is None or t < self.baseline_start + self.baseline_samples
                or self.normaliser.n_values < self.settings.min_baseline_windows):
            return False
        self.normaliser.freeze()
        self.baseline_stop = t
        return True

    def _sample_at(self, t: int) -> FeedbackSample | None:
        if not self._baseline_done(t):
            return None
        decision, reason = self._current
        if t - decision.stop_index >= self.step_samples:
            # The window that should end by now does not exist.
            reason = GAP if any(g <= t for g in self._gaps) else WITHHELD
        elif reason is None and not math.isfinite(decision.value):
            reason = WITHHELD
        normalised = self.normaliser(decision.value)
        dt = (t - self._last_index if self._last_index is not None
              else self.sfreq / self.settings.rate) / self.sfreq
        self._last_index = t
        if reason is None:
            tau = self.settings.smoothing
            if self._smoothed is None or tau == 0:
                self._smoothed = normalised
            else:
                self._smoothed += (1.0 - math.exp(-dt / tau)) * (normalised - self._smoothed)
            feedback = self._smoothed
            reward = self.reward.update(feedback, t)
        else:
            feedback = NEUTRAL if self._smoothed is None else self._smoothed
            self.reward.reset()
            reward = False
        return FeedbackSample(index=t, feedback=feedback, reward=reward,
                              value=decision.value, normalised=normalised, artifact=reason,
                              window_end=decision.window_end,
                              window_stop=decision.stop_index)
