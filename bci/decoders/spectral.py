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

Power comes from the one band-power engine, :class:`bci.dsp.BandPower` (Welch's method as
``scipy.signal.welch``: Hann window, segments of one second or the whole window if
shorter, 50 % overlap), integrated over the band with **both edges included** (``[8, 12]``
sums the 8 to 12 Hz bins): the unit is V² (absolute), or a fraction of the power over all
frequencies above 0 Hz (``relative=True``). ``log=True`` takes ``log10`` of it (bels),
floored at :data:`~bci.dsp.band_power.POWER_FLOOR` = 1e-30 so that a flat channel gives a
finite value (-30). The engine is built once per window length, on the first
``transform`` of that length, and is not part of the saved model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from bci.decoders.base import check_epochs
from bci.dsp.band_power import POWER_FLOOR, check_band
from bci.dsp.band_power import BandPower as WindowBandPower

#: Window lengths whose engine is kept; a live decoder sees one, a test a few.
_MAX_ENGINES = 8


def _check_sfreq(sfreq: float) -> float:
    sfreq = float(sfreq)
    if not np.isfinite(sfreq) or sfreq <= 0:
        raise ValueError(f"sfreq must be a positive number of Hz, got {sfreq}")
    return sfreq


class _EngineCache:
    """Per-window-length :class:`bci.dsp.BandPower` engines, built on demand.

    ``fit`` starts an empty cache; ``transform`` adds the engine of a window length the
    first time it sees it. The cache is derived from the parameters, not fitted state: it
    is left out of pickles and ``skops`` files (``__getstate__``) and comes back empty on
    load (``__setstate__``), so a saved decoder holds only plain parameters and arrays.
    """

    def _engine(self, n_times: int, bands: Mapping[str, Sequence[float]], **kwargs: Any):
        # bands come from fit, which empties the cache; the key holds the parameters the
        # engine bakes in that set_params could change without a new fit
        key = (n_times, self.sfreq, *kwargs.values())
        engines = self._engines
        engine = engines.get(key)
        if engine is None:
            engine = WindowBandPower(self.sfreq, bands, n_times, **kwargs)
            if len(engines) >= _MAX_ENGINES:
                engines.pop(next(iter(engines)))
            engines[key] = engine
        return engine

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state = dict(state)  # BaseEstimator may return __dict__ itself
        state.pop("_engines", None)
        return state

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._engines = {}


class BandPower(_EngineCache, TransformerMixin, BaseEstimator):
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
    channels of the next. ``decision_function`` averages over channels. Bands include
    both edges; the numbers are those of :func:`bci.dsp.band_power` (the same engine).
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
        self.bands_ = {str(name): check_band(name, band, sfreq) for name, band in bands.items()}
        self.n_channels_ = None if X is None else check_epochs(X).shape[1]
        self._engines = {}
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
        engine = self._engine(X.shape[-1], self.bands_, log=self.log, relative=self.relative)
        return engine(X).reshape(len(X), -1)  # (n_epochs, n_bands, n_channels), flattened

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


class BandRatio(_EngineCache, TransformerMixin, BaseEstimator):
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
        self.numerator_ = check_band("numerator", self.numerator, sfreq)
        self.denominator_ = check_band("denominator", self.denominator, sfreq)
        self.n_channels_ = None if X is None else check_epochs(X).shape[1]
        self._engines = {}
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
        bands = {"numerator": self.numerator_, "denominator": self.denominator_}
        num, den = np.moveaxis(self._engine(X.shape[-1], bands, log=False)(X), 1, 0)
        ratio = num / np.maximum(den, POWER_FLOOR)
        return np.log10(np.maximum(ratio, POWER_FLOOR)) if self.log else ratio

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
