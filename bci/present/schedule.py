"""Trial sequences from a protocol and a seed: the timeline of what the screen shows.

A timeline is a list of :class:`Segment` s on the run clock (seconds from the first
frame). Each segment that begins an event carries the marker labels to push when the
frame that first shows it flips. The same protocol and seed always give the same
timeline, so a calibration session can be reproduced, and checked, trial by trial.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bci.present.protocol import Protocol

__all__ = ["Segment", "Timeline", "balanced_order", "build_timeline"]


@dataclass(frozen=True)
class Segment:
    """One stretch of the screen.

    Attributes
    ----------
    start, duration : float
        Seconds on the run clock.
    kind : str
        ``blank``, ``fixation``, ``cue`` (the class shown), ``imagery`` (motor imagery:
        the cue stays while the subject imagines), ``flicker``, ``flash``, ``isi``,
        ``hold`` (EMG gesture) or ``rest``.
    markers : tuple of str
        Labels pushed at the flip that first shows this segment.
    cue : int
        Index of the cue (class) this segment belongs to, or -1.
    trial : int
        Trial number (0-based), or -1 outside trials.
    cells : tuple of (int, int)
        P300: the matrix cells lit by this flash (a row or a column), or the one
        oddball stimulus ``(0, 0)`` target / ``(0, 1)`` standard.
    target : str
        P300: the attended character (or ``"target"``), shown before each sequence.
    """

    start: float
    duration: float
    kind: str
    markers: tuple[str, ...] = ()
    cue: int = -1
    trial: int = -1
    cells: tuple[tuple[int, int], ...] = ()
    target: str = ""

    @property
    def stop(self) -> float:
        """End time on the run clock."""
        return self.start + self.duration


@dataclass(frozen=True)
class Timeline:
    """Segments in time order, back to back, from 0 to ``duration``."""

    segments: tuple[Segment, ...]
    trial_cues: tuple[int, ...] = field(default=())

    @property
    def duration(self) -> float:
        """Seconds from the first frame to the end of the last segment."""
        return self.segments[-1].stop if self.segments else 0.0

    @property
    def n_trials(self) -> int:
        """Trials (P300: attended targets)."""
        return len(self.trial_cues)

    def index_at(self, t: float, hint: int = 0) -> int:
        """Index of the segment showing at run time ``t`` (searching on from ``hint``)."""
        k = max(0, min(hint, len(self.segments) - 1))
        while k > 0 and self.segments[k].start > t:
            k -= 1
        while k + 1 < len(self.segments) and self.segments[k + 1].start <= t:
            k += 1
        return k

    def markers(self) -> list[tuple[float, str]]:
        """Every (run time, label) the timeline pushes, in order."""
        return [(s.start, label) for s in self.segments for label in s.markers]


def balanced_order(n_trials: int, n_classes: int, rng: np.random.Generator) -> list[int]:
    """Class indices for ``n_trials``: each class equally often (a remainder spread over
    distinct classes drawn at random), in an order shuffled by ``rng``."""
    base = [k % n_classes for k in range(n_trials - n_trials % n_classes)]
    extra = rng.permutation(n_classes)[: n_trials % n_classes].tolist()
    return [int(k) for k in rng.permutation(np.array(base + extra, dtype=int))]


def build_timeline(protocol: Protocol, seed: int = 0) -> Timeline:
    """The protocol's segments for ``seed`` (see :class:`Segment`)."""
    rng = np.random.default_rng(seed)
    timing = protocol.timing
    segments: list[Segment] = []
    t = 0.0

    def add(duration: float, kind: str, markers: tuple[str, ...] = (), **kw) -> None:
        nonlocal t
        if duration > 0:
            segments.append(Segment(t, duration, kind, markers, **kw))
            t += duration

    def rest(trial: int) -> float:
        low, high = timing.rest
        return float(rng.uniform(low, high)) if high > low else low

    add(timing.lead, "blank")
    m = protocol.markers
    if protocol.paradigm == "p300":
        order = _p300(protocol, rng, add, rest)
    else:
        order = balanced_order(protocol.trials, len(protocol.cues), rng)
        for trial, k in enumerate(order):
            label = protocol.cues[k].label
            if protocol.paradigm == "motor-imagery":
                add(timing.fixation, "fixation", (m["fixation"],), trial=trial)
                add(timing.cue, "imagery", (label,), cue=k, trial=trial)
                add(rest(trial), "rest", (m["rest"],), trial=trial)
            elif protocol.paradigm == "ssvep":
                add(timing.cue, "cue", (m["cue"],), cue=k, trial=trial)
                add(timing.flicker, "flicker", (label,), cue=k, trial=trial)
                add(rest(trial), "rest", (m["rest"],), trial=trial)
            else:  # emg: rest, the gesture's name, hold it
                add(rest(trial), "rest", (protocol.rest_label,), trial=trial)
                add(timing.cue, "cue", (m["cue"],), cue=k, trial=trial)
                add(timing.hold, "hold", (label,), cue=k, trial=trial)
        if protocol.paradigm == "emg":
            add(timing.rest[0], "rest", (protocol.rest_label,))
    add(timing.tail, "blank")
    return Timeline(tuple(segments), tuple(order))


