"""The closed cursor loop on the virtual clock: user -> array -> decoder -> cursor -> task.

:func:`run_closed_loop` is the runtime's one session loop
(``Session(source, pipeline, stages=[...])``) with the simulated user as its source
(:class:`SimulatedUserSource`, which fires the array for what the user intends given
where the cursor is *now*) and the cursor and the task as its post-decoder stage
(:class:`CursorTaskStage`). Everything runs in one thread, in order, on virtual time:
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

from bci.cursor.stage import CursorStage
from bci.cursor.task import CenterOutTask, GridTask, TaskEvent
from bci.cursor.user import SimulatedUser, intended_velocity, refit_velocity
from bci.pipeline.model import Model
from bci.pipeline.pipeline import Pipeline
from bci.pipeline.step import Step
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


class CursorTaskStage:
    """The cursor and the task as one post-decoder stage: each decoded velocity moves the
    cursor, then the task scores where it is (and what is kept for a ReFIT refit).

    Parameters
    ----------
    source : SimulatedUserSource
        For the task, the cursor and the compute-latency clock.
    n_outputs : int
        Outputs per decision (velocity dimensions).
    keep_windows : bool
        Keep every window and ReFIT's intended velocity.
    on_step : callable or None
        Called with ``(position, target_xy, events)`` after each step.
    """

    name = "cursor"

    def __init__(self, source: SimulatedUserSource, n_outputs: int, *,
                 keep_windows: bool = False,
                 on_step: Callable[[np.ndarray, np.ndarray, list[TaskEvent]], None]
                 | None = None) -> None:
        self.source = source
        self.keep_windows = keep_windows
        self.on_step = on_step
        n = source.n_steps
        self.positions = np.empty((n, 2))
        self.targets = np.empty((n, 2))
        self.velocities = np.zeros((n, n_outputs))
        self.latencies = np.empty(n)
        self.events: list[TaskEvent] = []
        self.kept_windows: list[np.ndarray] = []
        self.kept_targets: list[np.ndarray] = []

    def __call__(self, step: Step) -> Step:
        """Move the cursor by each decision, then let the task score the step."""
        if step.chunk is None:
            return step
        source, task, cursor = self.source, self.source.task, self.source.cursor
        k = source.n_read - 1
        for decision, window in zip(step.decisions, step.windows, strict=True):
            velocity = np.asarray(decision.scores, dtype=float)
            if self.keep_windows:
                on_target = task._under(cursor.position) == task.target
                self.kept_windows.append(window.data)
                self.kept_targets.append(refit_velocity(velocity, cursor.position,
                                                        task.target_xy, on_target))
            cursor.step(velocity)
            self.velocities[k] = velocity
        self.latencies[k] = (time.perf_counter() - source.read_started) * 1e3
        new = task.update(cursor.position, step.stop_index / source.sfreq)
        self.events.extend(new)
        self.positions[k], self.targets[k] = cursor.position, task.target_xy
        if self.on_step is not None:
            self.on_step(cursor.position, task.target_xy, new)
        return step.with_output(self.name, new)

    def reset(self) -> None:
        """Forget the run (the task, the cursor and the user reset with the loop)."""
        self.events.clear()
        self.kept_windows.clear()
        self.kept_targets.clear()


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
    stage = CursorTaskStage(source, len(model.info.get("targets", [])) or 2,
                            keep_windows=keep_windows, on_step=on_step)
    stage.events.extend(task.update(cursor.position, 0.0))
    Session(source, pipeline, stages=[stage]).run()
    latencies = stage.latencies
    metrics = task.metrics(n_steps * step / sfreq)
    metrics["latency_ms"] = float(np.median(latencies)) if n_steps else None
    metrics["latency_p99_ms"] = float(np.percentile(latencies, 99)) if n_steps else None
    metrics["decisions_per_second"] = sfreq / step
    return ClosedLoopRun(metrics, stage.positions, stage.targets, stage.velocities,
                         stage.events,
                         np.stack(stage.kept_windows) if stage.kept_windows else None,
                         np.stack(stage.kept_targets) if stage.kept_targets else None)


__all__ = ["ClosedLoopRun", "CursorTaskStage", "SimulatedUserSource", "run_closed_loop"]
