"""What one pass of the session loop produces, and the two ways to extend the loop.

:meth:`Pipeline.process <bci.pipeline.Pipeline.process>` turns what arrived (a chunk,
markers, the gaps the inlet found) into a :class:`Step`: the decisions, the windows
(training), and the status events of that pass, stated explicitly. A session then hands
the step to its post-decoder **stages** in order (each returns a new step, e.g. with the
stable gesture filled in, or with feedback samples under ``outputs``) and finally to its
**sinks** (the decision outlet, the status stream, OSC, a printer, a collector...).
Live and offline runs build the same steps from the same chunks, so a stage or a sink
sees the same thing in both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bci.stream.chunk import Chunk, Marker
from bci.stream.gaps import Gap

if TYPE_CHECKING:
    from bci.pipeline.decision import Decision
    from bci.pipeline.stats import LatencyStats
    from bci.pipeline.windows import Window
    from bci.stream.description import StreamDescription


@dataclass(frozen=True)
class StatusEvent:
    """Something a user of the live session should hear about, in one line.

    Attributes
    ----------
    kind : str
        ``gap``, ``nonfinite``, ``decoder_error``, ``stalled``, ``resumed``, and what
        sources report (``source_replaced``, ``clock_jump``, ...).
    message : str
        The line pushed on the status stream (``bci live``'s ``<out>-status``).
    time : float or None
        LSL time it refers to, when known.
    """

    kind: str
    message: str
    time: float | None = None


@dataclass(frozen=True)
class Step:
    """Everything one pass of the loop produced, in stream order.

    Attributes
    ----------
    chunk : Chunk or None
        The samples that arrived (None when only markers came, or nothing did).
    markers : tuple of Marker
        The markers that arrived.
    gaps : tuple of Gap
        Gaps the inlet found in ``chunk``.
    decisions : tuple of Decision
        Decisions made in this pass, oldest first.
    windows : tuple of Window
        The windows those decisions came from, in the same order (a windows-only
        pipeline, used for training, cuts windows and makes no decisions).
    events : tuple of StatusEvent
        What went wrong or changed in this pass.
    stop_index : int
        Samples of signal received so far (one past the newest sample).
    now : float or None
        Live: the LSL time the step's outputs are pushed at (set by the session just
        before its sinks). Offline: None.
    outputs : mapping of str to tuple
        What post-decoder stages added, by stage name (e.g. ``"feedback"``).
    """

    chunk: Chunk | None = None
    markers: tuple[Marker, ...] = ()
    gaps: tuple[Gap, ...] = ()
    decisions: tuple[Decision, ...] = ()
    windows: tuple[Window, ...] = ()
    events: tuple[StatusEvent, ...] = ()
    stop_index: int = 0
    now: float | None = None
    outputs: Mapping[str, tuple] = field(default_factory=dict)

    def with_output(self, name: str, items: tuple | list) -> Step:
        """A copy with ``outputs[name]`` set to ``items``."""
        return replace(self, outputs={**self.outputs, name: tuple(items)})

    def with_events(self, *events: StatusEvent) -> Step:
        """A copy with ``events`` appended."""
        if not events:
            return self
        return replace(self, events=(*self.events, *events))

    @property
    def is_empty(self) -> bool:
        """Whether nothing arrived and nothing happened (sinks may skip it)."""
        return (self.chunk is None and not self.markers and not self.decisions
                and not self.windows and not self.events
                and not any(self.outputs.values()))


@runtime_checkable
class Stage(Protocol):
    """A post-decoder stage: synchronous, explicit state, never mutates its input.

    ``name`` labels its timing in the session's statistics and its ``outputs`` entry.
    """

    name: str

    def __call__(self, step: Step) -> Step: ...

    def reset(self) -> None: ...


@dataclass(frozen=True)
class SessionInfo:
    """What a sink learns when the session opens it.

    Attributes
    ----------
    description : StreamDescription or None
        The input stream (None offline, where ``sfreq`` and ``ch_names`` still hold).
    sfreq : float
        Nominal rate of the input.
    ch_names : tuple of str
        Channels the pipeline picked, in order.
    classes : list of str or None
        The decoder's classes (None for a continuous output).
    score_names : list of str
        Names of the scores of each decision.
    stats : LatencyStats
        The session's statistics (sinks time their pushes and count what they lose).
    live : bool
        Whether the input is a live stream.
    report : callable
        ``report(event)`` queues a :class:`StatusEvent` for the next step (a sink that
        fails, e.g. a recorder whose disk is full, says so without stopping the loop).
    metadata : dict
        More about the session (pipeline name, budgets), for stream descriptions.
    """

    description: StreamDescription | None
    sfreq: float
    ch_names: tuple[str, ...]
    classes: list[str] | None
    score_names: list[str]
    stats: LatencyStats
    live: bool
    report: Any
    metadata: dict = field(default_factory=dict)


@runtime_checkable
class Sink(Protocol):
    """Where steps end up. Called on the session's thread: keep ``write`` cheap."""

    def open(self, info: SessionInfo) -> None: ...

    def write(self, step: Step) -> None: ...

    def close(self) -> None: ...


__all__ = ["SessionInfo", "Sink", "Stage", "StatusEvent", "Step"]
