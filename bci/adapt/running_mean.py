"""A running Riemannian mean of SPD matrices, fed one matrix at a time in stream order.

Three memories:

- cumulative (``forgetting=None, window=None``): the inductive (recursive Karcher) mean
  ``M_n = geodesic(M_{n-1}, C_n, 1/n)``, which converges to the batch Riemannian mean
  (Ho et al. 2013) at the cost of one geodesic step per matrix;
- a forgetting factor ``λ``: ``M_n = geodesic(M_{n-1}, C_n, max(1/n, 1 - λ))``. Early steps
  are cumulative (so the first matrices are not over-weighted against an arbitrary start),
  later ones weigh the newest matrix by ``1 - λ``. SPD matrices with the affine-invariant
  metric have non-positive curvature, so each step contracts distances by ``λ``: the
  influence of a matrix seen ``k`` steps ago is at most ``λ**k`` (memory is bounded);
- a window of ``N`` matrices: the exact Riemannian mean of the last ``N``
  (:func:`pyriemann.geometry.mean.mean_riemann`, started from the previous mean, so it
  takes a few iterations per step).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyriemann.geometry.geodesic import geodesic_riemann
from pyriemann.geometry.mean import mean_riemann


class RunningRiemannianMean:
    """Riemannian mean of the SPD matrices seen so far, with bounded or unbounded memory.

    Parameters
    ----------
    forgetting : float or None
        Forgetting factor ``λ`` in (0, 1]: the newest matrix weighs ``1 - λ`` once more
        than ``1/(1 - λ)`` matrices were seen. 1 or None: no forgetting (cumulative).
    window : int or None
        Keep the exact mean of the last ``window`` matrices instead (>= 1). Exclusive
        with ``forgetting``.

    Attributes
    ----------
    mean : ndarray, shape (n, n) or None
        The current mean (None before the first matrix).
    n_seen : int
        Matrices seen since the last :meth:`reset`.
    """

    def __init__(self, forgetting: float | None = None, window: int | None = None) -> None:
        if forgetting is not None and window is not None:
            raise ValueError("give a forgetting factor or a window, not both")
        if forgetting is not None and not 0.0 < forgetting <= 1.0:
            raise ValueError(f"forgetting must be in (0, 1], got {forgetting}")
        if window is not None and (isinstance(window, bool) or int(window) != window
                                   or window < 1):
            raise ValueError(f"window must be a positive number of windows, got {window!r}")
        self.forgetting = forgetting
        self.window = None if window is None else int(window)
        self.reset()

    def reset(self, mean: ArrayLike | None = None, n_seen: int = 0) -> None:
        """Forget everything, or start from a given mean as if ``n_seen`` matrices made it.

        Parameters
        ----------
        mean : array-like, shape (n, n) or None
            A starting mean (e.g. the end of the previous session).
        n_seen : int
            How many matrices it stands for (weighs it against the first new ones in the
            cumulative phase).
        """
        self.mean: NDArray[np.float64] | None = (
            None if mean is None else np.array(mean, dtype=float))
        self.n_seen = int(n_seen) if mean is not None else 0
        # the window's matrices, oldest first; the starting mean stands for no matrix in it
        self.held: NDArray[np.float64] | None = None

    def step_weight(self) -> float:
        """Weight of the next matrix in a geodesic step (cumulative or forgetting memory)."""
        weight = 1.0 / (self.n_seen + 1)
        if self.forgetting is not None:
            weight = max(weight, 1.0 - self.forgetting)
        return weight

    def update(self, matrix: ArrayLike) -> NDArray[np.float64]:
        """Take in one SPD matrix; return the new mean.

        Parameters
        ----------
        matrix : array-like, shape (n, n)

        Returns
        -------
        mean : ndarray, shape (n, n)
        """
        matrix = np.asarray(matrix, dtype=float)
        if self.window is not None:
            held = matrix[np.newaxis] if self.held is None else np.concatenate(
                [self.held[-(self.window - 1):] if self.window > 1 else self.held[:0],
                 matrix[np.newaxis]])
            self.held = held
            if len(held) == 1:
                self.mean = matrix.copy()
            else:
                init = self.mean if self.mean is not None else None
                self.mean = mean_riemann(held, init=init)
        elif self.mean is None:
            self.mean = matrix.copy()
        else:
            self.mean = geodesic_riemann(self.mean, matrix, self.step_weight())
        self.n_seen += 1
        return self.mean

    def describe(self) -> dict:
        """JSON-serialisable summary: memory and how many matrices were seen."""
        memory = ("window" if self.window is not None
                  else "forgetting" if self.forgetting is not None else "cumulative")
        return {"memory": memory, "forgetting": self.forgetting, "window": self.window,
                "n_seen": self.n_seen}
