"""Resting-EEG measures: theta/beta ratio, individual alpha peak, relative band powers.

Spectra are Welch estimates (:func:`scipy.signal.welch`: Hann windows of
:data:`WELCH_SECONDS`, half overlap, mean of the segments' periodograms, constant
detrend), the estimate ``mne.time_frequency.psd_array_welch`` gives with the same
window, segment and overlap (checked in ``tests/test_attention_resting.py``). Band power
is the sum of the PSD over the band's bins times the bin width, bins with
``low <= f < high``.

Bands (stated in every report):

- theta/beta ratio: theta 4-8 Hz over beta 13-21 Hz (the bands of the theta/beta
  literature after Monastra et al. 1999), at Cz and Fz, eyes open;
- relative band powers: delta 1-4, theta 4-8, alpha 8-13, beta 13-30 Hz, each over
  the 1-30 Hz total;
- individual alpha peak frequency: the frequency of the highest PSD bin between 7 and
  14 Hz of the mean spectrum over the posterior channels present (O1, Oz, O2, Pz, P3,
  P4, POz), eyes closed, refined by a parabola through that bin and its neighbours.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.signal import welch

from bci.errors import ConfigError

__all__ = ["ALPHA_SEARCH", "BANDS", "POSTERIOR", "TBR_BANDS", "WELCH_SECONDS",
           "alpha_peak", "band_power", "psd", "relative_band_powers", "resting_measures",
           "theta_beta_ratio"]

WELCH_SECONDS = 4.0
BANDS: dict[str, tuple[float, float]] = {"delta": (1.0, 4.0), "theta": (4.0, 8.0),
                                         "alpha": (8.0, 13.0), "beta": (13.0, 30.0)}
TOTAL_BAND = (1.0, 30.0)
TBR_BANDS = {"theta": (4.0, 8.0), "beta": (13.0, 21.0)}
ALPHA_SEARCH = (7.0, 14.0)
POSTERIOR = ("O1", "Oz", "O2", "Pz", "P3", "P4", "POz")


def psd(data: np.ndarray, sfreq: float, seconds: float = WELCH_SECONDS
        ) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD of ``data`` (n_channels, n_times) in V²/Hz: (freqs, psd)."""
    data = np.asarray(data, dtype=np.float64)
    nperseg = int(round(seconds * sfreq))
    if data.shape[-1] < nperseg:
        raise ConfigError(f"{data.shape[-1] / sfreq:.1f} s of resting EEG is shorter than "
                          f"one {seconds:g}-s Welch segment: record longer")
    freqs, p = welch(data, fs=sfreq, window="hann", nperseg=nperseg,
                     noverlap=nperseg // 2, detrend="constant", average="mean", axis=-1)
    return freqs, p


def band_power(freqs: np.ndarray, p: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    """Absolute power in ``band`` per channel (V²)."""
    m = (freqs >= band[0]) & (freqs < band[1])
    return p[..., m].sum(axis=-1) * (freqs[1] - freqs[0])


def relative_band_powers(freqs: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
    """Each of :data:`BANDS` over the 1-30 Hz total, per channel."""
    total = band_power(freqs, p, TOTAL_BAND)
    return {name: band_power(freqs, p, band) / total for name, band in BANDS.items()}


def theta_beta_ratio(freqs: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Theta (4-8 Hz) over beta (13-21 Hz) power, per channel."""
    return band_power(freqs, p, TBR_BANDS["theta"]) / band_power(freqs, p, TBR_BANDS["beta"])


def alpha_peak(freqs: np.ndarray, p: np.ndarray) -> float:
    """Peak frequency (Hz) of a 1-D spectrum between 7 and 14 Hz, parabola-refined."""
    p = np.asarray(p, dtype=float)
    idx = np.flatnonzero((freqs >= ALPHA_SEARCH[0]) & (freqs <= ALPHA_SEARCH[1]))
    k = int(idx[np.argmax(p[idx])])
    if 0 < k < len(p) - 1 and idx[0] < k < idx[-1]:
        a, b, c = np.log(p[k - 1: k + 2])
        denom = a - 2 * b + c
        shift = 0.5 * (a - c) / denom if denom < 0 else 0.0
        return float(freqs[k] + shift * (freqs[1] - freqs[0]))
    return float(freqs[k])


def _pick(ch_names: Sequence[str], wanted: Sequence[str]) -> list[int]:
    lower = [c.lower().rstrip(".") for c in ch_names]
    return [lower.index(w.lower()) for w in wanted if w.lower() in lower]


def resting_measures(eyes_open: np.ndarray, eyes_closed: np.ndarray, sfreq: float,
                     ch_names: Sequence[str], *, tbr_channels: Sequence[str] = ("Cz", "Fz")
                     ) -> tuple[dict, dict]:
    """Every resting measure of one assessment, and the spectra.

    Parameters
    ----------
    eyes_open, eyes_closed : ndarray, shape (n_channels, n_times)
        The two resting segments, volts.
    sfreq : float
    ch_names : sequence of str
    tbr_channels : sequence of str
        Where the theta/beta ratio is taken (its mean over them is ``theta_beta_ratio``).

    Returns
    -------
    measures : dict
        JSON-serialisable: per period the theta/beta ratios, relative band powers,
        alpha peak and power; ``theta_beta_ratio`` (eyes open, mean over the channels),
        ``alpha_peak_hz`` (eyes closed), ``alpha_reactivity`` and the bands used.
    spectra : dict
        ``eyes_open``/``eyes_closed``: (freqs, psd).

    Raises
    ------
    bci.errors.ConfigError
        When none of ``tbr_channels`` is in ``ch_names``.
    """
    tbr_idx = _pick(ch_names, tbr_channels)
    if not tbr_idx:
        raise ConfigError(f"none of the theta/beta channels {', '.join(tbr_channels)} is in "
                          f"the stream ({', '.join(ch_names)}): set [resting] channels")
    post_idx = _pick(ch_names, POSTERIOR) or list(range(len(ch_names)))
    out: dict = {"bands_hz": {"theta_beta": {k: list(v) for k, v in TBR_BANDS.items()},
                              "relative": {k: list(v) for k, v in BANDS.items()},
                              "relative_total": list(TOTAL_BAND),
                              "alpha_search": list(ALPHA_SEARCH)},
                 "welch": {"seconds": WELCH_SECONDS, "window": "hann", "overlap": 0.5}}
    spectra = {}
    for name, data in (("eyes_open", eyes_open), ("eyes_closed", eyes_closed)):
        freqs, p = psd(data, sfreq)
        tbr = theta_beta_ratio(freqs, p)
        rel = relative_band_powers(freqs, p)
        post = p[post_idx].mean(axis=0)
        out[name] = {
            "seconds": data.shape[-1] / sfreq,
            "theta_beta_ratio": {ch_names[i]: float(tbr[i]) for i in tbr_idx},
            "relative_band_power": {b: {ch_names[i]: float(v[i]) for i in
                                        range(len(ch_names))} for b, v in rel.items()},
            "alpha_peak_hz": alpha_peak(freqs, post),
            "alpha_power": float(band_power(freqs, post, BANDS["alpha"])),
        }
        spectra[name] = (freqs, p)
    out["theta_beta_ratio"] = float(np.mean(list(out["eyes_open"]["theta_beta_ratio"]
                                                 .values())))
    out["alpha_peak_hz"] = out["eyes_closed"]["alpha_peak_hz"]
    out["alpha_reactivity"] = out["eyes_closed"]["alpha_power"] / \
        out["eyes_open"]["alpha_power"]
    out["posterior_channels"] = [ch_names[i] for i in post_idx]
    return out, spectra
