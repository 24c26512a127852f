"""A velocity Kalman filter decoder (Wu et al. 2006), with a steady-state gain and ReFIT.

The state is the targets (the cursor's velocity, ``cursor_vx`` and ``cursor_vy``); the
observation is each channel's feature over a window (the binned firing rate)::

    x_t = A x_{t-1} + w,   w ~ N(0, W)        (kinematics, fitted on the targets)
    z_t = H x_t + b + q,   q ~ N(0, Q)        (tuning, fitted by least squares)

Position is left out of the state on purpose: with rates tuned to velocity only, position
is unobservable and the steady-state Riccati equation has no solution; the cursor stage
integrates the decoded velocity instead, as ReFIT-KF feeds the cursor's position back
(Gilja et al. 2012). ``Q`` is a Ledoit-Wolf shrunk covariance, so 1024 channels fitted
on a few thousand windows stay well conditioned.

The filter is run in information form: each step inverts a (n_targets x n_targets)
matrix, never an (n_channels x n_channels) one; with ``steady_state=True`` (the default)
the gain is the limit of the Riccati recursion, computed once, and a step is one
(n_targets x n_channels) product: constant cost whatever the run's length.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.covariance import ledoit_wolf
from sklearn.utils.validation import check_is_fitted

from bci.decoders.continuous import check_targets, target_names, window_features

#: Condition number of the observation information H^T Q^-1 H beyond which a filter is
#: refused: its estimate would follow noise in the directions the features do not see.
MAX_CONDITION = 1e10


class KalmanDecoder(RegressorMixin, BaseEstimator):
    """Velocity Kalman filter over window features.

    Parameters
    ----------
    sfreq : float
        Sampling rate of the windows, Hz.
    features : str
        ``"rate"`` (spike counts -> spikes/s, intracortical) or ``"log-power"``; see
        :data:`bci.decoders.continuous.FEATURES`.
    steady_state : bool
        Use the converged gain (constant cost per step) instead of the time-varying one.
    target_names : sequence of str | None
        Names of the outputs (the ``[targets]`` channels); ``y0``, ``y1``... when None.

    Attributes
    ----------
    A_, W_ : ndarray, shape (n_targets, n_targets)
        State transition and its noise covariance.
    H_ : ndarray, shape (n_channels, n_targets)
    b_ : ndarray, shape (n_channels,)
    Q_ : ndarray, shape (n_channels, n_channels)
        Observation model: tuning, baseline and noise covariance.
    gain_ : ndarray, shape (n_targets, n_channels)
        The steady-state Kalman gain (set whatever ``steady_state``).
    x0_, P0_ : ndarray
        Initial state (the targets' mean) and covariance.
    state_, covariance_ : ndarray
        The running estimate, advanced by :meth:`step` and restored by :meth:`reset`.
    target_names_ : tuple of str
    n_channels_ : int
    """

    def __init__(self, sfreq: float = 1000.0, features: str = "rate",
                 steady_state: bool = True, target_names: Sequence[str] | None = None
                 ) -> None:
        self.sfreq = sfreq
        self.features = features
        self.steady_state = steady_state
        self.target_names = target_names

    # -- fitting ---------------------------------------------------------------------

    def fit(self, X: ArrayLike, y: ArrayLike) -> KalmanDecoder:
        """Fit kinematics and tuning on consecutive windows ``X`` and their targets ``y``.

        Parameters
        ----------
        X : array-like, shape (n_windows, n_channels, n_times)
            Consecutive windows (the transition model is fitted on neighbours).
        y : array-like, shape (n_windows, n_targets)

        Raises
        ------
        ValueError
            Fewer than three windows, or an observation model that sees too little of the
            targets to invert (a singular observation matrix).
        """
        Z = window_features(X, self.features, self.sfreq)
        Y = check_targets(y, Z.shape[0])
        if Y.shape[0] < 3:
            raise ValueError(f"a Kalman filter needs at least 3 consecutive windows, got "
                             f"{Y.shape[0]}: record longer")
        self.target_names_ = target_names(self.target_names, Y.shape[1])
        self.n_channels_ = Z.shape[1]
        # Kinematics: x_t = A x_{t-1}, least squares on consecutive windows.
        A, *_ = np.linalg.lstsq(Y[:-1], Y[1:], rcond=None)
        self.A_ = A.T
        residual = Y[1:] - Y[:-1] @ A
        self.W_ = np.atleast_2d(np.cov(residual, rowvar=False))
        self.x0_ = Y.mean(axis=0)
        self.P0_ = np.atleast_2d(np.cov(Y, rowvar=False))
        self._fit_observation(Z, Y)
        return self

    def _fit_observation(self, Z: np.ndarray, Y: np.ndarray) -> None:
        design = np.column_stack([Y, np.ones(Y.shape[0])])
        B, *_ = np.linalg.lstsq(design, Z, rcond=None)
        self.H_ = B[:-1].T
        self.b_ = B[-1]
        residual = Z - design @ B
        self.Q_ = ledoit_wolf(residual, assume_centered=True)[0]
        # H^T Q^-1, through a Cholesky solve (Q is symmetric positive definite after
        # shrinkage unless every channel is constant).
        try:
            chol = np.linalg.cholesky(self.Q_)
        except np.linalg.LinAlgError:
            raise ValueError("the Kalman filter's observation noise is singular (every "
                             "channel is constant): pick channels that carry signal") from None
        half = np.linalg.solve(chol, self.H_)  # L^-1 H
        self._HtQinv = np.linalg.solve(chol.T, half).T  # (n_targets, n_channels)
        self._information = half.T @ half  # H^T Q^-1 H
        condition = np.linalg.cond(self._information)
        if not np.isfinite(condition) or condition > MAX_CONDITION:
            raise ValueError(
                f"the Kalman filter's observation matrix is singular (condition "
                f"{condition:.3g}): the features carry no information on some of the "
                f"targets {list(self.target_names_)}; pick channels tuned to them or drop "
                "those targets")
        self.gain_, self._steady_covariance = self._steady_gain()
        self.reset()

    def _steady_gain(self) -> tuple[np.ndarray, np.ndarray]:
        """The Riccati recursion to convergence, in information form (d x d only)."""
        P = self.P0_
        for _ in range(10_000):
            prior = self.A_ @ P @ self.A_.T + self.W_
            posterior = np.linalg.inv(np.linalg.inv(prior) + self._information)
            if np.allclose(posterior, P, rtol=1e-12, atol=1e-15):
                break
            P = posterior
        return posterior @ self._HtQinv, posterior

    def refit(self, X: ArrayLike, y: ArrayLike) -> KalmanDecoder:
        """ReFIT (Gilja et al. 2012): a copy whose tuning is re-fitted on an online run.

        Parameters
        ----------
        X : array-like, shape (n_windows, n_channels, n_times)
            The windows the decoder saw during closed-loop use.
        y : array-like, shape (n_windows, n_targets)
            The velocities the user intended at each window: the decoded velocity turned
            towards the target (and zero on it), see
            :func:`bci.cursor.intention.intended_velocity`.

        Returns
        -------
        KalmanDecoder
            A new fitted decoder (kinematics kept, observation model re-estimated, state
            reset); this one is left as it was.
        """
        check_is_fitted(self, "H_")
        Z = window_features(X, self.features, self.sfreq, n_channels=self.n_channels_)
        Y = check_targets(y, Z.shape[0])
        if Y.shape[1] != self.A_.shape[0]:
            raise ValueError(f"ReFIT targets have {Y.shape[1]} columns but the filter has "
                             f"{self.A_.shape[0]} targets")
        refitted = copy.deepcopy(self)
        refitted._fit_observation(Z, Y)
        return refitted

    # -- running ---------------------------------------------------------------------

    def reset(self) -> None:
        """Restart the filter from its initial state."""
        self.state_ = self.x0_.copy()
        self.covariance_ = self.P0_.copy()

    def step(self, X: ArrayLike) -> np.ndarray:
        """Advance the filter by the windows of ``X`` in order; their estimates.

        Parameters
        ----------
        X : array-like, shape (n_windows, n_channels, n_times)

        Returns
        -------
        ndarray, shape (n_windows, n_targets)
        """
        check_is_fitted(self, "H_")
        Z = window_features(X, self.features, self.sfreq, n_channels=self.n_channels_)
        out = np.empty((Z.shape[0], self.A_.shape[0]))
        A, H, b = self.A_, self.H_, self.b_
        x = self.state_
        for i, z in enumerate(Z):
            prior = A @ x
            if self.steady_state:
                gain = self.gain_
            else:
                P = A @ self.covariance_ @ A.T + self.W_
                self.covariance_ = np.linalg.inv(np.linalg.inv(P) + self._information)
                gain = self.covariance_ @ self._HtQinv
            x = prior + gain @ (z - b - H @ prior)
            out[i] = x
        self.state_ = x
        return out

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """As :meth:`step`: what a pipeline's continuous branch calls once per window."""
        return self.step(X)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Filter the windows of ``X``, in order, from the initial state.

        The running state (:meth:`step`) is left untouched.

        Returns
        -------
        ndarray, shape (n_windows, n_targets)
        """
        check_is_fitted(self, "H_")
        running = self.state_, self.covariance_
        self.reset()
        try:
            return self.step(X)
        finally:
            self.state_, self.covariance_ = running


__all__ = ["KalmanDecoder"]
