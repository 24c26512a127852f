"""Keeping what a session produced in memory: offline runs, tests and short sessions."""

from __future__ import annotations

from bci.pipeline.decision import Decision
from bci.pipeline.step import SessionInfo, Step
from bci.pipeline.windows import Window


class Collector:
    """Keeps every decision, window, status event and stage output of a session.

    Parameters
    ----------
    decisions, windows, events : bool
        What to keep (windows hold their samples: keep them only for training).
    outputs : tuple of str
        Names of the stage outputs to keep (e.g. ``("feedback",)``).
    chunks : bool
        Keep every chunk that arrived (tests that check the samples received).
    markers : bool
        Keep every marker that arrived.

    Attributes
    ----------
    decisions : list of Decision
    windows : list of Window
    events : list of StatusEvent
    outputs : dict of str to list
    chunks : list of Chunk
    push_times : list of float
        Live: the time each kept decision was pushed at (``step.now``).
    """

    def __init__(self, *, decisions: bool = True, windows: bool = False,
                 events: bool = True, outputs: tuple[str, ...] = (),
                 chunks: bool = False, markers: bool = False) -> None:
        self._keep = {"decisions": decisions, "windows": windows, "events": events,
                      "chunks": chunks, "markers": markers}
        self.markers: list = []
        self._outputs = outputs
        self.decisions: list[Decision] = []
        self.windows: list[Window] = []
        self.events: list = []
        self.outputs: dict[str, list] = {name: [] for name in outputs}
        self.chunks: list = []
        self.push_times: list[float] = []

    def open(self, info: SessionInfo) -> None:
        """Nothing to prepare."""

    def write(self, step: Step) -> None:
        """Keep what was asked for."""
        keep = self._keep
        if keep["decisions"] and step.decisions:
            self.decisions.extend(step.decisions)
            if step.now is not None:
                self.push_times.extend([step.now] * len(step.decisions))
        if keep["windows"] and step.windows:
            self.windows.extend(step.windows)
        if keep["events"] and step.events:
            self.events.extend(step.events)
        if keep["markers"] and step.markers:
            self.markers.extend(step.markers)
        if keep["chunks"] and step.chunk is not None:
            self.chunks.append(step.chunk)
        for name in self._outputs:
            self.outputs[name].extend(step.outputs.get(name, ()))

    def close(self) -> None:
        """Nothing to release."""
