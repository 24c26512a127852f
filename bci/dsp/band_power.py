"""Band power of a window: the feature of the training-free decoders and neurofeedback."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.fft
import scipy.signal

from bci.errors import ConfigError

__all__ = ["BandPower", "band_power"]

Bands = Mapping[str, Sequence[float]] | Sequence[Sequence[float]]


def _default_nperseg(n_times: int, sfreq: float) -> int:
    # One-second segments (1 Hz bins, 50 % overlap: three segments in a 2 s window)
    # trade resolution for variance; a shorter window is one segment.
    return max(1, min(n_times, round(sfreq)))


def _band_masks(bands: Bands, freqs: np.ndarray, sfreq: float, nperseg: int) -> np.ndarray:
    items = list(bands.items()) if isinstance(bands, Mapping) else list(enumerate(bands))
    if not items:
        raise ConfigError("bands is empty: give at least one band, e.g. alpha = [8, 12]")
    nyq = sfreq / 2.0
    masks = np.zeros((len(items), freqs.size), dtype=bool)
    for row, (name, band) in enumerate(items):
        try:
            lo, hi = (float(f) for f in band)
        except (TypeError, ValueError):
            raise ConfigError(
                f"band {name!r}={band!r} must be [low, high] in Hz, e.g. [8, 12]"
            ) from None
        if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi <= nyq):
            raise ConfigError(
                f"band {name!r}=[{lo}, {hi}] Hz must satisfy 0 <= low < high <= Nyquist "
                f"({nyq} Hz at sfreq={sfreq}): correct the band"
            )
        masks[row] = (freqs >= lo) & (freqs < hi)
        if not masks[row].any():
            raise ConfigError(
                f"band {name!r}=[{lo}, {hi}] Hz holds no frequency bin at this resolution "
                f"({sfreq / nperseg:g} Hz, segments of {nperseg} samples): widen the band "
                "or lengthen the window"
            )
    return masks


def _finish(power: np.ndarray, total: np.ndarray, log: bool, relative: bool) -> np.ndarray:
    if relative:
        power = power / np.maximum(total, np.finfo(np.float64).tiny)
    if log:
        # A flat channel (all zero) would give -inf; floor it at the smallest normal
        # float so decoders downstream never see a non-finite feature.
        power = np.log10(np.maximum(power, np.finfo(np.float64).tiny))
    return power


def band_power(
    data: np.typing.ArrayLike,
    sfreq: float,
    bands: Bands,
    *,
    log: bool = True,
    relative: bool = False,
    nperseg: int | None = None,
) -> np.ndarray:
    """Power in frequency bands per channel, from Welch's method.

    Parameters
    ----------
    data : array-like, shape (n_channels, n_times)
        One window of (filtered) signal.
    sfreq : float
        Sampling rate in Hz.
    bands : mapping of name to [low, high], or sequence of [low, high]
        Bands in Hz, half-open ``[low, high)``, e.g. ``{"alpha": [8, 12]}``.
    log : bool
        Return ``log10`` of the power.
    relative : bool
        Divide each band's power by the channel's total power above DC.
    nperseg : int or None
        Welch segment length; default one second (or the whole window if shorter).

    Returns
    -------
    ndarray, shape (n_bands, n_channels)
        Band power (V^2, the integral of the density over the band), in the order of
        ``bands``.

    See Also
    --------
    BandPower : the same numbers for a fixed window length, several times faster.
    """
    x = np.asarray(data, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] == 0:
        raise ValueError(f"data must be (n_channels, n_times) with samples, got {x.shape}")
    seg = _default_nperseg(x.shape[1], sfreq) if nperseg is None else int(nperseg)
    freqs, psd = scipy.signal.welch(x, fs=sfreq, nperseg=seg, axis=-1)
    masks = _band_masks(bands, freqs, sfreq, seg)
    df = freqs[1] - freqs[0] if freqs.size > 1 else sfreq
    power = (masks.astype(np.float64) @ psd.T) * df
    total = psd[:, freqs > 0].sum(axis=1) * df
    return _finish(power, total, log, relative)


class BandPower:
    """Band power for windows of a fixed length, with everything but the FFT precomputed.

    Gives the numbers of :func:`band_power` (Welch: Hann segments, 50 % overlap, mean
    removed per segment, one-sided density, mean over segments) to rounding, for a fixed
    window length, with the taper, the scaling and the band selection folded into
    arrays built once.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    bands : mapping of name to [low, high], or sequence of [low, high]
        Bands in Hz, half-open ``[low, high)``.
    n_times : int
        Window length in samples.
    log, relative : bool
        As in :func:`band_power`.
    nperseg : int or None
        Welch segment length; default one second (or the whole window if shorter).

    Attributes
    ----------
    freqs_ : ndarray
        Frequencies of the spectrum's bins.
    band_names_ : list
        Band names (or indices), in output order.
    """

    def __init__(
        self,
        sfreq: float,
        bands: Bands,
        n_times: int,
        *,
        log: bool = True,
        relative: bool = False,
        nperseg: int | None = None,
    ) -> None:
        self.sfreq = float(sfreq)
        self.bands = bands
        self.n_times = int(n_times)
        self.log = log
        self.relative = relative
        self.nperseg = nperseg
        if self.n_times < 1:
            raise ValueError(f"n_times must be at least 1, got {n_times}")
        seg = _default_nperseg(self.n_times, self.sfreq) if nperseg is None else int(nperseg)
        if not 1 <= seg <= self.n_times:
            raise ValueError(f"nperseg={seg} must be between 1 and n_times={self.n_times}")
        self._seg = seg
        self._step = seg - seg // 2  # scipy.signal.welch's default noverlap = seg // 2
        self._n_segments = (self.n_times - seg) // self._step + 1
        window = scipy.signal.get_window("hann", seg)
        self._window = window
        self.freqs_ = scipy.fft.rfftfreq(seg, 1.0 / self.sfreq)
        # One-sided density: every bin but DC (and Nyquist for even lengths) doubled.
        scale = np.full(self.freqs_.size, 2.0 / (self.sfreq * np.sum(window**2)))
        scale[0] /= 2.0
        if seg % 2 == 0:
            scale[-1] /= 2.0
        masks = _band_masks(bands, self.freqs_, self.sfreq, seg)
        df = self.sfreq / seg
        # density -> band power in one product: scale each bin, integrate over the band,
        # average over segments.
        self._band_matrix = (masks * (scale * df / self._n_segments)).T.copy()
        total = (self.freqs_ > 0) * (scale * df / self._n_segments)
        self._total_vector = total
        self.band_names_ = (
            list(bands) if isinstance(bands, Mapping) else list(range(len(list(bands))))
        )

    def __call__(self, data: np.typing.ArrayLike) -> np.ndarray:
        """Band power of one window.

        Parameters
        ----------
        data : array-like, shape (n_channels, n_times)
            The window; never modified.

        Returns
        -------
        ndarray, shape (n_bands, n_channels)
        """
        x = np.asarray(data, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_times:
            raise ValueError(
                f"window has shape {x.shape} but BandPower was built for {self.n_times} "
                "samples: build one per window length"
            )
        # (n_channels, n_segments, seg) view of the overlapping segments, no copy.
        segments = np.lib.stride_tricks.sliding_window_view(x, self._seg, axis=-1)[
            :, :: self._step
        ][:, : self._n_segments]
        tapered = (segments - segments.mean(axis=-1, keepdims=True)) * self._window
        spectrum = scipy.fft.rfft(tapered, axis=-1)
        periodogram = (spectrum.real**2 + spectrum.imag**2).sum(axis=1)
        power = (periodogram @ self._band_matrix).T
        total = periodogram @ self._total_vector
        return _finish(power, total, self.log, self.relative)

    def __repr__(self) -> str:
        return (
            f"BandPower({len(self.band_names_)} bands, {self.n_times} samples at "
            f"{self.sfreq} Hz, nperseg={self._seg})"
        )
