"""Causal IIR filters as second-order sections: design, and the stateful chunk runner.

Design uses scipy's Butterworth and notch designers (``scipy.signal.butter`` gives the
same sections as ``mne.filter.create_filter(..., method="iir", phase="forward")`` with
``iir_params=dict(order=..., ftype="butter", output="sos")``; a test checks it). Every
designer validates its settings and raises :class:`bci.errors.ConfigError` with one line
that says what to change.

:class:`SosFilter` runs the sections chunk by chunk with carried state, so that a signal
split into any chunks gives exactly (bit for bit) the output of one
``scipy.signal.sosfilt`` call on the whole signal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

import numpy as np
import scipy.signal

from bci.errors import ConfigError

__all__ = [
    "SosFilter",
    "design_bandpass",
    "design_highpass",
    "design_lowpass",
    "design_notch",
    "stack_sos",
]


# --------------------------------------------------------------------------------------
# The kernel.
#
# ``scipy.signal.sosfilt`` validates its arguments, moves axes and copies ``zi`` twice on
# every call, then runs the compiled kernel ``scipy.signal._sosfilt._sosfilt`` in place
# on a C-contiguous copy of the data. For the live path that wrapper is most of the cost
# of a small chunk (measured: 194 us against 42 us for 256 channels x 1 sample x 43
# sections; 37 us against 4 us for 8 channels), so SosFilter calls the same kernel
# directly, keeping its state in the kernel's own layout. The kernel is private scipy
# API: it is used only if it imports and reproduces the public function bit for bit on a
# small example at import time; otherwise the public function runs, with the same results.
# --------------------------------------------------------------------------------------


def _public_sosfilt_inplace(sos: np.ndarray, x: np.ndarray, zi: np.ndarray) -> None:
    """Filter ``x`` (n_signals, n_times) in place; ``zi`` is (n_signals, n_sections, 2)."""
    y, zf = scipy.signal.sosfilt(sos, x, axis=-1, zi=zi.transpose(1, 0, 2))
    x[...] = y
    zi[...] = zf.transpose(1, 0, 2)


def _load_kernel():
    try:
        from scipy.signal._sosfilt import _sosfilt
    except ImportError:  # pragma: no cover - depends on the scipy version
        return _public_sosfilt_inplace
    rng = np.random.default_rng(0)
    sos = scipy.signal.butter(3, [0.1, 0.3], btype="bandpass", output="sos")
    x = rng.standard_normal((3, 37))
    zi = rng.standard_normal((sos.shape[0], 3, 2))
    want_y, want_zf = scipy.signal.sosfilt(sos, x, axis=-1, zi=zi)
    got_y = np.array(x, order="C")
    got_zi = np.ascontiguousarray(zi.transpose(1, 0, 2))
    try:
        _sosfilt(np.ascontiguousarray(sos), got_y, got_zi)
    except Exception:  # pragma: no cover - a changed private signature
        return _public_sosfilt_inplace
    if np.array_equal(got_y, want_y) and np.array_equal(got_zi.transpose(1, 0, 2), want_zf):
        return _sosfilt
    return _public_sosfilt_inplace  # pragma: no cover - a changed private semantics


#: Filters (n_signals, n_times) C-contiguous float64 data in place, updating
#: zi (n_signals, n_sections, 2) in place: the kernel of ``scipy.signal.sosfilt``.
_sosfilt_inplace = _load_kernel()


class SosFilter:
    """A causal IIR filter with carried state, applied to chunks along time.

    The model is ``y, self.zi_ = scipy.signal.sosfilt(self.sos_, x, axis=-1,
    zi=self.zi_)``; the state is initialised lazily on the first chunk to
    ``sosfilt_zi(sos)`` scaled by each channel's first sample, i.e. the steady state for
    a signal that had been constant at that value, so a DC offset does not ring.

    Parameters
    ----------
    sos : array-like, shape (n_sections, 6)
        Second-order sections, as from :func:`design_bandpass` or :func:`stack_sos`.
    n_channels : int
        Number of channels (rows) of every chunk.

    Attributes
    ----------
    sos_ : ndarray, shape (n_sections, 6)
        The sections (C-contiguous float64 copy).
    zi_ : ndarray, shape (n_sections, n_channels, 2) or None
        The filter state in ``scipy.signal.sosfilt``'s layout, ``None`` before the first
        chunk. It is a view of the live state: copy it to keep a snapshot.

    Notes
    -----
    Chunk invariance is exact, not approximate: the kernel runs, per channel and per
    sample, the same sequence of floating-point operations whatever the chunk
    boundaries, and the state carried between chunks is the full float64 state. So the
    output for any split equals one ``sosfilt`` call on the whole signal bit for bit
    (``np.array_equal``), which ``tests/test_dsp.py`` asserts.

    The filter does not guard against NaN or Inf: one non-finite sample makes the state
    non-finite for good. :class:`bci.dsp.FilterChain` puts a
    :class:`bci.dsp.NonFiniteGuard` in front of it.
    """

    def __init__(self, sos: np.typing.ArrayLike, n_channels: int) -> None:
        sos_arr = np.array(sos, dtype=np.float64, order="C", ndmin=2)
        if sos_arr.ndim != 2 or sos_arr.shape[1] != 6 or sos_arr.shape[0] == 0:
            raise ValueError(
                f"sos must have shape (n_sections, 6), got {np.shape(sos)}: "
                "design it with bci.dsp.design_* or scipy.signal.butter(..., output='sos')"
            )
        if int(n_channels) < 1:
            raise ValueError(f"n_channels must be at least 1, got {n_channels}")
        self.sos = sos
        self.n_channels = int(n_channels)
        self.sos_ = sos_arr
        # The unit-step steady state, one (n_sections, 2) block scaled per channel on the
        # first chunk; computed once here, not per chunk.
        self._zi_unit = scipy.signal.sosfilt_zi(sos_arr)
        self._zi: np.ndarray | None = None  # (n_channels, n_sections, 2): kernel layout

    @property
    def zi_(self) -> np.ndarray | None:
        """The state in ``scipy.signal.sosfilt`` layout (n_sections, n_channels, 2)."""
        return None if self._zi is None else self._zi.transpose(1, 0, 2)

    @zi_.setter
    def zi_(self, value: np.typing.ArrayLike | None) -> None:
        if value is None:
            self._zi = None
            return
        shape = (self.sos_.shape[0], self.n_channels, 2)
        zi = np.asarray(value, dtype=np.float64)
        if zi.shape != shape:
            raise ValueError(f"zi_ must have shape {shape}, got {zi.shape}")
        self._zi = np.ascontiguousarray(zi.transpose(1, 0, 2))

    @property
    def n_sections(self) -> int:
        """Number of second-order sections (the cost of the filter per sample)."""
        return self.sos_.shape[0]

    def reset(self) -> None:
        """Forget the state; the next chunk re-initialises it from its first sample."""
        self._zi = None

    def __call__(self, data: np.typing.ArrayLike) -> np.ndarray:
        """Filter one chunk.

        Parameters
        ----------
        data : array-like, shape (n_channels, n_times)
            The chunk; never modified.

        Returns
        -------
        ndarray, shape (n_channels, n_times)
            The filtered chunk, a new C-contiguous float64 array.
        """
        x = np.asarray(data, dtype=np.float64)
        if x.ndim != 2 or x.shape[0] != self.n_channels:
            raise ValueError(
                f"chunk has shape {x.shape} but the filter was built for "
                f"{self.n_channels} channels: pass (n_channels, n_times) chunks"
            )
        # The kernel filters in place: this copy is the output, and it keeps the caller's
        # array untouched.
        y = np.array(x, dtype=np.float64, order="C", copy=True)
        if y.shape[1] == 0:
            return y
        if self._zi is None:
            self._zi = np.ascontiguousarray(self._zi_unit[None, :, :] * y[:, :1, None])
        _sosfilt_inplace(self.sos_, y, self._zi)
        return y

    def __repr__(self) -> str:
        return f"SosFilter(n_sections={self.n_sections}, n_channels={self.n_channels})"


def stack_sos(sos_list: Sequence[np.typing.ArrayLike]) -> np.ndarray:
    """Fuse a cascade of SOS filters into one SOS array.

    Parameters
    ----------
    sos_list : sequence of array-like, each (n_sections_i, 6)
        The filters in the order they would be applied.

    Returns
    -------
    ndarray, shape (sum of n_sections_i, 6)
        One array whose single ``sosfilt`` call equals the cascade.

    Notes
    -----
    An SOS array *is* a cascade: ``sosfilt`` feeds each section's output to the next.
    Filtering with A and then with B therefore runs exactly the sections of A followed by
    those of B, the same floating-point operations in the same order, so the
    concatenation is not an approximation of the cascade but the cascade itself (and
    one call replaces several, saving the per-call overhead and a pass over memory).
    Only the initial state differs from running the filters separately with
    ``sosfilt_zi`` each: for the fused array ``sosfilt_zi`` scales each section's state
    by the DC gain of the sections before it, which is the true steady state of the
    cascade.
    """
    arrays = [np.asarray(s, dtype=np.float64).reshape(-1, 6) for s in sos_list]
    if not arrays:
        raise ValueError("stack_sos needs at least one SOS array")
    return np.ascontiguousarray(np.vstack(arrays))


# --------------------------------------------------------------------------------------
# Designers.
# --------------------------------------------------------------------------------------


def _check_number(what: str, name: str, value: object) -> float:
    # bool is an int in Python, but `l_freq = true` in a TOML file is a mistake.
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ConfigError(f"{what} {name}={value!r} must be a number (in Hz)")
    out = float(value)
    if not math.isfinite(out):
        raise ConfigError(f"{what} {name}={value!r} must be a finite number")
    return out


def _check_sfreq(what: str, sfreq: object) -> float:
    fs = _check_number(what, "sfreq", sfreq)
    if fs <= 0:
        raise ConfigError(f"{what} sfreq={fs} Hz must be positive: check the stream's rate")
    return fs


def _check_order(what: str, order: object) -> int:
    if isinstance(order, bool) or not isinstance(order, Real) or order != int(order):
        raise ConfigError(f"{what} order={order!r} must be a whole number such as 4")
    if not 1 <= int(order) <= 16:
        raise ConfigError(
            f"{what} order={order!r} is out of range: use 1 to 16 (4 is usual; "
            "each step of order adds 6 dB/octave and one section of cost)"
        )
    return int(order)


def _check_cutoff(what: str, name: str, value: object, fs: float, fix: str) -> float:
    f = _check_number(what, name, value)
    if f <= 0:
        raise ConfigError(f"{what} {name}={f} Hz must be positive: {fix}")
    nyq = fs / 2.0
    if f >= nyq:
        raise ConfigError(
            f"{what} {name}={f} Hz is at or above Nyquist ({nyq} Hz at sfreq={fs}): "
            f"lower {name}{' or ' + fix if fix else ''}"
        )
    return f


def _check_stable(what: str, sos: np.ndarray) -> np.ndarray:
    # Butterworth sections are stable by construction; this catches numerical trouble
    # from extreme settings (very high order at a very low cut-off) before it reaches
    # the live loop as a filter that blows up.
    a = sos[:, 3:]
    # Roots of z^2 + a1 z + a2 lie inside the unit circle iff |a2| < 1 and |a1| < 1 + a2.
    stable = (np.abs(a[:, 2]) < 1.0) & (np.abs(a[:, 1]) < 1.0 + a[:, 2])
    if not (np.all(stable) and np.all(np.isfinite(sos))):
        raise ConfigError(
            f"{what} design is numerically unstable: lower the order or raise the cut-off"
        )
    return np.ascontiguousarray(sos)


def design_bandpass(sfreq: float, l_freq: float, h_freq: float, order: int = 4) -> np.ndarray:
    """Design a causal Butterworth bandpass.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    l_freq, h_freq : float
        Lower and upper cut-offs (-3 dB) in Hz, ``0 < l_freq < h_freq < sfreq / 2``.
    order : int
        Butterworth order of the prototype, as in MNE's ``iir_params``; the bandpass has
        ``order`` sections (twice the order in poles).

    Returns
    -------
    ndarray, shape (order, 6)
        Second-order sections.

    Raises
    ------
    ConfigError
        If a cut-off is not positive, is at or above Nyquist, or ``l_freq >= h_freq``.
    """
    what = "bandpass"
    fs = _check_sfreq(what, sfreq)
    order = _check_order(what, order)
    lo = _check_cutoff(what, "l_freq", l_freq, fs, "use a lowpass for a filter from DC")
    hi = _check_cutoff(what, "h_freq", h_freq, fs, "use a highpass")
    if lo >= hi:
        raise ConfigError(
            f"bandpass l_freq={lo} Hz must be below h_freq={hi} Hz: swap or correct them"
        )
    sos = scipy.signal.butter(order, [lo, hi], btype="bandpass", fs=fs, output="sos")
    return _check_stable(what, sos)


def design_highpass(sfreq: float, l_freq: float, order: int = 4) -> np.ndarray:
    """Design a causal Butterworth highpass.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    l_freq : float
        Cut-off (-3 dB) in Hz, ``0 < l_freq < sfreq / 2``.
    order : int
        Butterworth order (``ceil(order / 2)`` sections).

    Returns
    -------
    ndarray, shape (ceil(order / 2), 6)
        Second-order sections.

    Raises
    ------
    ConfigError
        If ``l_freq`` is not positive or is at or above Nyquist.
    """
    what = "highpass"
    fs = _check_sfreq(what, sfreq)
    order = _check_order(what, order)
    lo = _check_cutoff(what, "l_freq", l_freq, fs, "")
    sos = scipy.signal.butter(order, lo, btype="highpass", fs=fs, output="sos")
    return _check_stable(what, sos)


def design_lowpass(sfreq: float, h_freq: float, order: int = 4) -> np.ndarray:
    """Design a causal Butterworth lowpass.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    h_freq : float
        Cut-off (-3 dB) in Hz, ``0 < h_freq < sfreq / 2``.
    order : int
        Butterworth order (``ceil(order / 2)`` sections).

    Returns
    -------
    ndarray, shape (ceil(order / 2), 6)
        Second-order sections.

    Raises
    ------
    ConfigError
        If ``h_freq`` is not positive or is at or above Nyquist.
    """
    what = "lowpass"
    fs = _check_sfreq(what, sfreq)
    order = _check_order(what, order)
    hi = _check_cutoff(what, "h_freq", h_freq, fs, "drop the lowpass")
    sos = scipy.signal.butter(order, hi, btype="lowpass", fs=fs, output="sos")
    return _check_stable(what, sos)


def design_notch(
    sfreq: float,
    freq: float = 50.0,
    harmonics: bool | int = True,
    quality: float = 30.0,
) -> np.ndarray:
    """Design causal notches at a mains frequency and its harmonics.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    freq : float
        The fundamental in Hz (50 in Europe, Asia, Africa; 60 in the Americas).
    harmonics : bool or int
        ``True``: notch every multiple of ``freq`` below Nyquist. ``False``: only
        ``freq``. An int ``k >= 1``: the first ``k`` multiples (``freq, 2 freq, ...,
        k freq``), those at or above Nyquist left out.
    quality : float
        Quality factor ``Q = f / bandwidth`` of each notch (``scipy.signal.iirnotch``);
        the same Q at every harmonic, so the notch widens with frequency as mains drift
        does (a 0.1 Hz drift of the fundamental is a 0.1 k Hz drift of harmonic k).

    Returns
    -------
    ndarray, shape (n_notches, 6)
        One second-order section per notch, lowest frequency first.

    Raises
    ------
    ConfigError
        If ``freq`` is not positive or is at or above Nyquist, ``quality`` is not
        positive, or ``harmonics`` is not a bool or a positive int.
    """
    what = "notch"
    fs = _check_sfreq(what, sfreq)
    f0 = _check_cutoff(
        what, "freq", freq, fs, "set freq to the mains frequency (50 or 60) or drop the notch"
    )
    q = _check_number(what, "quality", quality)
    if q <= 0:
        raise ConfigError(f"notch quality={q} must be positive: 30 is usual (higher = narrower)")
    nyq = fs / 2.0
    n_below = math.ceil(nyq / f0) - 1  # multiples k * f0 strictly below Nyquist
    if isinstance(harmonics, bool):
        n = n_below if harmonics else 1
    elif isinstance(harmonics, Real) and harmonics == int(harmonics) and harmonics >= 1:
        n = min(int(harmonics), n_below)
    else:
        raise ConfigError(
            f"notch harmonics={harmonics!r} must be true (all below Nyquist), false "
            "(fundamental only) or a count such as 3 (freq, 2*freq, 3*freq)"
        )
    sections = []
    for k in range(1, n + 1):
        b, a = scipy.signal.iirnotch(k * f0, q, fs=fs)
        sections.append(np.concatenate([b, a]))
    return _check_stable(what, np.array(sections, dtype=np.float64))
