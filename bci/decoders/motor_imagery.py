"""Motor-imagery decoders: CSP-LDA, filter-bank CSP, tangent space + LR, MDM.

All are compositions of pyRiemann and scikit-learn estimators; only the filter bank of
FBCSP is written here, because it must be causal (the live path cannot look ahead).

CSP comes from pyRiemann (``pyriemann.spatialfilters.CSP`` on shrunk covariances) rather
than ``mne.decoding.CSP``: the two give the same filters for the same covariances, but
MNE's logs several lines per fit through MNE's logger, which writes to stdout by default
and would corrupt ``bci train --json``; pyRiemann's is silent, and sharing the covariance
step keeps all four pipelines alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyriemann.classification import MDM
from pyriemann.spatialfilters import CSP
from pyriemann.tangentspace import TangentSpace
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from bci.decoders.base import check_epochs, check_labels
from bci.decoders.covariance import Covariances
from bci.decoders.filterbank import causal_filter, design_filter_bank, steady_state

# Variances below this (V²) are clipped before the log, so a flat window stays finite.
_VARIANCE_FLOOR = 1e-30

#: Ang et al. (2008)'s nine 4-Hz bands from 4 to 40 Hz.
FBCSP_BANDS = (
    (4.0, 8.0),
    (8.0, 12.0),
    (12.0, 16.0),
    (16.0, 20.0),
    (20.0, 24.0),
    (24.0, 28.0),
    (28.0, 32.0),
    (32.0, 36.0),
    (36.0, 40.0),
)


class FilterBankCSP(TransformerMixin, BaseEstimator):
    """Log-variance CSP features in each band of a causal filter bank.

    Each band is a causal Butterworth band-pass run forward over the epoch (from steady
    state for the first sample). In ``fit``, a CSP per band is learnt from shrunk
    covariances (pyRiemann), which keeps the filters stable with many channels and few
    trials; the features, in ``fit`` and ``transform`` alike, are the log-variances of
    the CSP-filtered band signals. Only the filter matrices are kept, so a prediction
    costs one ``sosfilt`` and one small product per band, not a covariance estimate.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    bands : sequence of (float, float)
        Pass bands in Hz.
    n_components : int
        CSP filters kept per band.
    estimator : str
        pyRiemann covariance estimator used to learn the CSP (``"oas"``, ``"lwf"``, ...).
    order : int
        Butterworth order per band edge.

    Attributes
    ----------
    sos_ : ndarray, shape (n_bands, n_sections, 6)
        The band filters.
    zi_ : ndarray, shape (n_bands, n_sections, 2)
        Their steady states for a unit step.
    filters_ : ndarray, shape (n_bands, n_components, n_channels)
        CSP spatial filters (rows) per band.
    n_channels_ : int
        Channel count seen in ``fit``.
    """

    def __init__(
        self,
        sfreq: float,
        bands: Sequence[Sequence[float]] = FBCSP_BANDS,
        n_components: int = 4,
        estimator: str = "oas",
        order: int = 4,
    ) -> None:
        self.sfreq = sfreq
        self.bands = bands
        self.n_components = n_components
        self.estimator = estimator
        self.order = order

    def fit(self, X: ArrayLike, y: ArrayLike) -> FilterBankCSP:
        """Design the filter bank and learn one CSP per band.

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times)
            Training epochs in volts.
        y : array-like, shape (n_epochs,)
            Class labels.

        Returns
        -------
        self : FilterBankCSP
        """
        X = check_epochs(X, min_times=2)
        y = check_labels(y, len(X))
        if len(np.unique(y)) < 2:
            raise ValueError("FBCSP needs at least two classes in y")
        if not 1 <= int(self.n_components) <= X.shape[1]:
            raise ValueError(
                f"n_components={self.n_components} must be between 1 and the {X.shape[1]} channels"
            )
        self.sos_ = design_filter_bank(self.bands, float(self.sfreq), self.order)
        self.zi_ = np.stack([steady_state(sos) for sos in self.sos_])
        filters = []
        for sos, zi in zip(self.sos_, self.zi_, strict=True):
            covs = Covariances(estimator=self.estimator).transform(causal_filter(sos, X, zi))
            csp = CSP(nfilter=int(self.n_components), metric="euclid", log=True).fit(covs, y)
            filters.append(csp.filters_)
        self.filters_ = np.stack(filters)
        self.n_channels_ = X.shape[1]
        return self

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """CSP log-variance features of every band, concatenated band by band.

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times)
            Epochs in volts.

        Returns
        -------
        features : ndarray, shape (n_epochs, n_bands * n_components)
        """
        check_is_fitted(self, "filters_")
        X = check_epochs(X, n_channels=self.n_channels_, min_times=2)
        features = []
        for sos, zi, filters in zip(self.sos_, self.zi_, self.filters_, strict=True):
            sources = filters @ causal_filter(sos, X, zi)  # (n_epochs, n_components, n_times)
            features.append(np.log(np.maximum(sources.var(axis=-1), _VARIANCE_FLOOR)))
        return np.concatenate(features, axis=1)


def make_csp_lda(n_components: int = 4, estimator: str = "oas") -> Pipeline:
    """Shrunk covariances -> CSP log-variance -> LDA.

    Parameters
    ----------
    n_components : int
        CSP filters kept.
    estimator : str
        pyRiemann covariance estimator; shrinkage (``"oas"``) keeps CSP stable with many
        channels and few trials.

    Returns
    -------
    decoder : sklearn.pipeline.Pipeline
    """
    return Pipeline(
        [
            ("covariances", Covariances(estimator=estimator)),
            ("csp", CSP(nfilter=n_components, metric="euclid", log=True)),
            ("lda", LinearDiscriminantAnalysis()),
        ]
    )


def make_fbcsp(
    sfreq: float,
    bands: Sequence[Sequence[float]] = FBCSP_BANDS,
    n_components: int = 4,
    estimator: str = "oas",
) -> Pipeline:
    """Causal filter bank -> CSP per band -> shrinkage LDA on all bands' features.

    Shrinkage LDA (Ledoit-Wolf) stands in for FBCSP's mutual-information feature
    selection: it copes with ``n_bands * n_components`` features from few trials without
    a random, data-hungry selection step.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    bands : sequence of (float, float)
        Pass bands in Hz.
    n_components : int
        CSP filters kept per band.
    estimator : str
        pyRiemann covariance estimator.

    Returns
    -------
    decoder : sklearn.pipeline.Pipeline
    """
    return Pipeline(
        [
            (
                "fbcsp",
                FilterBankCSP(
                    sfreq=sfreq, bands=bands, n_components=n_components, estimator=estimator
                ),
            ),
            ("lda", LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")),
        ]
    )


def make_tangent_space_lr(estimator: str = "oas") -> Pipeline:
    """Shrunk covariances -> Riemannian tangent space -> logistic regression.

    Parameters
    ----------
    estimator : str
        pyRiemann covariance estimator.

    Returns
    -------
    decoder : sklearn.pipeline.Pipeline
    """
    return Pipeline(
        [
            ("covariances", Covariances(estimator=estimator)),
            ("tangent_space", TangentSpace(metric="riemann")),
            ("lr", LogisticRegression(max_iter=1000)),
        ]
    )


def make_mdm(estimator: str = "oas") -> Pipeline:
    """Shrunk covariances -> minimum distance to the Riemannian mean of each class.

    Parameters
    ----------
    estimator : str
        pyRiemann covariance estimator.

    Returns
    -------
    decoder : sklearn.pipeline.Pipeline
    """
    return Pipeline(
        [
            ("covariances", Covariances(estimator=estimator)),
            ("mdm", MDM(metric="riemann")),
        ]
    )
