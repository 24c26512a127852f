"""What the regression decoders share: window features, targets, and their decision.

A regression decoder (``ridge``, ``kalman``, ``linear-normaliser``) outputs one value per
target (``[targets].channels``, e.g. ``cursor_vx`` and ``cursor_vy``) for every window.
Two of them carry state from one window to the next (the Kalman filter's estimate, the
normaliser's recent outputs), so they are stepped in order with :meth:`step` and
restarted with :meth:`reset`; ``predict(X)`` runs a fresh copy of that state over the
windows of ``X`` in order, so offline evaluation equals a live run bit for bit.

:func:`continuous_decision` is the decision a pipeline makes for such a decoder: the
pipeline's ``decide`` should call it for any decoder with ``target_names_``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from bci.decoders.base import check_epochs

#: Window features a regression decoder can observe.
#: ``rate``: each channel's mean times the rate (spike counts per sample -> spikes/s);
#: ``log-power``: log10 of each channel's mean square (EEG, EMG amplitude).
FEATURES = ("rate", "log-power")


def window_features(X: ArrayLike, features: str, sfreq: float,
                    n_channels: int | None = None) -> np.ndarray:
    """Features of each window, shape (n_windows, n_channels).

    Parameters
    ----------
    X : array-like, shape (n_windows, n_channels, n_times)
    features : str
        One of :data:`FEATURES`.
    sfreq : float
        Sampling rate in Hz.
    n_channels : int | None
        The number the decoder was fitted on, if it must match.
    """
    X = check_epochs(X, n_channels=n_channels)
    if features == "rate":
        return X.mean(axis=-1) * sfreq
    if features == "log-power":
        return np.log10(np.mean(X * X, axis=-1) + 1e-30)
    raise ValueError(f"features must be one of {', '.join(FEATURES)}, got {features!r}")


def check_targets(y: ArrayLike, n_windows: int) -> np.ndarray:
    """Targets as float64 (n_windows, n_targets); one-line errors for anything else."""
    if y is None:
        raise ValueError("a regression decoder needs targets y: pass one row of target "
                         "values per window ([targets] in the config)")
    y = np.asarray(y)
    if y.dtype.kind not in "fiub":
        raise ValueError(f"regression targets must be numbers, got dtype {y.dtype}: name "
                         "kinematics channels in [targets].channels")
    y = y.astype(np.float64)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != n_windows:
        raise ValueError(f"targets have shape {y.shape} but there are {n_windows} windows")
    if not np.isfinite(y).all():
        raise ValueError("targets contain NaN or infinity: repair the kinematics channels")
    return y


def target_names(names: Sequence[str] | None, n_targets: int) -> tuple[str, ...]:
    """The given target names, or ``y0``, ``y1``, ... when there are none."""
    if names is None:
        return tuple(f"y{k}" for k in range(n_targets))
    names = tuple(str(n) for n in names)
    if len(names) != n_targets:
        raise ValueError(f"{len(names)} target names {list(names)} for {n_targets} targets: "
                         "give one name per target column")
    return names


def continuous_decision(decoder: object, window_data: np.ndarray) -> tuple[float, np.ndarray]:
    """One window through a regression decoder: ``(value, outputs)``.

    ``outputs`` has one entry per target (``decoder.target_names_``, in order), and
    ``value`` is the first of them (the ``class`` channel of the decision stream). The
    decoder's state advances: call it once per window, in order.

    Parameters
    ----------
    decoder : fitted regression decoder
        Anything :func:`is_regression` accepts, fitted.
    window_data : ndarray, shape (n_channels, n_times)
    """
    outputs = np.asarray(decoder.step(window_data[np.newaxis]), dtype=float).ravel()
    return float(outputs[0]), outputs


def is_regression(decoder: object) -> bool:
    """Whether a decoder (fitted or not) outputs one continuous value per target."""
    return callable(getattr(decoder, "step", None)) and callable(
        getattr(decoder, "reset", None))


__all__ = ["FEATURES", "check_targets", "continuous_decision", "is_regression",
           "target_names", "window_features"]
