"""A live session: one worker thread pulls, runs the pipeline and pushes decisions."""

from __future__ import annotations

import time
from collections.abc import Callable

import pylsl

from bci.pipeline.decision import Decision, DecisionOutlet
from bci.pipeline.pipeline import Pipeline
from bci.pipeline.worker import Worker
from bci.stream.inlet import Inlet, MarkerInlet

#: Seconds without data after which a stream counts as stalled (and the stall is counted).
STALL_AFTER = 1.0


class Session(Worker):
    """Runs a :class:`Pipeline` on a live stream until stopped.

    The worker blocks in ``Inlet.pull`` (no busy polling: a spinning Python reader
    starves liblsl's own threads on two cores), drains the marker stream without
    blocking, runs the pipeline and pushes each decision the moment it exists. An
    exception in the worker is stored and re-raised by :meth:`stop` (see
    :class:`~bci.pipeline.worker.Worker`).

    Parameters
    ----------
    pipeline : Pipeline
        Built for this stream's channels and rate.
    inlet : Inlet
        The open signal inlet.
    marker_inlet : MarkerInlet or None
        The open marker inlet (needed for marker-locked decisions).
    outlet : DecisionOutlet or None
        Where decisions go; None to only collect them.
    on_decision : callable or None
        Called in the worker thread with each decision and its latency in ms (keep it
        cheap: it is on the live path).
    keep_decisions : bool
        Keep every decision in ``self.decisions`` (for tests and short runs).
    on_status : callable or None
        Called in the worker thread with a one-line event (``gap ...``, ``stalled``,
        ``resumed``, ``nonfinite ...``); ``bci live`` pushes these on a status stream.
    """

    def __init__(self, pipeline: Pipeline, inlet: Inlet, *,
                 marker_inlet: MarkerInlet | None = None,
                 outlet: DecisionOutlet | None = None,
                 on_decision: Callable[[Decision, float], None] | None = None,
                 keep_decisions: bool = False,
                 on_status: Callable[[str], None] | None = None) -> None:
        super().__init__("bci-session")
        self.pipeline = pipeline
        self.inlet = inlet
        self.marker_inlet = marker_inlet
        self.outlet = outlet
        self.on_decision = on_decision
        self.keep_decisions = keep_decisions
        self.on_status = on_status
        self.decisions: list[Decision] = []
        self.stats = pipeline.stats
        self.stalled = False

    def _loop(self) -> None:
        stats = self.stats
        pipeline = self.pipeline
        n_gaps_seen = 0
        last_data: float | None = None  # no stall before the first data

        while not self._stop.is_set():
            chunk = self.inlet.pull(timeout=0.05)
            markers = self.marker_inlet.pull(0.0) if self.marker_inlet is not None else []
            if chunk is None:
                if markers:
                    self._emit(pipeline.process(None, markers, now=pylsl.local_clock()))
                if (not self.stalled and last_data is not None
                        and time.monotonic() - last_data > STALL_AFTER):
                    self.stalled = True
                    stats.count("stalls")
                    self._status(f"stalled: no data for {STALL_AFTER:g} s")
                continue
            last_data = time.monotonic()
            if self.stalled:
                self.stalled = False
                self._status("resumed")
            new_gaps = self.inlet.gaps[n_gaps_seen:]
            n_gaps_seen += len(new_gaps)
            for gap in new_gaps:
                pipeline.on_gap(gap)
                self._status(f"gap: {gap.n_missing} samples ({gap.duration * 1e3:.1f} ms) "
                             f"missing before t={gap.time:.6f}")
            nonfinite = stats.counters.get("nonfinite_samples", 0)
            if self.inlet.gap_detector is not None:
                stats.counters["backwards_timestamps"] = self.inlet.gap_detector.n_backwards
            errors = stats.counters.get("decoder_errors", 0)
            self._emit(pipeline.process(chunk, markers, now=pylsl.local_clock(),
                                        gaps=new_gaps))
            if stats.counters.get("decoder_errors", 0) > errors:
                self._status(f"decoder error, window skipped: {pipeline.last_error}")
            if stats.counters.get("nonfinite_samples", 0) > nonfinite:
                self._status(f"nonfinite: {stats.counters['nonfinite_samples'] - nonfinite} "
                             "NaN/Inf samples repaired, their windows withheld")

    def _status(self, message: str) -> None:
        self.stats.count("status_events")
        if self.on_status is not None:
            self.on_status(message)

    def _emit(self, decisions: list[Decision]) -> None:
        for decision in decisions:
            started = time.perf_counter_ns()
            push_time = pylsl.local_clock()
            if self.outlet is not None:
                latency_ms = self.outlet.push(decision, push_time)
            else:
                latency_ms = (push_time - decision.window_end) * 1e3
            self.stats.stage("push").add((time.perf_counter_ns() - started) / 1e6)
            self.stats.end_to_end.add(latency_ms)
            if self.keep_decisions:
                self.decisions.append(decision)
            if self.on_decision is not None:
                self.on_decision(decision, latency_ms)
