"""Cursor tasks: where the targets are, what counts as a selection, and the scores.

Two tasks, both in workspace units (the square [-1, 1]²):

- :class:`CenterOutTask`: targets on a circle around the centre, alternating with the
  centre itself; a trial succeeds when the cursor selects the target before a timeout.
- :class:`GridTask`: Webgrid (Nuyujukian et al. 2018, the task Neuralink reports): an
  N x N grid of cells, one cued at a time; selecting any other cell is an error.

A selection is a dwell (the cursor stays ``dwell`` seconds on one target or cell) or a
click (``update(..., click=True)``, e.g. a stable EMG gesture). Bits per second follow
Webgrid: ``BPS = log2(N - 1) * max(correct - incorrect, 0) / t`` with N selectable
targets (:func:`webgrid_bps`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from bci.errors import ConfigError


def webgrid_bps(n_targets: int, correct: int, incorrect: int, seconds: float) -> float:
    """Bits per second as on Webgrid: ``log2(N - 1) * max(correct - incorrect, 0) / t``.

    Parameters
    ----------
    n_targets : int
        Selectable targets N (grid cells), at least 2.
    correct, incorrect : int
        Selections of the cued target and of any other.
    seconds : float
        Task time.
    """
    if n_targets < 2 or seconds <= 0:
        return 0.0
    return math.log2(n_targets - 1) * max(correct - incorrect, 0) / seconds


@dataclass(frozen=True)
class TaskEvent:
    """Something the task did at ``time``: a new target, a selection, a timeout."""

    time: float
    kind: str  # "target", "correct", "incorrect", "timeout"
    target: int
    selected: int | None = None


@dataclass
class _Trial:
    target: int
    onset: float
    start: np.ndarray
    entered: np.ndarray | None = None  # where the cursor first reached the target
    path_at_entry: float | None = None


@dataclass
class _Score:
    correct: int = 0
    incorrect: int = 0
    timeouts: int = 0
    times: list[float] = field(default_factory=list)
    efficiencies: list[float] = field(default_factory=list)


class _Task:
    """What both tasks share: dwell/click selection, trials and scores."""

    n_targets: int
    only_cued = False  # only the cued target can be selected (no incorrect selections)

    def __init__(self, *, dwell: float, selection: str, timeout: float, seed: int) -> None:
        if selection not in ("dwell", "click"):
            raise ConfigError(f"selection must be 'dwell' or 'click', got {selection!r}")
        if not dwell > 0:
            raise ConfigError(f"dwell must be positive seconds, got {dwell!r}")
        self.dwell = float(dwell)
        self.selection = selection
        self.timeout = float(timeout)
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        """Start the task afresh at time 0 (first target cued at the first update)."""
        self._rng = np.random.default_rng(self.seed)
        self._trial: _Trial | None = None
        self._hover: int | None = None
        self._hover_since = 0.0
        self._score = _Score()
        self._t = 0.0
        self._path = 0.0
        self._last: np.ndarray | None = None

    # what each task defines
    def _next_target(self, previous: int | None) -> int:
        raise NotImplementedError

    def target_position(self, index: int) -> np.ndarray:
        """Centre of target ``index``."""
        raise NotImplementedError

    def _under(self, position: np.ndarray) -> int | None:
        """The target (or cell) under the cursor, if any."""
        raise NotImplementedError

    @property
    def target(self) -> int | None:
        """Index of the cued target (None before the first update)."""
        return None if self._trial is None else self._trial.target

    @property
    def target_xy(self) -> np.ndarray:
        """Position of the cued target."""
        return self.target_position(self.target if self.target is not None else 0)

    def update(self, position: np.ndarray, t: float, *, click: bool = False
               ) -> list[TaskEvent]:
        """The cursor is at ``position`` at time ``t``: selections, new targets.

        Call once per cursor update, in time order.
        """
        position = np.asarray(position, dtype=float)
        if self._last is not None:
            self._path += float(np.linalg.norm(position - self._last))
        self._last = position.copy()
        self._t = t
        events: list[TaskEvent] = []
        if self._trial is None:
            events.append(self._cue(t, position, None))
        trial = self._trial
        under = self._under(position)
        if self.only_cued and under != trial.target:
            under = None  # other targets are not selectable: a miss is a timeout
        if under == trial.target and trial.entered is None:
            trial.entered, trial.path_at_entry = position.copy(), self._path
        if under != self._hover:
            self._hover, self._hover_since = under, t
        selected = None
        if self.selection == "click" and click and under is not None:
            selected = under
        elif self.selection == "dwell" and under is not None and (
                t - self._hover_since >= self.dwell - 1e-9):
            selected = under
        if selected is not None:
            events.append(self._select(selected, t, position))
        elif t - trial.onset >= self.timeout:
            self._score.timeouts += 1
            events.append(TaskEvent(t, "timeout", trial.target))
            events.append(self._cue(t, position, trial.target))
        return events

    def _cue(self, t: float, position: np.ndarray, previous: int | None) -> TaskEvent:
        index = self._next_target(previous)
        self._trial = _Trial(index, t, position.copy())
        self._path = 0.0
        self._hover, self._hover_since = self._under(position), t
        return TaskEvent(t, "target", index)

    def _select(self, selected: int, t: float, position: np.ndarray) -> TaskEvent:
        trial = self._trial
        score = self._score
        if selected == trial.target:
            score.correct += 1
            score.times.append(t - trial.onset)
            # Straight line over the path travelled, both up to where the cursor first
            # reached the target (a trial cued on the target it sits on has no path).
            entered = trial.entered if trial.entered is not None else position
            straight = float(np.linalg.norm(entered - trial.start))
            travelled = trial.path_at_entry or 0.0
            if travelled > 0 and straight > 0:
                score.efficiencies.append(min(straight / travelled, 1.0))
            event = TaskEvent(t, "correct", trial.target, selected)
        else:
            score.incorrect += 1
            event = TaskEvent(t, "incorrect", trial.target, selected)
        self._cue(t, position, trial.target)
        return event

    def metrics(self, seconds: float | None = None) -> dict:
        """Success rate, time to target, path efficiency and bits per second so far.

        ``success_rate`` is correct selections over all finished trials (correct,
        incorrect and timed out); ``time_to_target_s`` the mean time from cue to a correct
        selection (dwell included); ``path_efficiency`` the mean of the straight-line
        distance from where the cursor was at the cue to where it first reached the
        target, over the length of the path it took there.
        """
        seconds = self._t if seconds is None else seconds
        s = self._score
        finished = s.correct + s.incorrect + s.timeouts
        return {"success_rate": s.correct / finished if finished else 0.0,
                "bps": webgrid_bps(self.n_targets, s.correct, s.incorrect, seconds),
                "time_to_target_s": float(np.mean(s.times)) if s.times else None,
                "path_efficiency": float(np.mean(s.efficiencies)) if s.efficiencies else None,
                "correct": s.correct, "incorrect": s.incorrect, "timeouts": s.timeouts,
                "n_targets": self.n_targets, "seconds": seconds}


class CenterOutTask(_Task):
    """Targets on a circle, each followed by the centre (target index ``n_targets``).

    Only the cued target can be selected, so a trial ends in success or a timeout, and
    BPS counts ``N = n_targets + 1`` (the circle and the centre).

    Parameters
    ----------
    n_targets : int
        Targets on the circle (8 by default).
    radius : float
        Of the circle, workspace units.
    target_radius : float
        A target is under the cursor within this distance of its centre.
    dwell, selection, timeout, seed
        Dwell seconds, ``"dwell"`` or ``"click"``, seconds before a trial is failed, and
        the seed of the target order.
    """

    def __init__(self, n_targets: int = 8, *, radius: float = 0.8,
                 target_radius: float = 0.12, dwell: float = 0.5, selection: str = "dwell",
                 timeout: float = 10.0, seed: int = 0) -> None:
        angles = 2 * np.pi * np.arange(n_targets) / n_targets
        self.positions = np.vstack([radius * np.column_stack([np.cos(angles),
                                                              np.sin(angles)]),
                                    np.zeros((1, 2))])
        self.n_targets = n_targets + 1  # the centre is selectable too
        self.target_radius = target_radius
        self.radius = radius
        self.only_cued = True
        super().__init__(dwell=dwell, selection=selection, timeout=timeout, seed=seed)

    def _next_target(self, previous: int | None) -> int:
        centre = self.n_targets - 1
        if previous is not None and previous != centre:
            return centre
        return int(self._rng.integers(centre))

    def target_position(self, index: int) -> np.ndarray:
        return self.positions[index]

    def _under(self, position: np.ndarray) -> int | None:
        distance = np.linalg.norm(self.positions - position[:2], axis=1)
        index = int(np.argmin(distance))
        return index if distance[index] <= self.target_radius else None


class GridTask(_Task):
    """Webgrid: an N x N grid over the workspace, one cued cell at a time.

    Parameters
    ----------
    grid : int
        Cells per side (35 on Neuralink's Webgrid).
    dwell, selection, timeout, seed
        As :class:`CenterOutTask`.
    """

    def __init__(self, grid: int = 35, *, dwell: float = 0.6, selection: str = "dwell",
                 timeout: float = 10.0, seed: int = 0) -> None:
        if isinstance(grid, bool) or not isinstance(grid, int) or grid < 2:
            raise ConfigError(f"grid must be an integer of at least 2 cells per side, got "
                              f"{grid!r}")
        self.grid = grid
        self.n_targets = grid * grid
        self.cell = 2.0 / grid
        super().__init__(dwell=dwell, selection=selection, timeout=timeout, seed=seed)

    def _next_target(self, previous: int | None) -> int:
        while True:
            index = int(self._rng.integers(self.n_targets))
            if index != previous:
                return index

    def target_position(self, index: int) -> np.ndarray:
        row, col = divmod(index, self.grid)
        return np.array([-1 + (col + 0.5) * self.cell, -1 + (row + 0.5) * self.cell])

    def _under(self, position: np.ndarray) -> int | None:
        col, row = (np.clip(np.floor((position[:2] + 1) / self.cell), 0, self.grid - 1)
                    .astype(int))
        return int(row * self.grid + col)


__all__ = ["CenterOutTask", "GridTask", "TaskEvent", "webgrid_bps"]
