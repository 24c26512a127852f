"""The cursor stages: decoded velocity in, cursor position out; the task scores it.

- :class:`CursorStage` integrates a velocity into a position (explicit state);
- :class:`CursorTaskStage` is the post-decoder stage of the session loop: each decision
  moves the cursor by its velocity (:func:`regression_velocity`, or an EMG gesture
  decoder's probabilities through :func:`~bci.cursor.proportional.gesture_velocity`),
  a stable gesture's onset may click, and the task scores the new position. The
  simulated closed loop (:mod:`bci.cursor.loop`), the live 2-D task and its offline
  replay (:mod:`bci.cursor.live`) all run this one stage, so they move the cursor the
  same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bci.cursor.task import CenterOutTask, GridTask, TaskEvent
from bci.cursor.user import refit_velocity
from bci.pipeline.decision import Decision
from bci.pipeline.step import Step


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


@dataclass(frozen=True)
class CursorUpdate:
    """What one decision did to the cursor (``step.outputs["cursor"]`` holds these).

    Attributes
    ----------
    time : float
        Task time in seconds of signal (the decision's ``stop_index / sfreq``).
    window_end : float
        The decision's ``window_end`` (LSL time live).
    position : ndarray, shape (2,)
        The cursor after the decision.
    target : int or None
        The cued target after the decision.
    target_xy : ndarray, shape (2,)
        Where it is.
    velocity : ndarray, shape (2,)
        The velocity that moved the cursor (before the gain).
    click : bool
        Whether the decision clicked.
    events : tuple of TaskEvent
        What the task did.
    """

    time: float
    window_end: float
    position: np.ndarray
    target: int | None
    target_xy: np.ndarray
    velocity: np.ndarray
    click: bool
    events: tuple[TaskEvent, ...]


def regression_velocity(decision: Decision) -> np.ndarray:
    """A regression decoder's two outputs (x, then y velocity): the decision's scores."""
    return np.asarray(decision.scores, dtype=float)


def gesture_velocity_of(classes: Sequence[str]) -> Callable[[Decision], np.ndarray]:
    """The velocity of a gesture decoder's decision: its probabilities times the
    gestures' directions (:func:`bci.cursor.proportional.gesture_velocity`)."""
    from bci.cursor.proportional import direction_matrix

    directions = direction_matrix(classes)

    def velocity(decision: Decision) -> np.ndarray:
        return np.asarray(decision.scores, dtype=float) @ directions

    return velocity


class CursorTaskStage:
    """The cursor and the task as one post-decoder stage of the session loop.

    For each decision, in order: its velocity moves the cursor (:class:`CursorStage`),
    a stable gesture's onset clicks (with ``click``), and the task scores where the
    cursor is at the decision's time in signal seconds (``stop_index / sfreq``), so a
    live run and an offline run of the same signal score the same. The step comes out
    with ``outputs["cursor"]``: one :class:`CursorUpdate` per decision.

    Parameters
    ----------
    task : CenterOutTask or GridTask
    cursor : CursorStage
    sfreq : float
        Rate of the input stream (task time from ``stop_index``).
    velocity : callable
        ``velocity(decision) -> (2,) array`` (default :func:`regression_velocity`).
    click : str or None
        The stable gesture (``[postprocess]``) whose onset is a click (``[cursor] click``).
    latency : callable or None
        ``latency(decision) -> ms`` measured once the cursor has moved and ``on_step``
        returned (live: LSL time now minus the window's end); None records nothing.
    keep_windows : bool
        Keep every window and ReFIT's intended velocity (:attr:`kept_windows`,
        :attr:`kept_targets`).
    on_step : callable or None
        Called with ``(position, target_xy, events)`` after each decision (a pointer).

    Attributes
    ----------
    updates : list of CursorUpdate
        Every decision's update since the last :meth:`reset`.
    events : list of TaskEvent
        Every task event, the first cue included.
    latencies : list of float
        What ``latency`` measured, per decision.
    clicks : int
        Clicks so far.
    """

    name = "cursor"

    def __init__(self, task: CenterOutTask | GridTask, cursor: CursorStage, *,
                 sfreq: float, velocity: Callable[[Decision], np.ndarray] | None = None,
                 click: str | None = None,
                 latency: Callable[[Decision], float] | None = None,
                 keep_windows: bool = False,
                 on_step: Callable[[np.ndarray, np.ndarray, list[TaskEvent]], None]
                 | None = None) -> None:
        self.task, self.cursor = task, cursor
        self.sfreq = float(sfreq)
        self.velocity = velocity or regression_velocity
        self.click = click
        self.latency = latency
        self.keep_windows = keep_windows
        self.on_step = on_step
        self.updates: list[CursorUpdate] = []
        self.events: list[TaskEvent] = []
        self.latencies: list[float] = []
        self.kept_windows: list[np.ndarray] = []
        self.kept_targets: list[np.ndarray] = []
        self.clicks = 0

    def start(self) -> list[TaskEvent]:
        """Cue the first target with the cursor where it is, at time 0."""
        first = self.task.update(self.cursor.position, 0.0)
        self.events.extend(first)
        return first

    def _clicked(self, decision: Decision) -> bool:
        return self.click is not None and any(
            e.kind == "onset" and e.gesture == self.click for e in decision.events)

    def __call__(self, step: Step) -> Step:
        """Move the cursor by each decision, then let the task score it."""
        if not step.decisions:
            return step
        task, cursor = self.task, self.cursor
        windows = step.windows if self.keep_windows else (None,) * len(step.decisions)
        updates = []
        for decision, window in zip(step.decisions, windows, strict=True):
            velocity = self.velocity(decision)
            if self.keep_windows:
                on_target = task._under(cursor.position) == task.target
                self.kept_windows.append(window.data)
                self.kept_targets.append(refit_velocity(velocity, cursor.position,
                                                        task.target_xy, on_target))
            cursor.step(velocity)
            click = self._clicked(decision)
            self.clicks += click
            new = task.update(cursor.position, decision.stop_index / self.sfreq,
                              click=click)
            self.events.extend(new)
            update = CursorUpdate(decision.stop_index / self.sfreq, decision.window_end,
                                  cursor.position.copy(), task.target,
                                  task.target_xy.copy(), velocity[:cursor.n_dims].copy(),
                                  click, tuple(new))
            if self.on_step is not None:
                self.on_step(update.position, update.target_xy, new)
            if self.latency is not None:
                self.latencies.append(self.latency(decision))
            updates.append(update)
        self.updates.extend(updates)
        return step.with_output(self.name, updates)

    def metrics(self, seconds: float | None = None) -> dict:
        """The task's metrics, plus ``latency_ms`` (median), ``latency_p99_ms`` and
        ``clicks``."""
        metrics = self.task.metrics(seconds)
        lat = np.asarray(self.latencies)
        metrics["latency_ms"] = float(np.median(lat)) if lat.size else None
        metrics["latency_p99_ms"] = float(np.percentile(lat, 99)) if lat.size else None
        metrics["clicks"] = self.clicks
        return metrics

    def reset(self) -> None:
        """Forget the run; the cursor back at the centre and the task afresh."""
        self.task.reset()
        self.cursor.reset()
        self.updates.clear()
        self.events.clear()
        self.latencies.clear()
        self.kept_windows.clear()
        self.kept_targets.clear()
        self.clicks = 0


__all__ = ["CursorStage", "CursorTaskStage", "CursorUpdate", "gesture_velocity_of",
           "regression_velocity"]
