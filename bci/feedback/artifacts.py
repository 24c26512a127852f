"""Artifact windows: large amplitude, flat line, or no clean window because of a gap.

A window is checked on the signal the decoder sees (after the protocol's picks and
causal filters), so a DC offset or slow drift the filters remove is not an artifact,
while a blink, a movement or an electrode pop that survives them is. Artifact windows
pause the feedback and the reward instead of feeding garbage into them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bci.pipeline.decision import Decision
from bci.pipeline.pipeline import Pipeline
from bci.pipeline.windows import Window

#: Why a feedback sample is an artifact.
AMPLITUDE = "amplitude"  # a channel's peak-to-peak above max_amplitude
FLAT = "flat"  # a channel's standard deviation below flat_std
GAP = "gap"  # samples were lost: no window since (the pipeline restarts after a gap)
WITHHELD = "withheld"  # the pipeline made no decision for this window (non-finite samples)
REASONS = (AMPLITUDE, FLAT, GAP, WITHHELD)


class ArtifactDetector:
    """Flags windows with a large amplitude or a flat line on any channel.

    Parameters
    ----------
    max_amplitude : float
        Volts peak-to-peak; a channel above it makes the window an artifact.
    flat_std : float
        Volts; a channel whose standard deviation is below it is a flat line.
    """

    def __init__(self, max_amplitude: float, flat_std: float) -> None:
        if not max_amplitude > 0:
            raise ValueError(f"max_amplitude must be positive volts, got {max_amplitude}")
        if not flat_std >= 0:
            raise ValueError(f"flat_std must be >= 0 volts, got {flat_std}")
        self.max_amplitude = float(max_amplitude)
        self.flat_std = float(flat_std)

    def check(self, data: np.ndarray) -> str | None:
        """Why the window is an artifact, or None when it is clean.

        Parameters
        ----------
        data : ndarray, shape (n_channels, n_times)
            The window, in volts.

        Returns
        -------
        str or None
            :data:`AMPLITUDE` or :data:`FLAT`.
        """
        if np.ptp(data, axis=1).max() > self.max_amplitude:
            return AMPLITUDE
        if data.std(axis=1).min() < self.flat_std:
            return FLAT
        return None


class CheckedPipeline(Pipeline):
    """A :class:`~bci.pipeline.Pipeline` that also checks every decoded window.

    The check runs on the very window the decoder sees, inside :meth:`decide`, so no
    second filter chain or window buffer is needed. Feed it with :meth:`feed`, which
    returns each decision with its artifact reason.

    Parameters
    ----------
    config : PipelineConfig
        The protocol's pipeline.
    detector : ArtifactDetector
        The thresholds.
    **kwargs
        As :class:`~bci.pipeline.Pipeline` (``sfreq``, ``ch_names``, ``ch_types``...).
    """

    def __init__(self, config, *, detector: ArtifactDetector, **kwargs) -> None:
        super().__init__(config, **kwargs)
        self.detector = detector
        self._reasons: dict[int, str | None] = {}  # stop_index -> reason, until fed out

    def decide(self, window: Window) -> Decision:
        """Decode one window and check it for artifacts."""
        decision = super().decide(window)
        self._reasons[decision.stop_index] = self.detector.check(window.data)
        if self._reasons[decision.stop_index] is not None:
            self.stats.count("artifact_windows")
        return decision

    def feed(self, chunk, *, now: float | None = None, gaps: Sequence = ()
             ) -> list[tuple[Decision, str | None]]:
        """Run a chunk through the pipeline.

        Parameters
        ----------
        chunk : Chunk
            New samples.
        now : float or None
            As :meth:`Pipeline.process` (None decodes every window).
        gaps : sequence of Gap
            Gaps the inlet found in this chunk.

        Returns
        -------
        list of (Decision, str or None)
            Each decision with its artifact reason (None: clean).
        """
        decisions = self.process(chunk, now=now, gaps=gaps)
        return [(d, self._reasons.pop(d.stop_index, None)) for d in decisions]
