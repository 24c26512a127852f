"""EMG time-domain features (Hudgins et al. 1993) for gesture decoding.

Per channel, on each window:

- ``rms``: root mean square, ``sqrt(mean(x**2))`` (V);
- ``mav``: mean absolute value, ``mean(|x|)`` (V);
- ``wl``: waveform length per sample, ``mean(|diff(x)|)`` (V);
- ``zc``: zero crossings per sample: sign changes of ``x`` whose step
  ``|x[i] - x[i+1]|`` is at least ``threshold``;
- ``ssc``: slope sign changes per sample: turning points where
  ``(x[i] - x[i-1]) * (x[i] - x[i+1]) >= threshold**2``.

Counts and lengths are divided by the window length so that the features do not depend
on it. With ``log=True`` the amplitude features (rms, mav, wl) are replaced by their
``log10`` (floored at 1e-12 V), which makes their class distributions closer to Gaussian
with equal spread, as LDA assumes; the counts stay linear.

The threshold keeps quantisation and amplifier noise from counting as crossings: MYO
armbands quantise at 10 µV (1e-5 V), the default.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from bci.decoders.base import check_epochs

#: The features :class:`EMGFeatures` knows, in their canonical order.
EMG_FEATURES = ("rms", "mav", "wl", "zc", "ssc")
_AMPLITUDE_FEATURES = frozenset({"rms", "mav", "wl"})
_AMPLITUDE_FLOOR = 1e-12


def _rms(X: NDArray, threshold: float) -> NDArray:
    return np.sqrt(np.mean(X * X, axis=-1))


def _mav(X: NDArray, threshold: float) -> NDArray:
    return np.mean(np.abs(X), axis=-1)


def _wl(X: NDArray, threshold: float) -> NDArray:
    return np.mean(np.abs(np.diff(X, axis=-1)), axis=-1)


def _zc(X: NDArray, threshold: float) -> NDArray:
    a, b = X[..., :-1], X[..., 1:]
    crossing = (a * b < 0) & (np.abs(a - b) >= threshold)
    return crossing.sum(axis=-1) / X.shape[-1]


def _ssc(X: NDArray, threshold: float) -> NDArray:
    prev, mid, nxt = X[..., :-2], X[..., 1:-1], X[..., 2:]
    turning = (mid - prev) * (mid - nxt) >= threshold * threshold
    return turning.sum(axis=-1) / X.shape[-1]


_FEATURE_FUNCS = {"rms": _rms, "mav": _mav, "wl": _wl, "zc": _zc, "ssc": _ssc}


class EMGFeatures(TransformerMixin, BaseEstimator):
    """Classic EMG time-domain features per channel; nothing is learned.

    Parameters
    ----------
    features : sequence of str
        Any of ``"rms"``, ``"mav"``, ``"wl"``, ``"zc"``, ``"ssc"``, in the output order.
    log : bool
        Take ``log10`` of the amplitude features (rms, mav, wl).
    threshold : float
        Amplitude threshold in volts for ``zc`` and ``ssc``.

    Attributes
    ----------
    features_ : tuple of str
        The checked feature names.
    n_channels_ : int
        The channel count seen in ``fit``.

    Notes
    -----
    ``transform`` orders the output feature by feature: all channels of the first feature,
    then all channels of the next.
    """

    def __init__(
        self,
        features: Sequence[str] = EMG_FEATURES,
        log: bool = True,
        threshold: float = 1e-5,
    ) -> None:
        self.features = features
        self.log = log
        self.threshold = threshold

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> EMGFeatures:
        """Check the parameters and remember the channel count.

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times)
            Example windows in volts.
        y : None
            Ignored.

        Returns
        -------
        self : EMGFeatures
        """
        features = (self.features,) if isinstance(self.features, str) else tuple(self.features)
        unknown = [f for f in features if f not in _FEATURE_FUNCS]
        if unknown or not features:
            raise ValueError(
                f"unknown EMG features {unknown or features!r}: choose from {list(EMG_FEATURES)}"
            )
        if not float(self.threshold) >= 0.0:
            raise ValueError(f"threshold must be >= 0 volts, got {self.threshold!r}")
        self.features_ = features
        self.n_channels_ = check_epochs(X, min_times=2).shape[1]
        return self

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """Compute the features.

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times)
            Windows in volts, at least two samples long.

        Returns
        -------
        features : ndarray, shape (n_epochs, n_features * n_channels)
        """
        check_is_fitted(self, "features_")
        X = check_epochs(X, n_channels=self.n_channels_, min_times=2)
        threshold = float(self.threshold)
        columns = []
        for name in self.features_:
            value = _FEATURE_FUNCS[name](X, threshold)
            if self.log and name in _AMPLITUDE_FEATURES:
                value = np.log10(np.maximum(value, _AMPLITUDE_FLOOR))
            columns.append(value)
        return np.concatenate(columns, axis=1)


def make_emg_lda(
    features: Sequence[str] = EMG_FEATURES, log: bool = True, threshold: float = 1e-5
) -> Pipeline:
    """EMG time-domain features -> shrinkage LDA.

    Shrinkage (Ledoit-Wolf, on standardised features inside LDA) keeps the 40 features of
    an 8-channel armband stable when a calibration holds a few hundred windows.

    Parameters
    ----------
    features : sequence of str
        Features per channel (see :class:`EMGFeatures`).
    log : bool
        Take ``log10`` of the amplitude features.
    threshold : float
        Amplitude threshold in volts for ``zc`` and ``ssc``.

    Returns
    -------
    decoder : sklearn.pipeline.Pipeline
    """
    return Pipeline(
        [
            ("features", EMGFeatures(features=features, log=log, threshold=threshold)),
            ("lda", LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")),
        ]
    )
