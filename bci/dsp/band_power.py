"""Band power of a window: the feature of the training-free decoders and neurofeedback.

This module is the one implementation of band power in bci: :class:`BandPower` (an engine
built once per window length), :func:`band_power` (the same for a single call) and the
decoders ``bci.decoders.BandPower`` / ``BandRatio``, which run this engine.

Conventions
-----------
- Welch's method as ``scipy.signal.welch`` computes it: Hann segments of one second (or
  the whole window if shorter), 50 % overlap, the mean removed per segment, one-sided
  density, mean over segments.
- Bands are **inclusive on both edges**, ``[low, high]``, as MNE's PSD band tools: with
  the 1 Hz bins of one-second segments, ``[8, 12]`` sums the 8, 9, 10, 11 and 12 Hz bins.
  Adjacent bands that share an edge (``[8, 13]``, ``[13, 30]``) both count that bin.
- Power is the density integrated over the band (V²); ``relative`` divides by the power
  over all bins above 0 Hz.
- Powers (and the total of ``relative``) are floored at :data:`POWER_FLOOR` = 1e-30
  before dividing or taking ``log10``, so a flat channel gives -30 bels, never -inf.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.fft
import scipy.signal

from bci.errors import ConfigError

__all__ = ["POWER_FLOOR", "BandPower", "band_power", "check_band"]

Bands = Mapping[str, Sequence[float]] | Sequence[Sequence[float]]

#: Powers (V², or fractions) below this are clipped before a division or ``log10``, so a
#: flat channel gives a finite feature (-30 bels).
POWER_FLOOR = 1e-30


def _default_nperseg(n_times: int, sfreq: float) -> int:
    # One-second segments (1 Hz bins, 50 % overlap: three segments in a 2 s window)
    # trade resolution for variance; a shorter window is one segment.
    return max(1, min(n_times, round(sfreq)))


def check_band(name: object, band: Sequence[float], sfreq: float) -> tuple[float, float]:
    """Return ``band`` as ``(low, high)`` floats in Hz, or raise if it does not fit.

    Parameters
    ----------
    name : object
        The band's name (or index), for the error message.
    band : sequence of two floats
        ``[low, high]`` in Hz, edges included.
    sfreq : float
        Sampling rate in Hz.

    Returns
    -------
    low, high : float

    Raises
    ------
    ConfigError
        If ``band`` is not two numbers with ``0 <= low < high <= Nyquist``.
    """
    try:
        lo, hi = (float(f) for f in band)
    except (TypeError, ValueError):
        raise ConfigError(
            f"band {name!r}={band!r} must be [low, high] in Hz, e.g. [8, 12]"
        ) from None
    nyq = sfreq / 2.0
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi <= nyq):
        raise ConfigError(
            f"band {name!r}=[{lo}, {hi}] Hz must satisfy 0 <= low < high <= Nyquist "
            f"({nyq} Hz at sfreq={sfreq}): correct the band"
        )
    return lo, hi


def _band_masks(bands: Bands, freqs: np.ndarray, sfreq: float, nperseg: int) -> np.ndarray:
    items = list(bands.items()) if isinstance(bands, Mapping) else list(enumerate(bands))
    if not items:
        raise ConfigError("bands is empty: give at least one band, e.g. alpha = [8, 12]")
    masks = np.zeros((len(items), freqs.size), dtype=bool)
    for row, (name, band) in enumerate(items):
        lo, hi = check_band(name, band, sfreq)
        masks[row] = (freqs >= lo) & (freqs <= hi)
        if not masks[row].any():
            raise ConfigError(
                f"band {name!r}=[{lo}, {hi}] Hz holds no frequency bin at this resolution "
                f"({sfreq / nperseg:g} Hz, segments of {nperseg} samples): widen the band "
                "or lengthen the window"
            )
    return masks


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

    Builds a :class:`BandPower` for this window length and runs it once; to process
    many windows of one length, build the :class:`BandPower` once instead.

    Parameters
    ----------
    data : array-like, shape (..., n_channels, n_times)
        One window of (filtered) signal, or several stacked.
    sfreq : float
        Sampling rate in Hz.
    bands : mapping of name to [low, high], or sequence of [low, high]
        Bands in Hz, edges included: ``{"alpha": [8, 12]}`` sums the 8 to 12 Hz bins.
    log : bool
        Return ``log10`` of the power, floored at :data:`POWER_FLOOR`.
    relative : bool
        Divide each band's power by the channel's total power above DC.
    nperseg : int or None
        Welch segment length; default one second (or the whole window if shorter).

    Returns
    -------
    ndarray, shape (..., n_bands, n_channels)
        Band power (V², the integral of the density over the band), in the order of
        ``bands``.
    """
    x = np.asarray(data, dtype=np.float64)
    if x.ndim < 2 or x.shape[-1] == 0:
        raise ValueError(f"data must be (n_channels, n_times) with samples, got {x.shape}")
    engine = BandPower(sfreq, bands, x.shape[-1], log=log, relative=relative, nperseg=nperseg)
    return engine(x)


