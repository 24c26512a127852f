"""SSVEP flicker as a sampled sinusoid: one luminance value per video frame.

Square-wave flicker by frame counting only reaches frequencies that divide the refresh
rate (60 Hz: 30, 20, 15, 12, 10, ...). Sampling ``0.5 (1 + sin(2 pi f k / R + phase))``
at frame ``k`` of a display refreshing at ``R`` Hz instead gives any frequency below
``R / 2`` (Manyakov et al. 2013, Chen et al. 2015), with its phase under control for
joint frequency-phase coding.
"""

from __future__ import annotations

import numpy as np

__all__ = ["flicker_frame", "sampled_sinusoid"]


def sampled_sinusoid(frequency: float, refresh: float, n_frames: int, *,
                     phase: float = 0.0) -> np.ndarray:
    """Luminance in [0, 1] of frames ``0 .. n_frames - 1`` of a flicker.

    Parameters
    ----------
    frequency : float
        Flicker frequency in Hz; below ``refresh / 2`` to be shown without aliasing.
    refresh : float
        Display refresh rate in Hz.
    n_frames : int
        Frames to compute.
    phase : float
        Phase in radians at frame 0.

    Returns
    -------
    luminance : ndarray, shape (n_frames,)
    """
    k = np.arange(n_frames)
    return 0.5 * (1.0 + np.sin(2.0 * np.pi * frequency * k / refresh + phase))


def flicker_frame(elapsed: float, refresh: float) -> int:
    """Frame index of a flicker ``elapsed`` seconds after its first frame.

    Rounding the elapsed time (not counting drawn frames) keeps the phase locked to the
    clock: after a dropped frame the next one shows the value due at its own time.
    """
    return max(0, int(round(elapsed * refresh)))
