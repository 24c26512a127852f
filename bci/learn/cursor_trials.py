"""A 1-D cursor over cued trials, as BCI2000's CursorTask scores motor imagery.

In each trial the cursor starts at the centre when feedback begins and integrates the
decoder's continuous output (through :class:`~bci.decoders.normaliser.LinearNormaliser`
this is a velocity, offset and gain adapted from recent outputs). The trial is a hit when
the cursor reaches the cued side (``+1`` for the class whose value is positive, ``-1``
for the other) before the trial ends; reaching the other side first is a miss, as is
reaching neither (a timeout). The decisions come in order, one per window, so the same
function scores an offline replay and a live run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

#: Workspace units per second for a normalised output of 1 (one standard deviation of
#: recent outputs): from the centre to an edge in 1 s of a steady 1-s.d. output (on
#: PhysioNet S001, 0.5 left most trials timed out, 1.0 ended 80 % of them).
GAIN_1D = 1.0


def wolpaw_bits(n_targets: int, accuracy: float) -> float:
    """Bits per selection (Wolpaw et al. 2002), 0 at or below chance."""
    p = float(accuracy)
    if n_targets < 2 or p <= 1.0 / n_targets:
        return 0.0
    bits = math.log2(n_targets) + p * math.log2(p)
    if p < 1:
        bits += (1 - p) * math.log2((1 - p) / (n_targets - 1))
    return bits


def cursor_1d(times: Sequence[float], outputs: Sequence[float],
              trials: Sequence[tuple[float, float, float]], *, step: float,
              gain: float = GAIN_1D, feedback_start: float = 0.5) -> dict:
    """Score a 1-D cursor over cued trials.

    Parameters
    ----------
    times : sequence of float
        End time of each decision's window (seconds, the recording's clock), increasing.
    outputs : sequence of float
        The decoder's velocity for each decision.
    trials : sequence of (onset, duration, side)
        Each cue's time and length in seconds, and its side (+1 or -1).
    step : float
        Seconds between decisions (each output moves the cursor for this long).
    gain : float
        Workspace units per second for an output of 1.
    feedback_start : float
        Seconds after the cue when the cursor starts to move.

    Returns
    -------
    dict
        ``hit_rate``, ``hits``, ``misses``, ``timeouts``, ``n_trials``,
        ``time_to_hit_s`` (mean over hits, from the cue), ``bits_per_trial`` (Wolpaw,
        two targets), ``bps`` (those bits over the mean trial length) and
        ``webgrid_bps`` (log2(N - 1) = 0 for two targets: Webgrid's formula credits a
        two-target task with nothing, so it is given for completeness only).
    """
    times = np.asarray(times, dtype=float)
    outputs = np.asarray(outputs, dtype=float).ravel()
    hits, misses, timeouts, hit_times, lengths = 0, 0, 0, [], []
    for onset, duration, side in trials:
        start, stop = onset + feedback_start, onset + duration
        inside = (times > start) & (times <= stop)
        lengths.append(duration)
        position = np.cumsum(outputs[inside]) * gain * step
        reached = np.flatnonzero(np.abs(position) >= 1.0)
        if reached.size == 0:
            timeouts += 1
        elif np.sign(position[reached[0]]) == np.sign(side):
            hits += 1
            hit_times.append(float(times[inside][reached[0]] - onset))
        else:
            misses += 1
    n = hits + misses + timeouts
    rate = hits / n if n else 0.0
    bits = wolpaw_bits(2, rate)
    return {"hit_rate": rate, "hits": hits, "misses": misses, "timeouts": timeouts,
            "n_trials": n, "time_to_hit_s": float(np.mean(hit_times)) if hit_times else None,
            "bits_per_trial": bits,
            "bps": bits / float(np.mean(lengths)) if lengths else 0.0,
            "mean_trial_s": float(np.mean(lengths)) if lengths else None,
            "webgrid_bps": 0.0}


def cued_trials(markers: Sequence[tuple[float, str]], events: Mapping[str, Sequence[str]],
                values: Mapping[str, float], sfreq: float
                ) -> list[tuple[float, float, float]]:
    """``(onset, duration, side)`` of each cue whose class has a target value.

    A trial lasts until the next marker (in BCI2000 and PhysioNet runs, the next cue or
    the rest that follows); the last marker, with none after it, ends no trial and is
    not scored. Onsets are snapped to whole samples (``index / sfreq``): the live loop
    (:mod:`bci.cursor.live`) passes the markers it received through this same function,
    so live and offline score exactly the same trials.
    """
    label_to_class = {label: name for name, labels in events.items() for label in labels}
    indices = [int(round(onset * sfreq)) for onset, _ in markers]
    out = []
    for k, (_, label) in enumerate(markers[:-1]):
        name = label_to_class.get(label)
        length = indices[k + 1] - indices[k]
        if name in values and length > 0:
            out.append((indices[k] / sfreq, length / sfreq, float(np.sign(values[name]))))
    return out


__all__ = ["GAIN_1D", "cued_trials", "cursor_1d", "wolpaw_bits"]
