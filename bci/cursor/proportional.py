"""EMG proportional control: a gesture decoder's probabilities as a 2-D velocity.

The wristband's job on a computer: wrist flexion and extension move the cursor along x,
radial and ulnar deviation along y. The velocity is the probability-weighted sum of the
gestures' directions, ``v = sum_c p_c d_c`` (rest and fist weigh nothing), so it grows
with the decoder's confidence; a stable gesture from ``[postprocess]`` (a fist) can act
as the click. :func:`proportional_metrics` scores it offline on labelled segments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: Gesture -> direction (x, y) on screen.
DIRECTIONS: dict[str, tuple[float, float]] = {
    "wrist_extension": (1.0, 0.0), "wrist_flexion": (-1.0, 0.0),
    "radial_deviation": (0.0, 1.0), "ulnar_deviation": (0.0, -1.0)}


def direction_matrix(classes: Sequence[str],
                     directions: Mapping[str, tuple[float, float]] = DIRECTIONS
                     ) -> np.ndarray:
    """(n_classes, 2): each class's direction, zero for classes that do not move."""
    return np.array([directions.get(c, (0.0, 0.0)) for c in classes], dtype=float)


def gesture_velocity(probabilities: np.ndarray, classes: Sequence[str],
                     directions: Mapping[str, tuple[float, float]] = DIRECTIONS
                     ) -> np.ndarray:
    """Velocity (n, 2) from class probabilities (n, n_classes) in ``classes`` order."""
    return np.atleast_2d(probabilities) @ direction_matrix(classes, directions)


def proportional_metrics(velocities: np.ndarray, labels: Sequence[str | None],
                         directions: Mapping[str, tuple[float, float]] = DIRECTIONS,
                         rest: str = "rest") -> dict:
    """How well decoded velocities follow the gestures held.

    For windows labelled with a moving gesture: ``along`` (mean velocity component along
    the gesture's direction; 1 would be a certain decoder), ``across`` (mean absolute
    component across it: leakage into the other axis), ``direction_accuracy`` (fraction
    of windows whose velocity points within 45 degrees of the intended direction and has
    at least 0.5 of full speed). For ``rest`` windows, ``rest_speed`` (mean speed: drift
    while the user does nothing). Per gesture too.
    """
    velocities = np.asarray(velocities, dtype=float)
    labels = np.asarray([str(x) if x is not None else "" for x in labels])
    out: dict = {"per_gesture": {}}
    along_all, across_all, ok_all = [], [], []
    for gesture, d in directions.items():
        rows = labels == gesture
        if not rows.any():
            continue
        d = np.asarray(d)
        v = velocities[rows]
        along = v @ d
        across = np.abs(v @ np.array([-d[1], d[0]]))
        speed = np.linalg.norm(v, axis=1)
        ok = (along >= 0.5) & (along >= speed * np.cos(np.pi / 4))
        out["per_gesture"][gesture] = {"n": int(rows.sum()), "along": float(along.mean()),
                                       "across": float(across.mean()),
                                       "direction_accuracy": float(ok.mean())}
        along_all.append(along)
        across_all.append(across)
        ok_all.append(ok)
    if along_all:
        out.update(along=float(np.concatenate(along_all).mean()),
                   across=float(np.concatenate(across_all).mean()),
                   direction_accuracy=float(np.concatenate(ok_all).mean()))
    rest_rows = labels == rest
    if rest_rows.any():
        out["rest_speed"] = float(np.linalg.norm(velocities[rest_rows], axis=1).mean())
    return out


__all__ = ["DIRECTIONS", "direction_matrix", "gesture_velocity", "proportional_metrics"]
