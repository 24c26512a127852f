"""BCI2000's linear classifier + normaliser: a classifier's output -> a velocity.

BCI2000's CursorTask does not move the cursor by the class a classifier picks: it takes
the classifier's continuous output, removes an offset and divides by a gain that are both
estimated from recent outputs, and uses the result as the cursor's velocity (the
``Normalizer`` filter). So a bias of the classifier, or a change of signal level across a
session, does not push the cursor to one side. :class:`LinearNormaliser` does the same
around any two-class decoder with a ``decision_function`` (CSP+LDA, tangent space + LR).

Trained on class labels, the velocity it learns to give is -1 for the first class (for
motor imagery, ``left``) and +1 for the second (``right``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils.validation import check_is_fitted

from bci.decoders.base import check_labels
from bci.decoders.continuous import target_names


class LinearNormaliser(RegressorMixin, BaseEstimator):
    """A two-class decoder's output, normalised adaptively, as a 1-D velocity.

    Parameters
    ----------
    estimator : estimator
        A two-class decoder with ``decision_function`` (unfitted; cloned in ``fit``).
    buffer : int
        How many recent windows the offset and gain are estimated from online.
    adaptive : bool
        Update offset and gain from the recent outputs online (False: keep training's).
    target_names : sequence of str | None
        Name of the one output (default ``("velocity",)``).

    Attributes
    ----------
    estimator_ : estimator
        The fitted inner decoder.
    offset0_, scale0_ : float
        Offset and gain (as a standard deviation) of the inner output on training data.
    offset_, scale_ : float
        The running values, updated by :meth:`step`, restored by :meth:`reset`.
    classes_inner_ : ndarray
        The inner decoder's classes: the first maps to -1, the second to +1.
    target_names_ : tuple of str
    """

    def __init__(self, estimator: BaseEstimator | None = None, buffer: int = 200,
                 adaptive: bool = True, target_names: Sequence[str] | None = None) -> None:
        self.estimator = estimator
        self.buffer = buffer
        self.adaptive = adaptive
        self.target_names = target_names

    def fit(self, X: ArrayLike, y: ArrayLike) -> LinearNormaliser:
        """Fit the inner decoder on class labels, then the normaliser on its outputs."""
        if self.estimator is None:
            raise ValueError("LinearNormaliser needs an estimator: name one in [decoder] "
                             "inner (e.g. inner = \"csp-lda\")")
        X = np.asarray(X)
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:  # one target column ([targets].classes)
            y = y[:, 0]
        labels = check_labels(y, X.shape[0])
        classes = np.unique(labels)
        if classes.size != 2:
            raise ValueError(f"the linear normaliser needs exactly two classes (left -> -1, "
                             f"right -> +1), got {list(classes)}")
        self.estimator_ = clone(self.estimator).fit(X, labels)
        self.classes_inner_ = np.asarray(self.estimator_.classes_)
        outputs = self._inner(X)
        self.offset0_ = float(np.mean(outputs))
        self.scale0_ = float(np.std(outputs)) or 1.0
        self.target_names_ = target_names(self.target_names or ("velocity",), 1)
        self.reset()
        return self

    def _inner(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.estimator_.decision_function(X), dtype=float).ravel()

    def reset(self) -> None:
        """Forget the online outputs: back to the training offset and gain."""
        self.offset_, self.scale_ = self.offset0_, self.scale0_
        self.recent_ = np.empty(0)

    def step(self, X: ArrayLike) -> np.ndarray:
        """Velocities (n_windows, 1) for consecutive windows; adapts offset and gain."""
        check_is_fitted(self, "estimator_")
        outputs = self._inner(np.asarray(X))
        out = np.empty((outputs.size, 1))
        for i, value in enumerate(outputs):
            out[i, 0] = (value - self.offset_) / self.scale_
            if self.adaptive:
                self.recent_ = np.append(self.recent_, value)[-self.buffer:]
                if self.recent_.size >= max(self.buffer // 2, 2):
                    self.offset_ = float(np.mean(self.recent_))
                    self.scale_ = float(np.std(self.recent_)) or self.scale_
        return out

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """As :meth:`step`: what a pipeline's continuous branch calls once per window."""
        return self.step(X)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Velocities for the windows of ``X`` in order, from the training offset and gain.

        The running state (:meth:`step`) is left untouched.
        """
        check_is_fitted(self, "estimator_")
        running = self.offset_, self.scale_, self.recent_
        self.reset()
        try:
            return self.step(X)
        finally:
            self.offset_, self.scale_, self.recent_ = running


__all__ = ["LinearNormaliser"]
