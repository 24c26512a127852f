"""The closed cursor loop on the virtual clock: user -> array -> decoder -> cursor -> task.

:func:`run_closed_loop` is the runtime's one session loop
(``Session(source, pipeline, stages=[...])``) with the simulated user as its source
(:class:`SimulatedUserSource`, which fires the array for what the user intends given
where the cursor is *now*) and the cursor and the task as its post-decoder stage
(:class:`~bci.cursor.stage.CursorTaskStage`, the very stage the live task runs).
Everything runs in one thread, in order, on virtual time:
no sockets, no sleeps, and the same arguments give the same run.

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

from bci.cursor.stage import CursorStage, CursorTaskStage
from bci.cursor.task import CenterOutTask, GridTask, TaskEvent
from bci.cursor.user import SimulatedUser, intended_velocity
from bci.pipeline.model import Model
from bci.pipeline.pipeline import Pipeline
from bci.runtime.source import Input
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


class SimulatedUserSource:
    """A session source: ``step`` samples of the simulated array per read.

    Each read asks the user what they intend given the cursor's position and the task's
    target at that moment, so the decoder's errors feed back into the intention.

    Parameters
    ----------
    user : SimulatedUser
    task : CenterOutTask or GridTask
    cursor : CursorStage
    sfreq : float
    step : int
        Samples per read (one decision each).
    n_steps : int
        Reads before the source ends.
    """

    live = False
    description = None

    def __init__(self, user: SimulatedUser, task: CenterOutTask | GridTask,
                 cursor: CursorStage, *, sfreq: float, step: int, n_steps: int) -> None:
        self.user, self.task, self.cursor = user, task, cursor
        self.sfreq, self.step, self.n_steps = float(sfreq), int(step), int(n_steps)
        self.ended = False
        self.n_read = 0
        self.read_started = 0.0  # perf_counter() of the last read (compute latency)

    def read(self, timeout: float = 0.0) -> Input | None:
        """The next ``step`` samples, or None (and ``ended``) after ``n_steps`` reads."""
        if self.n_read >= self.n_steps:
            self.ended = True
            return None
        self.read_started = time.perf_counter()
        intended = intended_velocity(self.cursor.position, self.task.target_xy)
        counts = self.user.counts(intended, self.step)
        index = self.n_read * self.step
        times = (index + np.arange(self.step)) / self.sfreq
        self.n_read += 1
        return Input(chunk=Chunk(counts, times, index))

    def counters(self) -> dict[str, int]:
        """Nothing to count."""
        return {}

    def close(self) -> None:
        """Nothing to release."""


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
    from bci.runtime.session import Session

    config = model.config
    sfreq = model.sfreq
    step = max(int(round(config.step * sfreq)), 1)
    pipeline = Pipeline(config, sfreq=sfreq, ch_names=model.ch_names,
                        ch_types=["seeg"] * len(model.ch_names), decoder=model.decoder,
                        picks=model.ch_names)  # resets the decoder
    task.reset()
    user.reset()
    cursor = CursorStage(step / sfreq, gain=gain)
    n_steps = int(duration * sfreq) // step
    source = SimulatedUserSource(user, task, cursor, sfreq=sfreq, step=step, n_steps=n_steps)
    # compute latency: from the read that produced the window's last sample to the
    # cursor's new position (virtual time has no LSL clock to measure against)
    stage = CursorTaskStage(
        task, cursor, sfreq=sfreq, keep_windows=keep_windows, on_step=on_step,
        latency=lambda _: (time.perf_counter() - source.read_started) * 1e3)
    stage.start()
    Session(source, pipeline, stages=[stage]).run()
    metrics = stage.metrics(n_steps * step / sfreq)
    del metrics["clicks"]
    metrics["decisions_per_second"] = sfreq / step
    return closed_loop_run(stage, metrics)


def closed_loop_run(stage: CursorTaskStage, metrics: dict) -> ClosedLoopRun:
    """What ``stage`` recorded, as a :class:`ClosedLoopRun`."""
    updates = stage.updates
    positions = np.array([u.position for u in updates]).reshape(-1, 2)
    targets = np.array([u.target_xy for u in updates]).reshape(-1, 2)
    velocities = np.array([u.velocity for u in updates]).reshape(len(updates), -1)
    return ClosedLoopRun(metrics, positions, targets, velocities, list(stage.events),
                         np.stack(stage.kept_windows) if stage.kept_windows else None,
                         np.stack(stage.kept_targets) if stage.kept_targets else None)


__all__ = ["ClosedLoopRun", "SimulatedUserSource", "closed_loop_run", "run_closed_loop"]
