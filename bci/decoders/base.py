"""Input checks shared by the hand-written decoders.

Every decoder takes epochs shaped ``(n_epochs, n_channels, n_times)`` as MNE and pyRiemann
do. These checks turn anything else into a one-line ``ValueError`` that says what was
expected, instead of an obscure broadcasting error deep inside numpy.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import issparse
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d


def check_epochs(
    X: ArrayLike,
    *,
    n_channels: int | None = None,
    n_times: int | None = None,
    min_times: int = 1,
) -> NDArray[np.float64]:
    """Validate epochs and return them as a float64 array (no copy when already one).

    Parameters
    ----------
    X : array-like, shape (n_epochs, n_channels, n_times)
        Epochs in volts.
    n_channels : int | None
        The number of channels the decoder was fitted on, if it must match.
    n_times : int | None
        The number of samples per epoch the decoder was fitted on, if it must match.
    min_times : int
        The fewest samples per epoch the decoder can work with.

    Returns
    -------
    X : ndarray of float64, shape (n_epochs, n_channels, n_times)

    Raises
    ------
    ValueError
        If ``X`` is not 3-D, empty, complex, not finite, or does not match the fitted shape.
    """
    if issparse(X):
        raise TypeError("sparse input is not supported: pass dense epochs")
    X = np.asarray(X)
    if X.dtype.kind == "c":
        raise ValueError("Complex data not supported: pass real-valued signals in volts")
    try:
        X = X.astype(np.float64, copy=False)
    except (TypeError, ValueError) as err:
        raise type(err)(f"epochs must be numeric arrays: {err}") from None
    if X.ndim != 3:
        raise ValueError(
            f"epochs must be 3-D (n_epochs, n_channels, n_times) but have shape {X.shape}. "
            "Reshape your data: X[np.newaxis] turns one window into one epoch"
        )
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"epochs have shape {X.shape}: need at least one epoch and channel")
    if X.shape[2] < min_times:
        raise ValueError(
            f"epochs have {X.shape[2]} samples but this decoder needs at least {min_times}: "
            "lengthen the window"
        )
    if n_channels is not None and X.shape[1] != n_channels:
        raise ValueError(
            f"epochs have {X.shape[1]} channels but the decoder was fitted on {n_channels}: "
            "pick the same channels or refit"
        )
    if n_times is not None and X.shape[2] != n_times:
        raise ValueError(
            f"epochs have {X.shape[2]} samples but the decoder was fitted on {n_times}: "
            "use the same window length or refit"
        )
    if not np.isfinite(X).all():
        raise ValueError("epochs contain NaN or infinity: drop or repair those windows first")
    return X


def check_labels(y: ArrayLike, n_epochs: int) -> np.ndarray:
    """Validate class labels for ``n_epochs`` epochs and return them as a 1-D array.

    Parameters
    ----------
    y : array-like, shape (n_epochs,)
        One label per epoch.
    n_epochs : int
        The number of epochs the labels belong to.

    Returns
    -------
    y : ndarray, shape (n_epochs,)

    Raises
    ------
    ValueError
        If ``y`` is missing, not 1-D, of the wrong length, or not class labels.
    """
    if y is None:
        raise ValueError(
            "this decoder requires y to be passed, but the target y is None: "
            "pass one label per epoch"
        )
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        # scikit-learn's own estimators accept a column vector with a warning; do the same
        y = column_or_1d(y, warn=True)
    if y.ndim != 1 or y.shape[0] != n_epochs:
        raise ValueError(f"y has shape {y.shape} but there are {n_epochs} epochs")
    if y.dtype.kind == "T":
        # numpy's variable-width StringDType (MNE's annotation descriptions): scikit-learn
        # rejects it, so use fixed-width strings like everyone else
        y = y.astype(np.str_)
    check_classification_targets(y)
    return y
