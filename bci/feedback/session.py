"""A neurofeedback session: baseline, then steady-rate feedback, live or offline.

Both paths build the same :class:`~bci.feedback.artifacts.CheckedPipeline` and
:class:`~bci.feedback.processor.NeurofeedbackProcessor` and feed them the same chunks;
the live :class:`FeedbackSession` pushes each feedback sample the moment it exists,
:func:`run_feedback_offline` walks a recording on the virtual clock. Because the
processor places feedback samples by sample index, both give the same samples.

Unlike ``bci live``, the live session decodes every window even when it falls behind
(``now=None``): a band-power window costs well under a millisecond, and a skipped
window would punch a hole (an artifact flag) into the steady feedback grid and make
the live run differ from the offline one. Lateness is still measured and reported
(``latency_ms`` on every sample).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pylsl

from bci.feedback.artifacts import CheckedPipeline
from bci.feedback.osc import OscSender
from bci.feedback.outlet import FeedbackOutlet
from bci.feedback.processor import FeedbackSample, NeurofeedbackProcessor
from bci.feedback.protocol import Protocol
from bci.pipeline.stats import LatencyStats
from bci.pipeline.worker import Worker
from bci.replay.player import VirtualMarker, iter_virtual
from bci.replay.source import ReplaySource
from bci.stream.inlet import Inlet

#: Seconds without data after which the input counts as stalled (counted in ``stalls``).
STALL_AFTER = 1.0


def build_feedback(protocol: Protocol, *, sfreq: float, ch_names: Sequence[str],
                   ch_types: Sequence[str]) -> tuple[CheckedPipeline, NeurofeedbackProcessor]:
    """The pipeline and the feedback processor of a protocol, for a stream's channels.

    Parameters
    ----------
    protocol : Protocol
    sfreq : float
        Nominal rate of the stream.
    ch_names, ch_types : sequence of str
        The stream's channels (the protocol picks its own).

    Returns
    -------
    pipeline : CheckedPipeline
    processor : NeurofeedbackProcessor

    Raises
    ------
    bci.errors.ConfigError
        When the stream lacks the protocol's channels, or a band does not fit its rate.
    """
    settings = protocol.feedback
    pipeline = CheckedPipeline(protocol.config, max_amplitude=settings.max_amplitude,
                               flat_std=settings.flat_std, sfreq=sfreq, ch_names=ch_names,
                               ch_types=ch_types)
    processor = NeurofeedbackProcessor(settings, sfreq=sfreq,
                                       step_samples=pipeline.windows.step)
    return pipeline, processor


@dataclass
class FeedbackRun:
    """What a session produced.

    Attributes
    ----------
    pipeline : CheckedPipeline
    processor : NeurofeedbackProcessor
        Holds the baseline (``processor.normaliser``) and the reward counts.
    samples : list of FeedbackSample
        Every feedback sample, in order.
    latencies_ms : list of float
        Live only: push time - window_end, per sample.
    push_times : list of float
        Live only: LSL time each sample was pushed.
    """

    pipeline: CheckedPipeline
    processor: NeurofeedbackProcessor
    samples: list[FeedbackSample] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    push_times: list[float] = field(default_factory=list)

    @property
    def sfreq(self) -> float:
        """Sampling rate of the signal."""
        return self.pipeline.sfreq


def run_feedback_offline(protocol: Protocol, source: ReplaySource, *,
                         chunk: int | None = None) -> FeedbackRun:
    """Every feedback sample a live session would make on a replay of ``source``.

    Parameters
    ----------
    protocol : Protocol
    source : ReplaySource
        The recording (its markers are ignored).
    chunk : int or None
        Samples per chunk, as the replay would push them (None: the replay's default).

    Returns
    -------
    FeedbackRun
        Times (``window_end``) are seconds from the recording's first sample.
    """
    pipeline, processor = build_feedback(protocol, sfreq=source.sfreq,
                                         ch_names=source.ch_names, ch_types=source.ch_types)
    run = FeedbackRun(pipeline, processor)
    for item in iter_virtual([source], chunk=chunk):
        if isinstance(item, VirtualMarker):
            continue
        pairs = pipeline.feed(item.chunk)
        run.samples.extend(processor.update(item.chunk.stop_index, pairs))
    return run


class FeedbackSession(Worker):
    """Runs a protocol on a live stream until stopped, on one worker thread.

    The worker blocks in ``Inlet.pull`` (no busy polling), runs the pipeline and the
    processor, and pushes each feedback sample the moment it exists: to the LSL outlet
    first, then over OSC. An exception in the worker is stored and re-raised by
    :meth:`stop`.

    Parameters
    ----------
    pipeline : CheckedPipeline
    processor : NeurofeedbackProcessor
    inlet : Inlet
        The open signal inlet.
    outlet : FeedbackOutlet or None
        The feedback stream; None to only collect samples.
    osc : OscSender or None
        Also send every sample over OSC.
    on_sample : callable or None
        Called in the worker with each sample and its latency in ms (keep it cheap).
    """

    def __init__(self, pipeline: CheckedPipeline, processor: NeurofeedbackProcessor,
                 inlet: Inlet, *, outlet: FeedbackOutlet | None = None,
                 osc: OscSender | None = None,
                 on_sample: Callable[[FeedbackSample, float], None] | None = None) -> None:
        super().__init__("bci-neurofeedback")
        self.inlet = inlet
        self.outlet = outlet
        self.osc = osc
        self.on_sample = on_sample
        self.run = FeedbackRun(pipeline, processor)
        self.stats: LatencyStats = pipeline.stats
        self.stalled = False

    @property
    def samples(self) -> list[FeedbackSample]:
        """Feedback samples pushed so far."""
        return self.run.samples

    def _loop(self) -> None:
        pipeline, processor, stats = self.run.pipeline, self.run.processor, self.stats
        n_gaps_seen = 0
        last_data = time.monotonic()
        while not self._stop.is_set():
            chunk = self.inlet.pull(timeout=0.05)
            if chunk is None:
                if not self.stalled and time.monotonic() - last_data > STALL_AFTER:
                    self.stalled = True
                    stats.count("stalls")
                continue
            last_data = time.monotonic()
            self.stalled = False
            new_gaps = self.inlet.gaps[n_gaps_seen:]
            n_gaps_seen += len(new_gaps)
            for gap in new_gaps:
                pipeline.on_gap(gap)
            if self.inlet.gap_detector is not None:
                stats.counters["backwards_timestamps"] = self.inlet.gap_detector.n_backwards
            pairs = pipeline.feed(chunk, gaps=new_gaps)
            started = time.perf_counter_ns()
            samples = processor.update(chunk.stop_index, pairs, new_gaps)
            stats.stage("feedback").add((time.perf_counter_ns() - started) / 1e6)
            for sample in samples:
                self._emit(sample)

    def _emit(self, sample: FeedbackSample) -> None:
        started = time.perf_counter_ns()
        push_time = pylsl.local_clock()
        if self.outlet is not None:
            latency_ms = self.outlet.push(sample, push_time)
        else:
            latency_ms = (push_time - sample.window_end) * 1e3
        if self.osc is not None:
            self.osc.send(sample)
        self.stats.stage("push").add((time.perf_counter_ns() - started) / 1e6)
        self.stats.end_to_end.add(latency_ms)
        self.stats.count("feedback_samples")
        if sample.is_artifact:
            self.stats.count("artifact_samples")
        self.run.samples.append(sample)
        self.run.latencies_ms.append(latency_ms)
        self.run.push_times.append(push_time)
        if self.on_sample is not None:
            self.on_sample(sample, latency_ms)
