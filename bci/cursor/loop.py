"""The closed cursor loop on the virtual clock: user -> array -> decoder -> cursor -> task.

:func:`run_closed_loop` is a small synchronous stand-in for the runtime's one session
loop (``Session(source, pipeline, stages=[...], sinks=[...])``), which will replace it:
there the simulated user becomes a source, :class:`~bci.cursor.stage.CursorStage` and
the task become post-decoder stages, and the window a sink. Here everything runs in one
thread, in order, on virtual time: no sockets, no sleeps, no threads, and the same
arguments give the same run.

Each step the user's array fires for the velocity they intend given where the cursor
is (:class:`~bci.cursor.user.SimulatedUser`); those samples go through the model's own
pipeline (picks, filters, the sliding window) and decoder; the decoded velocity moves
the cursor; the task scores it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bci.cursor.stage import CursorStage
from bci.cursor.task import CenterOutTask, GridTask, TaskEvent
from bci.cursor.user import SimulatedUser, intended_velocity, refit_velocity
from bci.pipeline.model import Model
from bci.pipeline.pipeline import Pipeline
from bci.stream.chunk import Chunk


@dataclass
class ClosedLoopRun:
    """What a closed-loop run did.

    Attributes
    ----------
    metrics : dict
        The task's metrics plus ``latency_ms`` (median and p99 of the compute time from
        a window's last sample being available to the cursor position being updated).
    positions : ndarray, shape (n_steps, 2)
        The cursor after each decision.
    targets : ndarray, shape (n_steps, 2)
        The cued target at each decision.
    velocities : ndarray, shape (n_steps, n_targets)
        The decoded velocities.
    events : list of TaskEvent
    windows : ndarray or None
        With ``keep_windows``: the decoder's input windows, for a ReFIT refit.
    refit_targets : ndarray or None
        With ``keep_windows``: ReFIT's intended velocity for each window.
    """

    metrics: dict
    positions: np.ndarray
    targets: np.ndarray
    velocities: np.ndarray
    events: list[TaskEvent] = field(default_factory=list)
    windows: np.ndarray | None = None
    refit_targets: np.ndarray | None = None


def run_closed_loop(model: Model, task: CenterOutTask | GridTask, user: SimulatedUser, *,
                    duration: float, gain: float = 1.0, keep_windows: bool = False,
                    on_step: Callable[[np.ndarray, np.ndarray, list[TaskEvent]], None]
                    | None = None) -> ClosedLoopRun:
    """Run the task for ``duration`` seconds of virtual time with a simulated user.

    Parameters
    ----------
    model : Model
        A regression model (``[targets]`` with two outputs, x then y velocity).
    task : CenterOutTask or GridTask
        Reset before the run.
    user : SimulatedUser
        Produces the model's neural channels at the model's rate; reset before the run.
    duration : float
        Seconds of virtual time.
    gain : float
        Cursor speed gain.
    keep_windows : bool
        Keep every window and ReFIT's intended velocity (for :meth:`KalmanDecoder.refit`).
    on_step : callable or None
        Called with ``(position, target_xy, events)`` after each decision (a window, a
        recorder).

    Returns
    -------
    ClosedLoopRun
    """
    config = model.config
    sfreq = model.sfreq
    step = max(int(round(config.step * sfreq)), 1)
    pipeline = Pipeline(config, sfreq=sfreq, ch_names=model.ch_names,
                        ch_types=["seeg"] * len(model.ch_names), picks=model.ch_names,
                        windows_only=True)
    decoder = model.decoder
    decoder.reset()
    task.reset()
    user.reset()
    cursor = CursorStage(step / sfreq, gain=gain)
    n_steps = int(duration * sfreq) // step
    positions = np.empty((n_steps, 2))
    targets = np.empty((n_steps, 2))
    velocities = np.zeros((n_steps, len(model.info.get("targets", [])) or 2))
    latencies = np.empty(n_steps)
    kept_windows: list[np.ndarray] = []
    kept_targets: list[np.ndarray] = []
    events: list[TaskEvent] = list(task.update(cursor.position, 0.0))
    index = 0
    for k in range(n_steps):
        intended = intended_velocity(cursor.position, task.target_xy)
        counts = user.counts(intended, step)
        times = (index + np.arange(step)) / sfreq
        started = time.perf_counter()
        windows = pipeline.windows_of(Chunk(counts, times, index))
        index += step
        for window in windows:
            velocity = decoder.step(window.data[np.newaxis])[0]
            if keep_windows:
                on_target = task._under(cursor.position) == task.target
                kept_windows.append(window.data)
                kept_targets.append(refit_velocity(velocity, cursor.position,
                                                   task.target_xy, on_target))
            cursor.step(velocity)
            velocities[k] = velocity
        latencies[k] = (time.perf_counter() - started) * 1e3
        new = task.update(cursor.position, index / sfreq)
        events.extend(new)
        positions[k], targets[k] = cursor.position, task.target_xy
        if on_step is not None:
            on_step(cursor.position, task.target_xy, new)
    metrics = task.metrics(n_steps * step / sfreq)
    metrics["latency_ms"] = float(np.median(latencies)) if n_steps else None
    metrics["latency_p99_ms"] = float(np.percentile(latencies, 99)) if n_steps else None
    metrics["decisions_per_second"] = sfreq / step
    return ClosedLoopRun(metrics, positions, targets, velocities, events,
                         np.stack(kept_windows) if kept_windows else None,
                         np.stack(kept_targets) if kept_targets else None)


__all__ = ["ClosedLoopRun", "run_closed_loop"]
