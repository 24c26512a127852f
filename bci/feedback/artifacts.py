"""Artifact windows: large amplitude, flat line, or no clean window because of a gap.

Large amplitude is checked on the window the decoder sees (after the protocol's picks and
causal filters), so a DC offset or slow drift the filters remove is not an artifact,
while a blink, a movement or an electrode pop that survives them is. A flat line is
checked on the raw picked signal, in short stretches: after a channel goes flat the
filters ring on for a second or two (a 1-Hz high-pass decays to 0.1 uV only after about
2 s), which would hide the flat line while its collapsing power already drags the value
down. Artifact windows pause the feedback and the reward instead of feeding garbage
into them.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from bci.pipeline.windows import Window

#: Why a feedback sample is an artifact.
AMPLITUDE = "amplitude"  # a channel's peak-to-peak above max_amplitude
FLAT = "flat"  # a channel's standard deviation below flat_std over a stretch
GAP = "gap"  # samples were lost: no window since (the pipeline restarts after a gap)
WITHHELD = "withheld"  # the pipeline made no decision for this window (non-finite samples)
REASONS = (AMPLITUDE, FLAT, GAP, WITHHELD)

#: Seconds of raw signal per flat-line check: long enough that live EEG never looks
#: flat, short enough to flag a dead electrode before it corrupts many windows.
FLAT_STRETCH = 0.25


class FlatLineTracker:
    """Finds stretches of the raw signal where a channel is flat.

    The stream is cut into consecutive stretches of ``length`` samples; a stretch where
    any channel's standard deviation is below ``flat_std`` is remembered, until no
    later window can contain it.

    Parameters
    ----------
    n_channels : int or None
        None: taken from the first push.
    length : int
        Samples per stretch.
    flat_std : float
        Volts; 0 turns the check off.
    """

    def __init__(self, n_channels: int | None, length: int, flat_std: float) -> None:
        self.length = max(int(length), 2)
        self.flat_std = float(flat_std)
        # Allocated on the first push when the channel count is not known yet.
        self._buffer = np.empty((n_channels, self.length)) if n_channels else None
        self._filled = 0
        self._next = 0  # index of the next expected sample
        self._flat: deque[tuple[int, int]] = deque()  # (start, stop) of flat stretches

    def reset(self, at_index: int = 0) -> None:
        """Drop the partial stretch (after a discontinuity)."""
        self._filled = 0
        self._next = at_index

    def push(self, data: np.ndarray, first_index: int) -> None:
        """Add raw samples ``(n_channels, n_times)`` starting at sample ``first_index``."""
        if self.flat_std <= 0:
            return
        if self._buffer is None or self._buffer.shape[0] != data.shape[0]:
            self._buffer = np.empty((data.shape[0], self.length))
            self._filled = 0
        if first_index != self._next:
            self.reset(first_index)
        n = data.shape[1]
        done = 0
        while done < n:
            take = min(self.length - self._filled, n - done)
            self._buffer[:, self._filled:self._filled + take] = data[:, done:done + take]
            self._filled += take
            done += take
            if self._filled == self.length:
                stop = first_index + done
                if self._buffer.std(axis=1).min() < self.flat_std:
                    self._flat.append((stop - self.length, stop))
                self._filled = 0
        self._next = first_index + n

    def is_flat(self, start: int, stop: int) -> bool:
        """Whether a flat stretch lies within samples ``start..stop`` (windows in order)."""
        while self._flat and self._flat[0][1] <= start:
            self._flat.popleft()  # windows only move forward: it can never matter again
        return any(a >= start and b <= stop for a, b in self._flat)


class ArtifactDetector:
    """Flags windows with a large amplitude or a flat line on any channel.

    A :class:`~bci.pipeline.pipeline.WindowCheck`: pass it to the pipeline
    (``Pipeline(..., window_checks=[detector])``), which feeds it the raw picked samples
    and asks it about every decoded window; the reason lands in ``Decision.artifact``.

    Parameters
    ----------
    max_amplitude : float
        Volts peak-to-peak on the filtered window; a channel above it makes the window
        an artifact.
    flat_std : float
        Volts; a channel whose raw signal has a standard deviation below it over any
        :data:`FLAT_STRETCH` of the window is a flat line (0: no check).
    sfreq : float
        Sampling rate.
    n_channels : int or None
        Channels of the raw signal pushed with :meth:`push_raw` (None: taken from the
        first push).
    """

    def __init__(self, max_amplitude: float, flat_std: float, *, sfreq: float,
                 n_channels: int | None = None) -> None:
        if not max_amplitude > 0:
            raise ValueError(f"max_amplitude must be positive volts, got {max_amplitude}")
        if not flat_std >= 0:
            raise ValueError(f"flat_std must be >= 0 volts, got {flat_std}")
        self.max_amplitude = float(max_amplitude)
        self.flat_std = float(flat_std)
        self.flat = FlatLineTracker(n_channels, int(round(FLAT_STRETCH * sfreq)), flat_std)

    def push_raw(self, data: np.ndarray, first_index: int) -> None:
        """Feed the raw picked samples (before any filter), in order."""
        self.flat.push(data, first_index)

    def check(self, window: Window) -> str | None:
        """Why the window is an artifact, or None when it is clean.

        Parameters
        ----------
        window : Window
            The filtered window the decoder sees (its raw samples must have been pushed
            with :meth:`push_raw`).

        Returns
        -------
        str or None
            :data:`FLAT` or :data:`AMPLITUDE`.
        """
        if self.flat.is_flat(window.start_index, window.stop_index):
            return FLAT
        if np.ptp(window.data, axis=1).max() > self.max_amplitude:
            return AMPLITUDE
        return None
