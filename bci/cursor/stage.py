"""The cursor stage: decoded velocity in, cursor position out, one decision at a time."""

from __future__ import annotations

import numpy as np


class CursorStage:
    """Integrates a decoded velocity into a cursor position inside the workspace.

    A synchronous post-decoder stage with explicit state: feed it each decision's
    velocity in order with :meth:`step`; :meth:`reset` puts the cursor back at the
    centre. Positions are in workspace units, the workspace being the square
    ``[-bound, bound]²``; the cursor stops at its edges as a screen's pointer does.

    Parameters
    ----------
    dt : float
        Seconds between decisions (the pipeline's step).
    gain : float
        Multiplies the decoded velocity (the user's speed setting).
    bound : float
        Half the workspace's width.
    n_dims : int
        1 (a 1-D cursor, BCI2000's CursorTask) or 2.

    Attributes
    ----------
    position : ndarray, shape (n_dims,)
        Where the cursor is.
    path_length : float
        Distance travelled since the last :meth:`reset` or :meth:`mark`.
    """

    def __init__(self, dt: float, *, gain: float = 1.0, bound: float = 1.0,
                 n_dims: int = 2) -> None:
        if not dt > 0:
            raise ValueError(f"dt must be positive seconds, got {dt!r}")
        self.dt = float(dt)
        self.gain = float(gain)
        self.bound = float(bound)
        self.n_dims = int(n_dims)
        self.reset()

    def reset(self, position: np.ndarray | None = None) -> None:
        """Put the cursor at ``position`` (default the centre)."""
        self.position = (np.zeros(self.n_dims) if position is None
                         else np.asarray(position, dtype=float).copy())
        self.path_length = 0.0

    def mark(self) -> None:
        """Start measuring the path length afresh (a new target appeared)."""
        self.path_length = 0.0

    def step(self, velocity: np.ndarray) -> np.ndarray:
        """Move by ``velocity * dt * gain``; return the new position (a copy)."""
        velocity = np.asarray(velocity, dtype=float).ravel()[:self.n_dims]
        new = np.clip(self.position + self.gain * self.dt * velocity, -self.bound, self.bound)
        self.path_length += float(np.linalg.norm(new - self.position))
        self.position = new
        return new.copy()


__all__ = ["CursorStage"]
