"""The presentation state machine: which frame to draw next, which markers a flip shows.

:class:`Presenter` is synchronous and holds all the run's state (clock, pause, frame
statistics). A window calls :meth:`Presenter.prepare` before drawing each frame and
:meth:`Presenter.flipped` with the time the frame reached the screen; the markers it
returns carry that flip time, never the time the code asked for the frame. A headless
driver (:func:`virtual_flips`) calls the same two methods on a virtual clock, so that
a calibration can be produced, and checked, without a display.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from bci.present.luminance import flicker_frame
from bci.present.protocol import Protocol
from bci.present.schedule import Segment, Timeline

__all__ = ["DROPPED_FRAME", "Frame", "FrameStats", "Presenter", "virtual_flips"]

#: Status marker pushed when a frame is dropped during a flicker or a flash.
DROPPED_FRAME = "bci:dropped-frame"
PAUSE, RESUME, STOPPED = "bci:pause", "bci:resume", "bci:stopped"
#: An interval longer than this many nominal frames counts as dropped frames.
DROP_THRESHOLD = 1.5
_STIMULUS_KINDS = frozenset({"flicker", "flash"})


@dataclass(frozen=True)
class Frame:
    """What to draw for one frame.

    Attributes
    ----------
    t : float
        Run time (seconds since the first flip, pauses excluded) the frame is drawn for.
    segment : Segment or None
        The segment showing (None before the start and after the end).
    luminance : tuple of float
        SSVEP: each target's luminance in [0, 1] (sampled sinusoid), in cue order.
    markers : tuple of str
        Labels the flip of this frame pushes.
    paused, finished : bool
    """

    t: float
    segment: Segment | None
    luminance: tuple[float, ...] = ()
    markers: tuple[str, ...] = ()
    paused: bool = False
    finished: bool = False


@dataclass
class FrameStats:
    """Flip times and marker timing of a run (what ``--stats`` writes)."""

    nominal_refresh: float
    flips: list[float] = field(default_factory=list)
    dropped: list[dict] = field(default_factory=list)
    markers: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        """JSON-serialisable: refresh measured, interval p50/p99, drops, marker offsets."""
        flips = np.asarray(self.flips)
        intervals = np.diff(flips) * 1000.0 if flips.size > 1 else np.zeros(0)
        out: dict = {"nominal_refresh_hz": self.nominal_refresh,
                     "n_frames": int(flips.size)}
        if intervals.size:
            out.update(measured_refresh_hz=float(1000.0 / np.median(intervals)),
                       flip_interval_ms={"p50": float(np.median(intervals)),
                                         "p99": float(np.percentile(intervals, 99)),
                                         "max": float(intervals.max())})
        out["dropped_frames"] = {"count": int(sum(d["frames"] for d in self.dropped)),
                                 "events": self.dropped}
        offsets = np.array([m["stamp_minus_flip_ms"] for m in self.markers])
        late = np.array([m["flip_minus_scheduled_ms"] for m in self.markers])
        out["markers"] = {
            "count": len(self.markers),
            "stamp_minus_flip_ms": _percentiles(offsets),
            "flip_minus_scheduled_ms": _percentiles(late),
            "events": self.markers}
        return out


def _percentiles(x: np.ndarray) -> dict:
    if x.size == 0:
        return {}
    return {"p50": float(np.median(x)), "p99": float(np.percentile(x, 99)),
            "max": float(np.max(np.abs(x)))}


class Presenter:
    """Runs a timeline frame by frame (see the module docstring).

    Parameters
    ----------
    protocol : Protocol
    timeline : Timeline
    refresh : float
        The display's refresh rate in Hz (nominal, from the screen, or measured): the
        flicker's sampling rate and the yardstick for dropped frames.
    duration : float or None
        Stop after this many seconds of run time even if the timeline goes on.
    """

    def __init__(self, protocol: Protocol, timeline: Timeline, refresh: float, *,
                 duration: float | None = None) -> None:
        self.protocol = protocol
        self.timeline = timeline
        self.refresh = float(refresh)
        self.duration = duration
        self.reset()

    def reset(self) -> None:
        """Back to before the first flip."""
        self.stats = FrameStats(self.refresh)
        self.start_time: float | None = None
        self.paused_total = 0.0
        self.paused_since: float | None = None
        self.stopped = False
        self._index = -1  # segment whose markers were last pushed
        self._pending: Frame | None = None
        self._pending_request = 0.0
        self._control: list[str] = []
        self.completed_trials = 0
        ends: dict[int, float] = {}
        for segment in self.timeline.segments:
            if segment.trial >= 0:
                ends[segment.trial] = max(ends.get(segment.trial, 0.0), segment.stop)
        self._trial_ends = sorted(ends.values())

    # -- the clock ---------------------------------------------------------------------

    @property
    def interval(self) -> float:
        """Seconds per frame at the nominal refresh rate."""
        return 1.0 / self.refresh

    def run_time(self, lsl_time: float) -> float:
        """Run time of an LSL time (0 at the first flip, pauses excluded)."""
        if self.start_time is None:
            return 0.0
        paused = self.paused_total
        if self.paused_since is not None:
            paused += lsl_time - self.paused_since
        return lsl_time - self.start_time - paused

    def lsl_time(self, run_time: float) -> float:
        """LSL time of a run time, under the pauses so far."""
        return (self.start_time or 0.0) + self.paused_total + run_time

    @property
    def finished(self) -> bool:
        """The timeline (or ``duration``) is over, or the run was stopped."""
        return self.stopped or (self._pending is not None and self._pending.finished)

    # -- keys --------------------------------------------------------------------------

    def toggle_pause(self, now: float) -> None:
        """Space: pause (the screen shows 'paused', the clock stops) or resume."""
        if self.paused_since is None:
            self.paused_since = now
            self._control.append(PAUSE)
        else:
            self.paused_total += now - self.paused_since
            self.paused_since = None
            self._control.append(RESUME)

    def stop(self) -> None:
        """Esc: the next flip is the last; it pushes ``bci:stopped``."""
        if not self.stopped:
            self._control.append(STOPPED)
            self.stopped = True

    # -- frames ------------------------------------------------------------------------

    def prepare(self, expected_flip: float, *, requested: float | None = None) -> Frame:
        """The frame to draw for a flip expected at LSL time ``expected_flip``."""
        t = self.run_time(expected_flip) if self.start_time is not None else 0.0
        end = self.timeline.duration
        if self.duration is not None:
            end = min(end, self.duration)
        control = tuple(self._control)
        self._control = []
        if self.stopped or t >= end:
            frame = Frame(t, None, markers=control, finished=True)
        elif self.paused_since is not None:
            frame = Frame(t, None, markers=control, paused=True)
        else:
            k = self.timeline.index_at(t, max(self._index, 0))
            segment = self.timeline.segments[k]
            markers: list[str] = list(control)
            for j in range(self._index + 1, k + 1):  # a skipped segment still gets marked
                markers.extend(self.timeline.segments[j].markers)
            self._index = max(self._index, k)
            luminance: tuple[float, ...] = ()
            if segment.kind == "flicker":
                frame_k = flicker_frame(t - segment.start, self.refresh)
                luminance = tuple(
                    0.5 * (1.0 + np.sin(2 * np.pi * c.frequency * frame_k / self.refresh
                                        + c.phase)) for c in self.protocol.cues)
            frame = Frame(t, segment, luminance, tuple(markers))
        self._pending = frame
        self._pending_request = expected_flip if requested is None else requested
        return frame

    def flipped(self, flip_time: float) -> list[tuple[str, float]]:
        """The prepared frame reached the screen at LSL ``flip_time``.

        Returns
        -------
        list of (label, time)
            Markers to push now, each stamped with the flip time; a dropped frame in a
            flicker or flash adds ``bci:dropped-frame``.
        """
        frame = self._pending
        if self.start_time is None:
            self.start_time = flip_time
        stats = self.stats
        out: list[tuple[str, float]] = []
        if stats.flips:
            gap = flip_time - stats.flips[-1]
            if gap > DROP_THRESHOLD * self.interval and self.paused_since is None:
                n = int(round(gap / self.interval)) - 1
                kind = frame.segment.kind if frame and frame.segment else "none"
                stats.dropped.append({"time": flip_time, "frames": max(n, 1),
                                      "gap_ms": gap * 1000.0, "during": kind,
                                      "trial": frame.segment.trial if frame and
                                      frame.segment else -1})
                if kind in _STIMULUS_KINDS:
                    out.append((DROPPED_FRAME, flip_time))
        stats.flips.append(flip_time)
        if frame is None:
            return out
        for label in frame.markers:
            scheduled = flip_time
            if frame.segment is not None and not label.startswith("bci:"):
                scheduled = self.lsl_time(frame.segment.start)
            stats.markers.append({
                "label": label, "stamp": flip_time, "flip": flip_time,
                "stamp_minus_flip_ms": 0.0,
                "flip_minus_request_ms": (flip_time - self._pending_request) * 1000.0,
                "flip_minus_scheduled_ms": (flip_time - scheduled) * 1000.0})
            out.append((label, flip_time))
        if frame.segment is not None or frame.finished:
            # A trial is complete once its last segment is over.
            self.completed_trials = bisect.bisect_right(self._trial_ends, frame.t + 1e-9)
        return out


def virtual_flips(presenter: Presenter, t0: float = 0.0
                  ) -> Iterator[tuple[Frame, float, list[tuple[str, float]]]]:
    """Run a presenter on a perfect virtual display: flip ``k`` at ``t0 + k / refresh``.

    Yields (frame, flip time, markers pushed) until the presenter finishes.
    """
    k = 0
    while True:
        flip = t0 + k / presenter.refresh
        frame = presenter.prepare(flip)
        pushed = presenter.flipped(flip)
        yield frame, flip, pushed
        if frame.finished:
            return
        k += 1
