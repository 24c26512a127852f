"""The one session loop: source -> pipeline -> stages -> sinks, live or on the virtual clock.

Every program of bci that runs a pipeline — ``bci live``, ``bci neurofeedback``,
``bci evaluate`` and ``bci train`` (offline, on the virtual clock), the demo — is a
:class:`Session` with a source, one :class:`~bci.pipeline.Pipeline`, post-decoder
stages and sinks. What differs between them is only which stages and sinks they plug in,
so stall detection, gap and repair events, latency accounting and the order of outputs
are written once.

One pass of the loop (:meth:`Session.step`):

1. read the source (live: block in liblsl up to ``timeout``; offline: the next chunk);
2. ``pipeline.process(...)`` -> a :class:`~bci.pipeline.step.Step` (decisions, windows,
   status events);
3. each stage in order, ``step = stage(step)`` (timed under the stage's name);
4. live: stamp the step with the push time ``now``, record each decision's end-to-end
   latency (``now - window_end``);
5. each sink in order, ``sink.write(step)``.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Sequence
from dataclasses import replace

import pylsl

from bci.errors import BciError
from bci.pipeline.pipeline import Pipeline
from bci.pipeline.step import SessionInfo, Sink, Stage, StatusEvent, Step
from bci.runtime.source import LiveSource, VirtualSource
from bci.worker import Worker

#: Seconds without data after which a live stream counts as stalled (counted once per
#: stall in ``stalls``; a stall is never counted before the first data arrives).
STALL_AFTER = 1.0
#: While stalled, the status stream repeats how long the source has been silent.
STALL_REPEAT = 10.0
#: Seconds one live read may block (the loop must notice ``stop()`` soon).
READ_TIMEOUT = 0.05


class Session(Worker):
    """Runs a :class:`Pipeline` on a source, through stages, into sinks.

    Live (a :class:`~bci.runtime.source.LiveSource`): :meth:`start` runs the loop on
    the worker thread until :meth:`stop` (an exception in the thread is stored and
    re-raised by ``stop``). Offline (a :class:`~bci.runtime.source.VirtualSource`):
    :meth:`run` runs it to the end of the recording in the caller's thread.

    Parameters
    ----------
    source : LiveSource or VirtualSource
    pipeline : Pipeline
        Built for this source's channels and rate.
    stages : sequence of Stage
        Post-decoder stages, in order.
    sinks : sequence of Sink
        Where steps go, in order.
    skip_stale : bool
        Live: when several sliding windows complete at once, decode only those still
        within the end-to-end budget (``skipped_windows``). False decodes every window
        (neurofeedback, whose output grid must not have holes).
    metadata : dict or None
        Passed to the sinks in :class:`~bci.pipeline.step.SessionInfo`.

    Attributes
    ----------
    stats : LatencyStats
        The pipeline's statistics, which the loop adds to (``stalls``,
        ``status_events``, the end-to-end latency, each stage's time).
    stalled : bool
        Whether the live source is silent right now.
    """

    def __init__(self, source: LiveSource | VirtualSource, pipeline: Pipeline, *,
                 stages: Sequence[Stage] = (), sinks: Sequence[Sink] = (),
                 skip_stale: bool = True, metadata: dict | None = None) -> None:
        super().__init__("bci-session")
        self.source = source
        self.pipeline = pipeline
        self.stages = list(stages)
        self.sinks = list(sinks)
        self.metadata = dict(metadata or {})
        self.skip_stale = skip_stale
        self.stats = pipeline.stats
        self.stalled = False
        self._reported: collections.deque[StatusEvent] = collections.deque()
        self._opened = False
        self._closed = False
        self._last_data: float | None = None  # monotonic time of the last data
        self._stall_said = 0.0

    # -- set-up ----------------------------------------------------------------------

    @property
    def last_data(self) -> float:
        """``time.monotonic()`` when data last arrived (live; 0 before the first)."""
        return self._last_data or 0.0

    @property
    def info(self) -> SessionInfo:
        """What the sinks are told at :meth:`open`."""
        pipeline = self.pipeline
        return SessionInfo(description=self.source.description, sfreq=pipeline.sfreq,
                           ch_names=tuple(pipeline.ch_names), classes=pipeline.classes,
                           score_names=list(pipeline.score_names), stats=self.stats,
                           live=self.source.live, report=self.report,
                           metadata=self.metadata)

    def report(self, event: StatusEvent) -> None:
        """Queue a status event for the next step (any thread may call it)."""
        self._reported.append(event)

    def open(self) -> Session:
        """Open every sink (once). :meth:`start` and :meth:`run` call it."""
        if not self._opened:
            self._opened = True
            info = self.info
            for sink in self.sinks:
                sink.open(info)
        return self

    def close(self) -> None:
        """Close the source, then the sinks, last first (each even if another fails).

        Last first: a recorder added after the outlets drains what they sent before they
        go, and inlets close before outlets, as LSL prefers. Idempotent.

        Raises
        ------
        Exception
            The first error a sink raised while closing (a recorder whose disk filled).
        """
        if self._closed:
            return
        self._closed = True
        first: BaseException | None = None
        for closer in (self.source.close, *(sink.close for sink in reversed(self.sinks))):
            try:
                closer()
            except Exception as err:  # the others must still close
                first = first or err
        if first is not None:
            raise first

    # -- running ---------------------------------------------------------------------

    def start(self) -> Session:
        """Open the sinks here (their errors surface at once), then loop on the worker."""
        if not self.source.live:
            raise BciError("an offline session runs with run(), not start()")
        self.open()
        return super().start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.step(READ_TIMEOUT)

    def run(self) -> Session:
        """Run to the end of the (offline) source in this thread, then close."""
        self.open()
        try:
            while self.step(0.0):
                pass
        finally:
            self.close()
        return self

    def step(self, timeout: float) -> bool:
        """One pass of the loop; False once the source has ended."""
        source = self.source
        received = source.read(timeout)
        events = self._take_reported()
        if received is None:
            if source.ended:
                if events:
                    self._deliver(Step(events=tuple(events),
                                       stop_index=self.pipeline.stop_index))
                return False
            events.extend(self._stall_events())
            if events:
                self._deliver(Step(events=tuple(events), stop_index=self.pipeline.stop_index))
            return True
        events.extend(received.events)
        for event in received.events:  # a replaced source, a clock jump: counted by kind
            self.stats.count(f"{event.kind}_events")
        if received.chunk is not None and source.live:
            if self.stalled:
                self.stalled = False
                silent = time.monotonic() - (self._last_data or time.monotonic())
                events.append(StatusEvent("resumed", f"resumed after {silent:.1f} s "
                                          "without data", pylsl.local_clock()))
            self._last_data = time.monotonic()
        now = pylsl.local_clock() if source.live and self.skip_stale else None
        step = self.pipeline.process(received.chunk, received.markers, now=now,
                                     gaps=received.gaps)
        if events:
            step = replace(step, events=(*events, *step.events))
        stats = self.stats
        for stage in self.stages:
            started = time.perf_counter_ns()
            step = stage(step)
            stats.stage(stage.name).add((time.perf_counter_ns() - started) / 1e6)
        if source.live:
            stats.counters.update(source.counters())
        self._deliver(step)
        return True

    def _take_reported(self) -> list[StatusEvent]:
        events = []
        while self._reported:
            events.append(self._reported.popleft())
        return events

    def _stall_events(self) -> list[StatusEvent]:
        if not self.source.live or self._last_data is None:
            return []  # no stall before the first data
        silent = time.monotonic() - self._last_data
        if not self.stalled and silent > STALL_AFTER:
            self.stalled = True
            self._stall_said = silent
            self.stats.count("stalls")
            return [StatusEvent("stalled", f"stalled: no data for {STALL_AFTER:g} s",
                                pylsl.local_clock())]
        if self.stalled and silent - self._stall_said >= STALL_REPEAT:
            self._stall_said = silent
            return [StatusEvent("stalled", f"stalled: no data for {silent:.0f} s: is the "
                                "source still running?", pylsl.local_clock())]
        return []

    def _deliver(self, step: Step) -> None:
        stats = self.stats
        if self.source.live:
            now = pylsl.local_clock()
            step = replace(step, now=now)
            for decision in step.decisions:
                stats.end_to_end.add((now - decision.window_end) * 1e3)
        if step.events:
            stats.count("status_events", len(step.events))
        for sink in self.sinks:
            sink.write(step)
