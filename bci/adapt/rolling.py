"""``partial_fit`` for any classifier: a refit on a rolling window of labelled trials.

:class:`RollingRefit` wraps the classifier of a decoder trained with
``[adapt] supervised``. ``fit`` keeps the calibration trials' features besides fitting;
``partial_fit`` appends the session's labelled trials and refits on all of them (or the
newest ``window``), so the classifier starts from the calibration and moves, trial by
trial, towards the session. A saved adapted model keeps the
window, so the next session continues from it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data


def _classifier_has(name: str):
    return lambda self: hasattr(self.estimator, name)


class RollingRefit(ClassifierMixin, BaseEstimator):
    """A classifier refitted on the newest ``window`` labelled trials at each update.

    Parameters
    ----------
    estimator : classifier
        The classifier to fit (cloned at every refit).
    window : int or None
        Trials held (the newest); None holds every trial, calibration and session.

    Attributes
    ----------
    estimator_ : classifier
        The current fit.
    X_, y_ : ndarray
        The trials it was fitted on, oldest first.
    classes_ : ndarray
        The classes of the calibration (fixed: updates may not add one).
    window_ : int or None
        Trials held (None: all).
    n_updates_ : int
        Refits since ``fit``.
    """

    def __init__(self, estimator: BaseEstimator, window: int | None = None) -> None:
        self.estimator = estimator
        self.window = window

    def fit(self, X: ArrayLike, y: ArrayLike) -> RollingRefit:
        """Fit the classifier and keep the newest ``window`` trials.

        Parameters
        ----------
        X : array-like, shape (n_trials, n_features)
        y : array-like, shape (n_trials,)

        Returns
        -------
        self : RollingRefit
        """
        # allow_nd: MDM's trials are covariance matrices
        X, y = validate_data(self, X, y, allow_nd=True, dtype=float)
        if self.window is not None and (isinstance(self.window, bool) or self.window < 2):
            raise ValueError(f"window must be at least 2 trials, got {self.window!r}")
        self.window_ = int(self.window) if self.window is not None else None
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_
        keep = slice(-self.window_, None) if self.window_ else slice(None)
        self.X_, self.y_ = X[keep].copy(), y[keep].copy()
        self.n_updates_ = 0
        return self

    def partial_fit(self, X: ArrayLike, y: ArrayLike, classes: ArrayLike | None = None
                    ) -> RollingRefit:
        """Add labelled trials and refit on the newest ``window``.

        A refit that would lose a class (the window holds none of it) is skipped: the
        previous fit stays.

        Parameters
        ----------
        X : array-like, shape (n_trials, n_features)
        y : array-like, shape (n_trials,)
        classes : ignored (the calibration, or the first call, fixes them)

        Returns
        -------
        self : RollingRefit

        Raises
        ------
        ValueError
            If a label is not one of ``classes_``.
        """
        if not hasattr(self, "estimator_"):
            return self.fit(X, y)
        X, y = validate_data(self, X, y, allow_nd=True, dtype=float, reset=False)
        y = y.astype(self.y_.dtype, copy=False)
        unknown = sorted(set(map(str, y)) - set(map(str, self.classes_)))
        if unknown:
            raise ValueError(f"label(s) {unknown} are not among the classes "
                             f"{[str(c) for c in self.classes_]}")
        keep = slice(-self.window_, None) if self.window_ else slice(None)
        self.X_ = np.concatenate([self.X_, X])[keep]
        self.y_ = np.concatenate([self.y_, y])[keep]
        if set(self.y_) == set(self.classes_):
            self.estimator_ = clone(self.estimator).fit(self.X_, self.y_)
            self.n_updates_ += 1
        return self

    def predict(self, X: ArrayLike) -> NDArray:
        """Classes of ``X``."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(validate_data(self, X, allow_nd=True, dtype=float,
                                                    reset=False))

    @available_if(_classifier_has("predict_proba"))
    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Class probabilities of ``X`` (where the classifier has them)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(validate_data(self, X, allow_nd=True, dtype=float,
                                                    reset=False))

    @available_if(_classifier_has("decision_function"))
    def decision_function(self, X: ArrayLike) -> NDArray[np.float64]:
        """Decision values of ``X`` (where the classifier has them)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.decision_function(validate_data(self, X, allow_nd=True, dtype=float,
                                                    reset=False))
