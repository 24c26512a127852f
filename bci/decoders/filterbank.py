"""Causal band-pass filtering of epochs, for the filter banks inside FBCSP and FBCCA.

The live path only ever sees the past, so a filter bank inside a decoder must be causal
too: ``scipy.signal.sosfilt`` run forward, never ``filtfilt``. A decoder trained on
zero-phase filtered epochs would meet a different (phase-shifted) signal live and lose
accuracy silently.

Each epoch is filtered on its own, starting from the filter's steady state for the
epoch's first sample (``sosfilt_zi`` scaled by it), so a DC offset does not ring through
the window. The same window filtered offline and live gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.signal import butter, sosfilt, sosfilt_zi


def design_bandpass(
    l_freq: float, h_freq: float, sfreq: float, order: int = 4
) -> NDArray[np.float64]:
    """Design a Butterworth band-pass as second-order sections.

    Parameters
    ----------
    l_freq, h_freq : float
        Pass-band edges in Hz, ``0 < l_freq < h_freq < sfreq / 2``.
    sfreq : float
        Sampling rate in Hz.
    order : int
        Butterworth order of each edge (the band-pass has ``2 * order`` poles).

    Returns
    -------
    sos : ndarray, shape (n_sections, 6)

    Raises
    ------
    ValueError
        If the band does not fit between 0 and the Nyquist frequency.
    """
    nyquist = sfreq / 2.0
    if not 0.0 < l_freq < h_freq < nyquist:
        raise ValueError(
            f"band [{l_freq}, {h_freq}] Hz must satisfy 0 < low < high < Nyquist "
            f"({nyquist} Hz at sfreq={sfreq})"
        )
    return np.asarray(
        butter(order, [l_freq, h_freq], btype="bandpass", fs=sfreq, output="sos"),
        dtype=np.float64,
    )


def design_filter_bank(
    bands: Sequence[Sequence[float]], sfreq: float, order: int = 4
) -> NDArray[np.float64]:
    """Design one band-pass per band, stacked as ``(n_bands, n_sections, 6)``.

    Parameters
    ----------
    bands : sequence of (l_freq, h_freq)
        Pass bands in Hz.
    sfreq : float
        Sampling rate in Hz.
    order : int
        Butterworth order per edge.

    Returns
    -------
    sos : ndarray, shape (n_bands, n_sections, 6)
    """
    return np.stack([design_bandpass(lo, hi, sfreq, order) for lo, hi in bands])


def steady_state(sos: NDArray[np.float64]) -> NDArray[np.float64]:
    """The filter's state for a unit step input, ``(n_sections, 2)``.

    Computing it costs about as much as filtering a short window, so decoders compute it
    once in ``fit`` and pass it to :func:`causal_filter`.

    Parameters
    ----------
    sos : ndarray, shape (n_sections, 6)

    Returns
    -------
    zi : ndarray, shape (n_sections, 2)
    """
    return np.asarray(sosfilt_zi(sos), dtype=np.float64)


def causal_filter(
    sos: NDArray[np.float64], X: NDArray[np.float64], zi: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """Filter each epoch forward in time, starting at steady state for its first sample.

    Parameters
    ----------
    sos : ndarray, shape (n_sections, 6)
        The filter.
    X : ndarray, shape (n_epochs, n_channels, n_times)
        Epochs; not modified.
    zi : ndarray, shape (n_sections, 2) | None
        :func:`steady_state` of ``sos``, if already computed.

    Returns
    -------
    Xf : ndarray, shape (n_epochs, n_channels, n_times)
    """
    # scipy's compiled sosfilt needs a writable sos; a model loaded from a memory map
    # (joblib, skops) holds read-only arrays, so copy those (6 numbers per section)
    sos = np.require(sos, dtype=np.float64, requirements=["C", "W"])
    if zi is None:
        zi = steady_state(sos)
    # the state has shape (n_sections, n_epochs, n_channels, 2) for a filter along the last axis
    zi = zi[:, np.newaxis, np.newaxis, :] * X[np.newaxis, :, :, :1]
    Xf, _ = sosfilt(sos, X, axis=-1, zi=zi)
    return Xf