def _p300(protocol: Protocol, rng: np.random.Generator, add, rest) -> list[int]:
    """Row/column or oddball sequences; returns the attended target of each trial."""
    timing, m = protocol.timing, protocol.markers
    targets: list[int] = []
    if protocol.p300_mode == "matrix":
        n_rows, n_cols = len(protocol.matrix), len(protocol.matrix[0])
        n_cells = n_rows * n_cols
        # Attended characters: balanced over the matrix, then shuffled.
        targets = balanced_order(protocol.trials, n_cells, rng)
        groups = [tuple((r, c) for c in range(n_cols)) for r in range(n_rows)]
        groups += [tuple((r, c) for r in range(n_rows)) for c in range(n_cols)]
        names = [f"row{r}" for r in range(n_rows)] + [f"col{c}" for c in range(n_cols)]
        for trial, cell in enumerate(targets):
            row, col = divmod(cell, n_cols)
            char = protocol.matrix[row][col]
            add(timing.cue, "cue", (m["cue"], f"attend:{char}"), trial=trial, target=char)
            for _ in range(protocol.repetitions):
                for g in rng.permutation(len(groups)):
                    hit = (row, col) in groups[g]
                    label = m["target"] if hit else m["nontarget"]
                    add(timing.flash, "flash", (label, f"flash:{names[g]}"),
                        trial=trial, cells=groups[g], target=char)
                    add(timing.isi, "isi", trial=trial, target=char)
            add(rest(trial), "rest", (m["rest"],), trial=trial)
        return targets
    n_target = max(1, round(protocol.target_ratio * protocol.oddball_stimuli))
    for trial in range(protocol.trials):
        targets.append(0)
        add(timing.cue, "cue", (m["cue"],), trial=trial, target="target")
        for _ in range(protocol.repetitions):
            order = _oddball_order(protocol.oddball_stimuli, n_target, rng)
            for is_target in order:
                label = m["target"] if is_target else m["nontarget"]
                add(timing.flash, "flash", (label,), trial=trial,
                    cells=((0, 0 if is_target else 1),), target="target")
                add(timing.isi, "isi", trial=trial, target="target")
        add(rest(trial), "rest", (m["rest"],), trial=trial)
    return targets


def _oddball_order(n: int, n_target: int, rng: np.random.Generator) -> list[bool]:
    """``n_target`` targets among ``n`` stimuli, never two in a row, never first."""
    # Place targets in distinct gaps between standards: choose n_target of the n -
    # n_target slots after each standard (so every target follows a standard).
    n_standard = n - n_target
    slots = set(rng.choice(n_standard, size=min(n_target, n_standard), replace=False))
    order: list[bool] = []
    for k in range(n_standard):
        order.append(False)
        if k in slots:
            order.append(True)
    return order
