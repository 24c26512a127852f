"""Unsupervised re-centering of covariances on the session's running Riemannian mean.

Zanini et al. (2018) whiten each session's covariances by that session's mean, so that
every session is centred on the identity. Here the decoder keeps its training as it is
and the step, placed right after the covariance step, *transports* each session
covariance ``C`` onto the training mean ``R``::

    C' = T C T^T,   T = R^(1/2) M^(-1/2),   M = running mean of the session

which maps the session's mean ``M`` onto ``R``. For the tangent space (whose reference
is ``R``) and for MDM (whose distances are affine-invariant) this gives exactly the
features of Zanini's re-centering; and before the warm-up ends ``T`` is the identity,
so the decoder is the trained one, bit for bit. The same construction serves a decoder
trained without this step: its training mean is the tangent space's ``reference_``.

The step is stateful by design: ``transform`` takes each covariance into the running
mean first, in the order given (the stream's order), then re-centres it. ``fit`` (and
``fit_transform``, used when a scikit-learn pipeline is fitted) leaves the training data
untouched and resets the session state.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyriemann.geometry.base import invsqrtm, sqrtm
from pyriemann.geometry.distance import distance_riemann
from pyriemann.geometry.mean import mean_riemann
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from bci.adapt.running_mean import RunningRiemannianMean

#: Names of the pyRiemann steps that turn epochs into covariance matrices.
COVARIANCE_STEPS = ("Covariances", "XdawnCovariances", "ERPCovariances",
                    "TimeDelayCovariances", "BlockCovariances")


def covariance_step(decoder: object) -> int | None:
    """Index of the covariance step of a scikit-learn pipeline, or None if it has none.

    Parameters
    ----------
    decoder : estimator

    Returns
    -------
    int or None
    """
    if not isinstance(decoder, Pipeline):
        return None
    from pyriemann.estimation import Covariances, XdawnCovariances

    for index, (_, step) in enumerate(decoder.steps):
        # pyRiemann's estimators and their subclasses (bci.decoders.covariance's batched
        # OAS is one).
        if isinstance(step, (Covariances, XdawnCovariances)):
            return index
    return None


def _check_covariances(X: ArrayLike) -> NDArray[np.float64]:
    X = np.asarray(X, dtype=float)
    if X.ndim != 3 or X.shape[1] != X.shape[2]:
        raise ValueError(f"expected covariances of shape (n_matrices, n, n), got {X.shape}")
    return X


class Recentering(TransformerMixin, BaseEstimator):
    """Re-centre each covariance on the session's running Riemannian mean.

    Parameters
    ----------
    forgetting : float or None
        Forgetting factor of the running mean, in (0, 1]; 1 or None keeps every window
        (cumulative mean) unless ``window`` is given.
    window : int or None
        Running mean of the last ``window`` covariances instead.
    warmup : int
        Windows seen before re-centering starts; until then the decoder runs un-adapted
        (and :meth:`describe` says so).

    Attributes
    ----------
    reference_ : ndarray, shape (n, n)
        The training covariances' Riemannian mean: where the session mean is moved to.
    tracker_ : RunningRiemannianMean
        The session's running mean (explicit state; :meth:`reset` clears it).
    start_mean_ : ndarray or None
        Mean a session starts from (the previous session's end, see
        :func:`bci.adapt.adapted_model`); None starts from nothing.
    start_count_ : int
        Windows ``start_mean_`` stands for.
    transport_ : ndarray, shape (n, n)
        The current ``T`` (identity during the warm-up).
    """

    def __init__(self, forgetting: float | None = None, window: int | None = None,
                 warmup: int = 10) -> None:
        self.forgetting = forgetting
        self.window = window
        self.warmup = warmup

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> Recentering:
        """Store the training covariances' Riemannian mean and start a fresh session.

        Parameters
        ----------
        X : array-like, shape (n_matrices, n, n)
            Training covariances.
        y : ignored

        Returns
        -------
        self : Recentering
        """
        return self.fit_reference(mean_riemann(_check_covariances(X)))

    def fit_reference(self, reference: ArrayLike) -> Recentering:
        """Fit from a known training mean (e.g. a fitted tangent space's ``reference_``).

        Parameters
        ----------
        reference : array-like, shape (n, n)

        Returns
        -------
        self : Recentering
        """
        if isinstance(self.warmup, bool) or int(self.warmup) != self.warmup or self.warmup < 0:
            raise ValueError(f"warmup must be a number of windows >= 0, got {self.warmup!r}")
        self.reference_ = np.array(reference, dtype=float)
        self.reference_sqrt_ = sqrtm(self.reference_)
        self.tracker_ = RunningRiemannianMean(self.forgetting, self.window)
        self.start_mean_ = None
        self.start_count_ = 0
        self.reset()
        return self

    def fit_transform(self, X: ArrayLike, y: ArrayLike | None = None, **fit_params
                      ) -> NDArray[np.float64]:
        """Fit, and return the training covariances unchanged (they define the reference)."""
        X = _check_covariances(X)
        self.fit(X, y)
        return X

    def reset(self) -> None:
        """Start a new session: the running mean from ``start_mean_`` (or nothing)."""
        check_is_fitted(self, "reference_")
        self.tracker_.reset(self.start_mean_, self.start_count_)
        self._update_transport()

    @property
    def adapted(self) -> bool:
        """Whether the warm-up is over (covariances are being re-centred)."""
        return self.tracker_.mean is not None and self.tracker_.n_seen >= int(self.warmup)

    def _update_transport(self) -> None:
        if self.adapted:
            self.transport_ = self.reference_sqrt_ @ invsqrtm(self.tracker_.mean)
        else:
            self.transport_ = np.eye(len(self.reference_))

    def partial_fit(self, X: ArrayLike, y: ArrayLike | None = None) -> Recentering:
        """Take covariances into the session's running mean, in order (no output).

        Parameters
        ----------
        X : array-like, shape (n_matrices, n, n)
        y : ignored

        Returns
        -------
        self : Recentering
        """
        check_is_fitted(self, "reference_")
        for matrix in self._checked(X):
            self.tracker_.update(matrix)
        self._update_transport()
        return self

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """Take each covariance into the running mean, then re-centre it (stream order).

        Parameters
        ----------
        X : array-like, shape (n_matrices, n, n)

        Returns
        -------
        X_new : ndarray, shape (n_matrices, n, n)
        """
        check_is_fitted(self, "reference_")
        X = self._checked(X)
        out = np.empty_like(X)
        for index, matrix in enumerate(X):
            self.tracker_.update(matrix)
            self._update_transport()
            out[index] = self._transport(matrix)
        return out

    def apply(self, X: ArrayLike) -> NDArray[np.float64]:
        """Re-centre with the current mean without taking ``X`` into it (no state change).

        Parameters
        ----------
        X : array-like, shape (n_matrices, n, n)

        Returns
        -------
        X_new : ndarray, shape (n_matrices, n, n)
        """
        check_is_fitted(self, "reference_")
        X = self._checked(X)
        return np.stack([self._transport(m) for m in X]) if len(X) else X.copy()

    def _checked(self, X: ArrayLike) -> NDArray[np.float64]:
        X = _check_covariances(X)
        if X.shape[1] != len(self.reference_):
            raise ValueError(f"covariances are {X.shape[1]}x{X.shape[1]} but the decoder was "
                             f"trained on {len(self.reference_)}x{len(self.reference_)}")
        return X

    def _transport(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        if not self.adapted:
            return matrix.copy()  # un-adapted: exactly the trained decoder's input
        moved = self.transport_ @ matrix @ self.transport_.T
        return (moved + moved.T) / 2.0  # symmetric to the last bit, as the next step expects

    def describe(self) -> dict:
        """JSON-serialisable summary of the state, for the decision stream and ``--stats``.

        Returns
        -------
        dict
            ``status`` is ``"adapted"`` or ``"warming up (k/N windows): un-adapted"``;
            ``shift`` is the Riemannian distance from the training mean to the session
            mean (how far the session had moved; None before the first window).
        """
        check_is_fitted(self, "reference_")
        seen = self.tracker_.n_seen
        status = ("adapted" if self.adapted else
                  f"warming up ({seen}/{int(self.warmup)} windows): un-adapted")
        shift = (None if self.tracker_.mean is None
                 else float(distance_riemann(self.reference_, self.tracker_.mean)))
        return {"kind": "recenter", "status": status, "adapted": self.adapted,
                "warmup": int(self.warmup), "started_from_previous": self.start_mean_ is not None,
                "shift": shift, **self.tracker_.describe()}


def insert_recentering(decoder: Pipeline, recentering: Recentering) -> Pipeline:
    """A pipeline with ``recentering`` right after its covariance step.

    The other steps are the same objects (fitted or not); the input pipeline is not
    modified.

    Parameters
    ----------
    decoder : sklearn.pipeline.Pipeline
    recentering : Recentering

    Returns
    -------
    sklearn.pipeline.Pipeline

    Raises
    ------
    ValueError
        If the decoder has no covariance step.
    """
    index = covariance_step(decoder)
    if index is None:
        raise ValueError("the decoder has no covariance step to re-centre")
    steps = list(decoder.steps)
    return Pipeline([*steps[:index + 1], ("recenter", recentering), *steps[index + 1:]])


def recentering_of(decoder: object) -> Recentering | None:
    """The :class:`Recentering` step of a decoder, if it has one."""
    if isinstance(decoder, Pipeline):
        for _, step in decoder.steps:
            if isinstance(step, Recentering):
                return step
    return None
