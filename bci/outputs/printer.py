"""Printing decisions as they come (``bci live --print``, ``bci evaluate --print``).

Both commands print the same columns, so a live run on a replay and the offline run on
its file can be laid side by side, trial by trial::

    #   trial     file_s       stream_s  decision      true  latency_ms  scores
          4      6.000    6539.461      left      left        1.23  0.731,0.269

``trial`` is the number of the file's marker the window belongs to (1 is the file's first
marker, whatever its label; for a marker-locked decision it is the marker that cued it),
``file_s`` seconds into the file, ``stream_s`` the LSL time of the window's last sample.
Live on a replay, file time and marker numbers come from the replay's numbered markers
(:mod:`bci.stream.file_clock`); on a headset there is no file, so ``session_s`` (seconds
since the session's first sample) takes the place of ``file_s`` and trials count the
markers received. Offline there is no stream: ``stream_s`` and ``latency_ms`` are ``-``.
"""

from __future__ import annotations

import sys
from typing import TextIO

from bci.pipeline.decision import Decision
from bci.pipeline.step import SessionInfo, Step
from bci.stream.file_clock import FileClock

#: Column names, in order (``file_s`` is ``session_s`` on a headset).
COLUMNS = ("trial", "file_s", "stream_s", "decision", "true", "latency_ms", "scores")


class DecisionPrinter:
    """Writes a header, then one line per decision (see the module's description).

    Parameters
    ----------
    out : text stream
        Where the lines go (stdout by default).
    title : str or None
        What the first header line says the decisions are of (default: the input
        stream, or "a recording" offline).
    """

    def __init__(self, out: TextIO | None = None, *, title: str | None = None) -> None:
        self.out = out
        self.title = title
        self.clock = FileClock()
        self.live = True
        self.replay = False
        self._session_start: float | None = None
        self._unflushed = False

    def _write(self, text: str) -> None:
        (self.out or sys.stdout).write(text)
        self._unflushed = True

    def open(self, info: SessionInfo) -> None:
        """Print the header: what the decisions are of, and what each column means."""
        d = info.description
        meta = d.metadata if d is not None else {}
        self.live = info.live
        self.replay = meta.get("replay") == "1"
        speed = float(meta.get("speed", 1.0) or 1.0)
        self.clock = FileClock(speed)
        self._session_start = None
        title = self.title or (f"stream '{d.name}'" if d is not None else "a recording")
        names = list(COLUMNS)
        if not self.live:
            about = ("offline, on the virtual clock: no stream, so stream_s and latency_ms "
                     "are '-'")
        elif self.replay:
            about = (f"live, on a replay at {speed:g}x: file_s and trial come from the "
                     "replay's numbered markers (the first one received ties stream time "
                     "to file time)")
        else:
            names[1] = "session_s"
            about = ("live, on a headset: no file, so session_s is seconds since the "
                     "session's first sample and trial counts the markers received; cues "
                     "sent before the connection cannot be known")
        self._write(f"# decisions of {title} ({about})\n"
                    "# trial: the file's marker the window belongs to (1 = the first "
                    "marker of the file, any label); file_s: seconds into the file; "
                    "stream_s: LSL time of the window's last sample; latency_ms: push "
                    "time - stream_s\n"
                    f"# {names[0]:>6} {names[1]:>10} {names[2]:>13} {names[3]:>9} "
                    f"{names[4]:>9} {names[5]:>11}  {names[6]}\n")
        (self.out or sys.stdout).flush()

    def write(self, step: Step) -> None:
        """Print the step's decisions (and, once, how stream time maps to file time)."""
        if self._session_start is None and step.chunk is not None and step.chunk.n_times:
            self._session_start = float(step.chunk.times[0])
            if self.live:
                self._write(f"# first sample at stream time {self._session_start:.3f}\n")
        for marker in step.markers:
            if self.clock.add(marker) and self.live:
                self._write(self._anchor_line(marker.label))
        for decision in step.decisions:
            self._write(self.format(decision, step.now))
        if self._unflushed:
            (self.out or sys.stdout).flush()
            self._unflushed = False

    def _anchor_line(self, label: str) -> str:
        anchor = self.clock.anchor
        missed = self.clock.missed
        before = ("no marker of the file passed before this session connected"
                  if not missed else
                  f"{missed} marker(s) of the file passed before this session connected "
                  f"(markers 1 to {missed})")
        start = (f"; this session's first sample was file time "
                 f"{self.clock.file_time(self._session_start):.3f}"
                 if self._session_start is not None else "")
        return (f"# stream time {anchor.time:.3f} is file time {anchor.file_time:.3f} "
                f"(marker {anchor.number}, '{label}'); {before}{start}\n")

    def format(self, decision: Decision, now: float | None) -> str:
        """One decision as a line of the columns of :data:`COLUMNS`."""
        # A marker-locked decision belongs to its cue; a sliding one to the latest marker.
        at = decision.event_time if decision.event_time is not None else decision.window_end
        trial = self.clock.trial(at)
        if not self.live:
            file_time: float | None = decision.window_end  # the virtual clock is file time
        elif self.replay:
            file_time = self.clock.file_time(decision.window_end)
        else:
            file_time = (decision.window_end - self._session_start
                         if self._session_start is not None else None)
        shown = decision.label if decision.label is not None else f"{decision.value:.6g}"
        stream = f"{decision.window_end:.3f}" if self.live else "-"
        latency = (f"{(now - decision.window_end) * 1e3:.2f}"
                   if self.live and now is not None else "-")
        scores = ",".join(f"{float(s):.6g}" for s in decision.scores)
        return (f"  {trial if trial is not None else '-':>6} "
                f"{f'{file_time:.3f}' if file_time is not None else '-':>10} "
                f"{stream:>13} {shown:>9} {decision.true_label or '-':>9} "
                f"{latency:>11}  {scores}\n")

    def close(self) -> None:
        """Nothing to release."""