class BandPower:
    """Band power for windows of a fixed length, with everything but the FFT precomputed.

    Gives ``scipy.signal.welch``'s numbers (Hann segments, 50 % overlap, mean removed per
    segment, one-sided density, mean over segments) integrated over each band, to 1e-12
    relative, with the taper, the scaling and the band selection folded into arrays built
    once: several times faster than calling ``welch`` per window.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    bands : mapping of name to [low, high], or sequence of [low, high]
        Bands in Hz, edges included.
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
        if not (math.isfinite(self.sfreq) and self.sfreq > 0):
            raise ValueError(f"sfreq must be a positive number of Hz, got {sfreq}")
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
        # the same bins as scipy.signal.welch: integer rates give exact k Hz bins
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
        self._total_vector = (self.freqs_ > 0) * (scale * df / self._n_segments)
        self.band_names_ = (
            list(bands) if isinstance(bands, Mapping) else list(range(len(list(bands))))
        )

    def __call__(self, data: np.typing.ArrayLike) -> np.ndarray:
        """Band power of one window (or of several stacked).

        Parameters
        ----------
        data : array-like, shape (..., n_channels, n_times)
            The window(s); never modified.

        Returns
        -------
        ndarray, shape (..., n_bands, n_channels)
        """
        x = np.asarray(data, dtype=np.float64)
        if x.ndim < 2 or x.shape[-1] != self.n_times:
            raise ValueError(
                f"window has shape {x.shape} but BandPower was built for {self.n_times} "
                "samples: build one per window length"
            )
        # (..., n_channels, n_segments, seg) read-only view of the overlapping segments, no
        # copy (as_strided: sliding_window_view's checks cost as much as the taper)
        *lead, step = x.strides
        segments = np.lib.stride_tricks.as_strided(
            x,
            shape=(*x.shape[:-1], self._n_segments, self._seg),
            strides=(*lead, step * self._step, step),
            writeable=False,
        )
        tapered = (segments - segments.mean(axis=-1, keepdims=True)) * self._window
        spectrum = scipy.fft.rfft(tapered, axis=-1)
        periodogram = (spectrum.real**2 + spectrum.imag**2).sum(axis=-2)
        power = np.swapaxes(periodogram @ self._band_matrix, -1, -2)
        if self.relative:
            total = periodogram @ self._total_vector
            power = power / np.maximum(total, POWER_FLOOR)[..., np.newaxis, :]
        if self.log:
            power = np.log10(np.maximum(power, POWER_FLOOR))
        return power

    def __repr__(self) -> str:
        return (
            f"BandPower({len(self.band_names_)} bands, {self.n_times} samples at "
            f"{self.sfreq} Hz, nperseg={self._seg})"
        )
