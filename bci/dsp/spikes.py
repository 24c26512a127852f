"""Intracortical features: threshold crossings, spike-band power, binned counts.

The features intracortical BCIs decode (Christie et al. 2015; Nason et al. 2020), each a
causal stage with its state carried across chunks, so any chunking gives the same bins:

- :class:`ThresholdCrossings`: a spike is counted where the broadband signal (>= 10 kHz,
  high-passed, e.g. 250 Hz - 5 kHz with ``[[filters]]``) first falls below
  ``k x RMS`` of the channel, the RMS measured on calibration data (``k = -4.5``);
- :class:`Binner`: sums (spike counts) or mean squares (spike-band power) over bins of
  a configurable width (20 ms typical), from crossings or from a stream that already
  carries spike counts per sample.

Chunks are ``(n_channels, n_times)``; the output of a binner is
``(n_channels, n_complete_bins)``, with bins aligned to the first sample after a
:meth:`reset`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from bci.errors import ConfigError

#: The lowest rate a broadband stream may have for threshold crossings (a spike lasts
#: about 1 ms: at lower rates its trough falls between samples).
MIN_BROADBAND_SFREQ = 10_000.0


def bin_samples(bin_width: float, sfreq: float) -> int:
    """Samples per bin of ``bin_width`` seconds; refuses bins shorter than one sample.

    Raises
    ------
    bci.errors.ConfigError
        For a bin width shorter than one sample, or not a whole number of samples.
    """
    if not bin_width > 0:
        raise ConfigError(f"bin width must be positive seconds, got {bin_width!r}")
    n = bin_width * sfreq
    if n < 1 - 1e-9:
        raise ConfigError(f"bin width {bin_width * 1e3:g} ms is shorter than one sample "
                          f"at {sfreq:g} Hz ({1e3 / sfreq:g} ms): use at least "
                          f"{1e3 / sfreq:g} ms")
    if abs(n - round(n)) > 1e-6:
        raise ConfigError(f"bin width {bin_width * 1e3:g} ms is not a whole number of "
                          f"samples at {sfreq:g} Hz: use a multiple of {1e3 / sfreq:g} ms")
    return int(round(n))


class ThresholdCrossings:
    """Negative-going crossings of ``k x RMS`` per channel: 1 at a crossing, else 0.

    Parameters
    ----------
    sfreq : float
        Of the broadband stream, at least :data:`MIN_BROADBAND_SFREQ`.
    k : float
        Threshold in RMS units (negative: spikes are troughs on extracellular arrays).

    Attributes
    ----------
    thresholds_ : ndarray, shape (n_channels,)
        Volts, from :meth:`fit`.
    """

    def __init__(self, sfreq: float, k: float = -4.5) -> None:
        if not sfreq >= MIN_BROADBAND_SFREQ:
            raise ConfigError(f"threshold crossings need a broadband stream of at least "
                              f"{MIN_BROADBAND_SFREQ:g} Hz, got {sfreq:g} Hz: record "
                              "broadband, or decode a stream of spike counts")
        if k == 0:
            raise ConfigError("k must be non-zero RMS units (-4.5 is usual)")
        self.sfreq = float(sfreq)
        self.k = float(k)

    def fit(self, calibration: ArrayLike) -> ThresholdCrossings:
        """Measure each channel's RMS on calibration data ``(n_channels, n_times)``."""
        x = np.asarray(calibration, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] < 2:
            raise ValueError(f"calibration must be (n_channels, n_times) with samples, got "
                             f"shape {x.shape}")
        rms = np.sqrt(np.mean(x * x, axis=1))
        self.thresholds_ = self.k * rms
        self.reset()
        return self

    def reset(self) -> None:
        """Forget the last sample (the next chunk starts a new signal)."""
        self._above: np.ndarray | None = None

    def __call__(self, chunk: ArrayLike) -> np.ndarray:
        """Crossings (n_channels, n_times) of a chunk, continuing from the last one."""
        x = np.asarray(chunk, dtype=np.float64)
        thresholds = self.thresholds_[:, None]
        if self.k < 0:
            beyond = x < thresholds
        else:
            beyond = x > thresholds
        previous = (np.zeros((x.shape[0], 1), dtype=bool) if self._above is None
                    else self._above)
        before = np.concatenate([previous, beyond[:, :-1]], axis=1)
        if x.shape[1]:
            self._above = beyond[:, -1:].copy()
        return (beyond & ~before).astype(np.float64)


class Binner:
    """Per-channel sums (counts) or mean squares (power) over consecutive bins.

    Parameters
    ----------
    n_samples : int
        Samples per bin (see :func:`bin_samples`).
    reduce : str
        ``"sum"`` (spike counts from crossings or a count stream) or ``"mean-square"``
        (spike-band power of a band-passed broadband signal).
    """

    def __init__(self, n_samples: int, reduce: str = "sum") -> None:
        if reduce not in ("sum", "mean-square"):
            raise ConfigError(f"reduce must be 'sum' or 'mean-square', got {reduce!r}")
        if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
            raise ConfigError(f"a bin needs at least one sample, got {n_samples!r}")
        self.n_samples = n_samples
        self.reduce = reduce
        self.reset()

    def reset(self) -> None:
        """Drop the partial bin; the next sample starts a bin."""
        self._held: np.ndarray | None = None

    def __call__(self, chunk: ArrayLike) -> np.ndarray:
        """The bins (n_channels, n_bins) completed by this chunk (possibly none)."""
        x = np.asarray(chunk, dtype=np.float64)
        if self.reduce == "mean-square":
            x = x * x
        if self._held is not None:
            x = np.concatenate([self._held, x], axis=1)
        n_bins = x.shape[1] // self.n_samples
        cut = n_bins * self.n_samples
        self._held = x[:, cut:].copy()
        bins = x[:, :cut].reshape(x.shape[0], n_bins, self.n_samples).sum(axis=2)
        return bins / self.n_samples if self.reduce == "mean-square" else bins


__all__ = ["MIN_BROADBAND_SFREQ", "Binner", "ThresholdCrossings", "bin_samples"]
