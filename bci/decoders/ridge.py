"""Multi-output ridge regression on window features, with cross-validated regularisation.

Each window's features (binned rates, or log power) are standardised and mapped linearly
to every target at once; the penalty is chosen per target by efficient leave-one-out
cross-validation (scikit-learn's ``RidgeCV``). Stateless: a window's output depends on
that window only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import RidgeCV
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from bci.decoders.continuous import check_targets, target_names, window_features

#: Penalties tried by default (on standardised features).
DEFAULT_ALPHAS: tuple[float, ...] = tuple(float(a) for a in np.logspace(-2, 5, 15))


class RidgeDecoder(RegressorMixin, BaseEstimator):
    """Ridge regression from window features to every target.

    Parameters
    ----------
    sfreq : float
        Sampling rate of the windows, Hz.
    features : str
        ``"rate"`` or ``"log-power"`` (:data:`bci.decoders.continuous.FEATURES`).
    alphas : sequence of float
        Penalties to choose from, per target, by leave-one-out cross-validation.
    target_names : sequence of str | None
        Names of the outputs; ``y0``, ``y1``... when None.

    Attributes
    ----------
    scaler_ : StandardScaler
    ridge_ : RidgeCV
    alpha_ : ndarray, shape (n_targets,)
        The chosen penalties.
    target_names_ : tuple of str
    n_channels_ : int
    """

    def __init__(self, sfreq: float = 1000.0, features: str = "rate",
                 alphas: Sequence[float] = DEFAULT_ALPHAS,
                 target_names: Sequence[str] | None = None) -> None:
        self.sfreq = sfreq
        self.features = features
        self.alphas = alphas
        self.target_names = target_names

    def fit(self, X: ArrayLike, y: ArrayLike) -> RidgeDecoder:
        """Fit on windows ``X`` (n_windows, n_channels, n_times) and targets ``y``."""
        Z = window_features(X, self.features, self.sfreq)
        Y = check_targets(y, Z.shape[0])
        if Z.shape[0] < 2:
            raise ValueError("ridge regression needs at least 2 windows: record longer")
        self.target_names_ = target_names(self.target_names, Y.shape[1])
        self.n_channels_ = Z.shape[1]
        self.scaler_ = StandardScaler().fit(Z)
        self.ridge_ = RidgeCV(alphas=np.asarray(self.alphas, dtype=float),
                              alpha_per_target=True).fit(self.scaler_.transform(Z), Y)
        self.alpha_ = np.atleast_1d(self.ridge_.alpha_)
        return self

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """As :meth:`step`: what a pipeline's continuous branch calls once per window."""
        return self.step(X)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Outputs, shape (n_windows, n_targets)."""
        check_is_fitted(self, "ridge_")
        Z = window_features(X, self.features, self.sfreq, n_channels=self.n_channels_)
        return np.asarray(self.ridge_.predict(self.scaler_.transform(Z))).reshape(
            Z.shape[0], -1)

    def step(self, X: ArrayLike) -> np.ndarray:
        """As :meth:`predict` (no state to advance)."""
        return self.predict(X)

    def reset(self) -> None:
        """Nothing to restart: ridge regression keeps no state between windows."""


__all__ = ["DEFAULT_ALPHAS", "RidgeDecoder"]
