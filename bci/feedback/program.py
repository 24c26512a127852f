"""A neurofeedback session — baseline, then steady-rate feedback — live or offline.

Both paths are the one session loop of :mod:`bci.runtime` with the same pieces: a
pipeline whose window check is the :class:`~bci.feedback.artifacts.ArtifactDetector`,
the :class:`~bci.feedback.stage.FeedbackStage` after it, and sinks that keep and push
the samples. Because the processor places feedback samples by sample index, both give
the same samples.

Unlike ``bci live``, the live session decodes every window even when it falls behind
(``skip_stale=False``): a band-power window costs well under a millisecond, and a
skipped window would punch a hole (an artifact flag) into the steady feedback grid and
make the live run differ from the offline one. Lateness is still measured and reported
(``latency_ms`` on every sample).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bci.feedback.artifacts import ArtifactDetector
from bci.feedback.outlet import FeedbackOutlet
from bci.feedback.processor import FeedbackSample, NeurofeedbackProcessor
from bci.feedback.protocol import Protocol
from bci.feedback.sinks import FeedbackSink
from bci.feedback.stage import FeedbackStage
from bci.outputs.status import StatusSink
from bci.pipeline.pipeline import Pipeline
from bci.pipeline.step import Sink
from bci.replay.source import ReplaySource
from bci.runtime.live import LiveSetup, open_source, output_source_id
from bci.runtime.offline import run_virtual
from bci.runtime.session import Session


def build_feedback(protocol: Protocol, *, sfreq: float, ch_names: Sequence[str],
                   ch_types: Sequence[str]) -> tuple[Pipeline, NeurofeedbackProcessor]:
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
    pipeline : Pipeline
        With the protocol's artifact detector as its window check.
    processor : NeurofeedbackProcessor

    Raises
    ------
    bci.errors.ConfigError
        When the stream lacks the protocol's channels, or a band does not fit its rate.
    """
    settings = protocol.feedback
    detector = ArtifactDetector(settings.max_amplitude, settings.flat_std, sfreq=sfreq)
    pipeline = Pipeline(protocol.config, sfreq=sfreq, ch_names=ch_names, ch_types=ch_types,
                        window_checks=[detector])
    processor = NeurofeedbackProcessor(settings, sfreq=sfreq,
                                       step_samples=pipeline.windows.step)
    return pipeline, processor


@dataclass
class FeedbackRun:
    """What a session produced.

    Attributes
    ----------
    pipeline : Pipeline
    processor : NeurofeedbackProcessor
        Holds the baseline (``processor.normaliser``) and the reward counts.
    samples : list of FeedbackSample
        Every feedback sample, in order.
    latencies_ms : list of float
        Live only: push time - window_end, per sample.
    push_times : list of float
        Live only: LSL time each sample was pushed.
    """

    pipeline: Pipeline
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
        Samples per chunk, as the replay would push them (None: the offline default).

    Returns
    -------
    FeedbackRun
        Times (``window_end``) are seconds from the recording's first sample.
    """
    pipeline, processor = build_feedback(protocol, sfreq=source.sfreq,
                                         ch_names=source.ch_names, ch_types=source.ch_types)
    run = FeedbackRun(pipeline, processor)
    run_virtual(pipeline, source, stages=[FeedbackStage(processor)],
                sinks=[FeedbackSink(run)], chunk=chunk, markers=False)
    return run


def open_feedback(protocol: Protocol, stream: str, *, out_stream: str | None,
                  timeout: float = 30.0, sinks: Sequence[Sink] = ()
                  ) -> tuple[LiveSetup, FeedbackRun]:
    """The live neurofeedback session, unstarted, and the run it will fill.

    Sinks, in order: the feedback stream ``out_stream`` (with the replay's speed in its
    description) and ``<out>-status``, then ``sinks`` (OSC, a printer).

    Raises
    ------
    StreamError, ConfigError
        A stream that does not appear or lacks the protocol's channels.
    """
    source = open_source(stream, timeout=timeout)
    built: list[Sink] = []
    try:
        d = source.description
        pipeline, processor = build_feedback(protocol, sfreq=d.sfreq, ch_names=d.ch_names,
                                             ch_types=d.ch_types)
        run = FeedbackRun(pipeline, processor)
        outlet = None
        if out_stream:
            base = output_source_id(d, out_stream)
            settings = protocol.feedback
            outlet = FeedbackOutlet(
                out_stream, rate=settings.rate, source_id=base,
                metadata={"input_stream": d.name, "protocol": protocol.name,
                          "speed": repr(d.speed), "settings": settings.as_dict(),
                          "channels_used": list(pipeline.ch_names)})
        built.append(FeedbackSink(run, outlet))
        if out_stream:
            built.append(StatusSink(f"{out_stream}-status", source_id=f"{base}-status"))
        built.extend(sinks)
    except BaseException:
        source.close()
        for sink in built:
            sink.close()
        raise
    session = Session(source, pipeline, stages=[FeedbackStage(processor)], sinks=built,
                      skip_stale=False, metadata={"input_stream": d.name})
    return LiveSetup(session), run
