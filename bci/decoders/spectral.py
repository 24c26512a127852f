"""Training-free spectral decoders: band power and band ratio (neurofeedback, monitoring).

These decoders have nothing to learn; they turn a window into a continuous value. Their
contract, shared by every continuous decoder in bci:

- ``fit(X=None, y=None)`` checks the parameters (and the channel count when ``X`` is
  given) and returns ``self``, so they go through the same code path as trained decoders;
- ``transform(X)`` gives the features, ``(n_epochs, n_features)``, one per band and channel;
- ``decision_function(X)`` gives *the value*: the feature averaged over channels,
  ``(n_epochs,)`` (band power with several bands: ``(n_epochs, n_bands)``, one column per
  band, in the order the bands were given);
- ``predict(X)`` is the same as ``decision_function(X)``; there are no ``classes_``.

Power is estimated with Welch's method (Hann window, segments of one second or the whole
window if shorter, 50 % overlap), integrated over the band: the unit is V² (absolute), or
a fraction of the power over all frequencies above 0 Hz (``relative=True``). ``log=True``
takes ``log10`` of it (bels), floored at 1e-30 so that a flat channel gives a finite value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.signal import welch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from bci.decoders.base import check_epochs

#: Powers below this (V², or fraction) are clipped before the log, so flat input stays finite.
POWER_FLOOR = 1e-30


def _check_band(name: str, band: Sequence[float], sfreq: float) -> tuple[float, float]:
    """Return ``band`` as ``(low, high)`` floats, or raise if it does not fit the rate."""
    try:
        lo, hi = (float(edge) for edge in band)
    except (TypeError, ValueError):
        raise ValueError(f"band {name!r} must be [low, high] in Hz, got {band!r}") from None
    nyquist = sfreq / 2.0
    if not 0.0 <= lo < hi <= nyquist:
        raise ValueError(
            f"band {name!r} = [{lo}, {hi}] Hz must satisfy 0 <= low < high <= Nyquist "
            f"({nyquist} Hz at sfreq={sfreq})"
        )
    return lo, hi


def _check_sfreq(sfreq: float) -> float:
    sfreq = float(sfreq)
    if not np.isfinite(sfreq) or sfreq <= 0:
        raise ValueError(f"sfreq must be a positive number of Hz, got {sfreq}")
    return sfreq


def welch_psd(X: NDArray[np.float64], sfreq: float) -> tuple[NDArray, NDArray]:
    """Power spectral density of each epoch and channel (Welch, one-second Hann segments).

    Parameters
    ----------
    X : ndarray, shape (n_epochs, n_channels, n_times)
        Epochs in volts.
    sfreq : float
        Sampling rate in Hz.

    Returns
    -------
    freqs : ndarray, shape (n_freqs,)
    psd : ndarray, shape (n_epochs, n_channels, n_freqs)
        V²/Hz.
    """
    nperseg = int(min(X.shape[-1], round(sfreq)))
    return welch(X, fs=sfreq, nperseg=nperseg, axis=-1)


def _band_power(
    freqs: NDArray, psd: NDArray, band: tuple[float, float], name: str
) -> NDArray[np.float64]:
    """Integrate ``psd`` over ``band`` (inclusive edges): ``(n_epochs, n_channels)`` V²."""
    mask = (freqs >= band[0]) & (freqs <= band[1])
    if not mask.any():
        df = freqs[1] - freqs[0] if freqs.size > 1 else float("nan")
        raise ValueError(
            f"band {name!r} = {list(band)} Hz holds no frequency bin at this window length "
            f"(resolution {df:.3g} Hz): widen the band or lengthen the window"
        )
    df = freqs[1] - freqs[0]
    return psd[..., mask].sum(axis=-1) * df


def _total_power(freqs: NDArray, psd: NDArray) -> NDArray[np.float64]:
    df = freqs[1] - freqs[0]
    return psd[..., freqs > 0].sum(axis=-1) * df


def _log10(power: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.log10(np.maximum(power, POWER_FLOOR))


class BandPower(TransformerMixin, BaseEstimator):
    """Power in one or more frequency bands, per channel; training-free.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    bands : mapping of str to (float, float) | None
        Band name -> ``[low, high]`` in Hz. ``None`` means ``{"alpha": (8.0, 12.0)}``.
    log : bool
        Return ``log10`` of the power (bels).
    relative : bool
        Divide by the power over all frequencies above 0 Hz (before the log).

    Attributes
    ----------
    bands_ : dict of str to (float, float)
        The checked bands, in the order given.
    n_channels_ : int | None
        The channel count of the ``X`` given to ``fit``, or ``None`` if fitted without data.

    Notes
    -----
    ``transform`` orders features band by band: all channels of the first band, then all
    channels of the next. ``decision_function`` averages over channels.
    """

    def __init__(
        self,
        sfreq: float,
        bands: Mapping[str, Sequence[float]] | None = None,
        log: bool = True,
        relative: bool = False,
    ) -> None:
        self.sfreq = sfreq
        self.bands = bands
        self.log = log
        self.relative = relative

    def fit(self, X: ArrayLike | None = None, y: ArrayLike | None = None) -> BandPower:
        """Check the parameters; no learning happens.

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times) | None
            Optional example epochs; when given, later input must have as many channels.
        y : None
            Ignored.

        Returns
        -------
        self : BandPower
        """
        sfreq = _check_sfreq(self.sfreq)
        bands = {"alpha": (8.0, 12.0)} if self.bands is None else self.bands
        if not isinstance(bands, Mapping) or not bands:
            raise ValueError(
                f"bands must be a non-empty mapping name -> [low, high], got {bands!r}"
            )
        self.bands_ = {str(name): _check_band(name, band, sfreq) for name, band in bands.items()}
        self.n_channels_ = None if X is None else check_epochs(X).shape[1]
        return self

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """Band power per band and channel.

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times)
            Epochs in volts.

        Returns
        -------
        features : ndarray, shape (n_epochs, n_bands * n_channels)
        """
        check_is_fitted(self, "bands_")
        X = check_epochs(X, n_channels=self.n_channels_, min_times=2)
        freqs, psd = welch_psd(X, self.sfreq)
        powers = np.stack(
            [_band_power(freqs, psd, band, name) for name, band in self.bands_.items()], axis=1
        )  # (n_epochs, n_bands, n_channels)
        if self.relative:
            powers = powers / np.maximum(_total_power(freqs, psd), POWER_FLOOR)[:, np.newaxis]
        if self.log:
            powers = _log10(powers)
        return powers.reshape(len(X), -1)

    def decision_function(self, X: ArrayLike) -> NDArray[np.float64]:
        """The continuous value: band power averaged over channels.

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times)
            Epochs in volts.

        Returns
        -------
        value : ndarray, shape (n_epochs,) for one band, (n_epochs, n_bands) for several
        """
        return self.value_from_features(self.transform(X))

    def value_from_features(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        """The value :meth:`decision_function` gives, from :meth:`transform`'s features.

        The live pipeline publishes both; this spares it a second spectrum.

        Parameters
        ----------
        features : ndarray, shape (n_epochs, n_bands * n_channels)

        Returns
        -------
        value : ndarray, shape (n_epochs,) for one band, (n_epochs, n_bands) for several
        """
        value = features.reshape(len(features), len(self.bands_), -1).mean(axis=-1)
        return value[:, 0] if value.shape[1] == 1 else value

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:
        """Same as :meth:`decision_function` (a continuous output has no classes).

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times)
            Epochs in volts.

        Returns
        -------
        value : ndarray, shape (n_epochs,) or (n_epochs, n_bands)
        """
        return self.decision_function(X)


class BandRatio(TransformerMixin, BaseEstimator):
    """Ratio of the power in two bands per channel (e.g. theta/beta); training-free.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    numerator : (float, float)
        Band of the numerator in Hz (default theta, 4-8 Hz).
    denominator : (float, float)
        Band of the denominator in Hz (default beta, 13-30 Hz).
    log : bool
        Return ``log10`` of the ratio.

    Attributes
    ----------
    numerator_, denominator_ : (float, float)
        The checked bands.
    n_channels_ : int | None
        The channel count of the ``X`` given to ``fit``, or ``None`` if fitted without data.
    """

    def __init__(
        self,
        sfreq: float,
        numerator: Sequence[float] = (4.0, 8.0),
        denominator: Sequence[float] = (13.0, 30.0),
        log: bool = False,
    ) -> None:
        self.sfreq = sfreq
        self.numerator = numerator
        self.denominator = denominator
        self.log = log

    def fit(self, X: ArrayLike | None = None, y: ArrayLike | None = None) -> BandRatio:
        """Check the parameters; no learning happens.

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times) | None
            Optional example epochs; when given, later input must have as many channels.
        y : None
            Ignored.

        Returns
        -------
        self : BandRatio
        """
        sfreq = _check_sfreq(self.sfreq)
        self.numerator_ = _check_band("numerator", self.numerator, sfreq)
        self.denominator_ = _check_band("denominator", self.denominator, sfreq)
        self.n_channels_ = None if X is None else check_epochs(X).shape[1]
        return self

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """Band ratio per channel.

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times)
            Epochs in volts.

        Returns
        -------
        ratio : ndarray, shape (n_epochs, n_channels)
        """
        check_is_fitted(self, "numerator_")
        X = check_epochs(X, n_channels=self.n_channels_, min_times=2)
        freqs, psd = welch_psd(X, self.sfreq)
        num = _band_power(freqs, psd, self.numerator_, "numerator")
        den = _band_power(freqs, psd, self.denominator_, "denominator")
        ratio = num / np.maximum(den, POWER_FLOOR)
        return _log10(ratio) if self.log else ratio

    def decision_function(self, X: ArrayLike) -> NDArray[np.float64]:
        """The continuous value: the per-channel ratio averaged over channels.

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times)
            Epochs in volts.

        Returns
        -------
        value : ndarray, shape (n_epochs,)
        """
        return self.value_from_features(self.transform(X))

    def value_from_features(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        """The value :meth:`decision_function` gives, from :meth:`transform`'s features.

        Parameters
        ----------
        features : ndarray, shape (n_epochs, n_channels)

        Returns
        -------
        value : ndarray, shape (n_epochs,)
        """
        return features.mean(axis=-1)

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:
        """Same as :meth:`decision_function` (a continuous output has no classes).

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times)
            Epochs in volts.

        Returns
        -------
        value : ndarray, shape (n_epochs,)
        """
        return self.decision_function(X)
