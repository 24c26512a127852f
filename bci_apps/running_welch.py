"""Welch's power spectral density of the newest seconds of a ring, kept up to date.

The spectrum panel shows Welch's PSD of the last few seconds twice a second. Computed
from scratch (:func:`scipy.signal.welch` over 64 channels x 4 s at 1 kHz) it costs 11 ms,
the longest frame of the monitor. Welch's estimate is the mean of the periodograms of
half-overlapping segments, and a segment that starts at a fixed absolute sample index
never changes, so :class:`RunningWelch` computes each segment's periodogram once
(:func:`scipy.signal.spectrogram`, the same windowed, detrended, density-scaled
periodograms ``welch`` averages) and averages the ones inside the span: one new segment
per update, about 1 ms.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import spectrogram

from .trace_math import SpanReader


class RunningWelch:
    """Welch PSD of the newest ``n`` samples from segments aligned to sample indices.

    The segments are ``nperseg`` samples long and start at multiples of the hop
    (``nperseg - nperseg // 2``, scipy's default half overlap) inside the span, so the
    estimate equals ``scipy.signal.welch(x, fs, nperseg=nperseg)`` of the samples from the
    first such segment to the end of the last one (up to a hop fewer than ``n``).

    Parameters
    ----------
    sfreq : float
        Sampling frequency (Hz).
    nperseg : int
        Samples per segment.
    key : tuple
        What the estimate is for (ring, channels, segment length): a new key means a
        new estimate.

    Attributes
    ----------
    freqs : ndarray, shape (nperseg // 2 + 1,)
        Frequencies (Hz).
    starts : list of int
        Absolute sample index of each segment of the last estimate.
    """

    def __init__(self, sfreq: float, nperseg: int, key: tuple = ()) -> None:
        self.sfreq = float(sfreq)
        self.nperseg = int(nperseg)
        self.hop = self.nperseg - self.nperseg // 2
        self.key = key
        self.freqs = np.fft.rfftfreq(self.nperseg, 1.0 / self.sfreq)
        self.starts: list[int] = []
        self._periodograms: dict[int, np.ndarray] = {}
        self._stop = 0

    def update(self, ring: SpanReader, rows: np.ndarray, n: int) -> np.ndarray | None:
        """The PSD of the newest ``n`` samples of ``rows``, shape (n_rows, n_freqs).

        None while fewer than ``nperseg`` samples are held.
        """
        stop = ring.n_written
        if stop < self._stop:  # the ring was cleared: the indices start again
            self._periodograms = {}
        self._stop = stop
        begin = max(stop - n, 0)
        first = -(-begin // self.hop) * self.hop  # the first segment start in the span
        starts = list(range(first, stop - self.nperseg + 1, self.hop))
        missing = [s for s in starts if s not in self._periodograms]
        if missing:
            data, _, held = ring.span_rows(rows, missing[0], missing[-1] + self.nperseg)
            if held > missing[0]:  # overwritten meanwhile: keep the segments still held
                starts = [s for s in starts if s >= held or s in self._periodograms]
                missing = [s for s in missing if s >= held]
                data = data[:, (missing[0] - held):] if missing else data[:, :0]
            if missing:
                _, _, psd = spectrogram(data, fs=self.sfreq, window="hann",
                                        nperseg=self.nperseg,
                                        noverlap=self.nperseg - self.hop,
                                        detrend="constant", scaling="density",
                                        mode="psd", axis=-1)
                for k in range(psd.shape[-1]):
                    self._periodograms[missing[0] + k * self.hop] = psd[..., k]
        self._periodograms = {s: self._periodograms[s] for s in starts
                              if s in self._periodograms}
        self.starts = [s for s in starts if s in self._periodograms]
        if not self.starts:
            return None
        return np.mean([self._periodograms[s] for s in self.starts], axis=0)
