"""Shrunk covariance matrices of epochs, batched: what every covariance decoder starts with.

pyRiemann's ``Covariances(estimator="oas")`` calls scikit-learn's ``OAS().fit`` once per
epoch, and that estimator also inverts the matrix it estimated (``store_precision``:
``pinvh``, an eigendecomposition) although no decoder uses the inverse. At 64 channels
that inverse was 90 % of a CSP-LDA decision (measured: 27 ms of 30 ms per 0.5-s window
at 1 kHz on a loaded machine; ``bench/bench_latency.py --profile``). :class:`Covariances`
computes the same Oracle Approximating Shrinkage estimate (Chen et al. 2010, in
scikit-learn's formulation) for all epochs at once with numpy, and leaves every other
estimator to pyRiemann.
"""

from __future__ import annotations

import numpy as np
from pyriemann.estimation import Covariances as RiemannCovariances


def oas_covariances(X: np.ndarray) -> np.ndarray:
    """OAS-shrunk covariance of each epoch.

    Parameters
    ----------
    X : ndarray, shape (n_epochs, n_channels, n_times)

    Returns
    -------
    covs : ndarray, shape (n_epochs, n_channels, n_channels)
        As ``sklearn.covariance.oas(X[i].T)[0]`` for every epoch ``i`` (to rounding).
    """
    X = np.asarray(X, dtype=float)
    _, n_channels, n_times = X.shape
    centred = X - X.mean(axis=-1, keepdims=True)
    emp = centred @ centred.transpose(0, 2, 1) / n_times
    if n_channels == 1:
        return emp  # one feature: the shrinkage changes nothing
    alpha = np.mean(emp**2, axis=(1, 2))
    mu = np.trace(emp, axis1=1, axis2=2) / n_channels
    mu_squared = mu**2
    num = alpha + mu_squared
    den = (n_times + 1) * (alpha - mu_squared / n_channels)
    with np.errstate(divide="ignore", invalid="ignore"):
        shrinkage = np.where(den == 0, 1.0, np.minimum(num / np.where(den == 0, 1.0, den),
                                                       1.0))
    covs = (1.0 - shrinkage)[:, None, None] * emp
    diagonal = np.arange(n_channels)
    covs[:, diagonal, diagonal] += (shrinkage * mu)[:, None]
    return covs


class Covariances(RiemannCovariances):
    """pyRiemann's ``Covariances``, with the ``"oas"`` estimator batched in numpy.

    Parameters
    ----------
    estimator : str
        A pyRiemann covariance estimator name; ``"oas"`` is computed here.
    **kwds
        Passed to pyRiemann for the other estimators.
    """

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Covariance matrix of each epoch, shape (n_epochs, n_channels, n_channels)."""
        if self.estimator == "oas" and not self.kwds:
            return oas_covariances(X)
        return super().transform(X)
