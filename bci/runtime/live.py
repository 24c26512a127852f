"""Setting up a live session: resolve the streams, build the pipeline, plug in the sinks.

``bci live`` (decisions), ``bci neurofeedback`` (feedback samples) and the demo all go
through :func:`open_source` and :class:`LiveSetup`; they differ only in their stages and
sinks.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bci.adapt.model import describe_adaptation
from bci.errors import StreamError
from bci.outputs.decisions import DecisionOutlet, DecisionSink
from bci.outputs.status import StatusSink
from bci.pipeline.model import Model
from bci.pipeline.pipeline import Pipeline
from bci.pipeline.spec import Spec, build_pipeline, config_of
from bci.pipeline.step import Sink, Stage
from bci.runtime.session import Session
from bci.runtime.source import LiveSource
from bci.runtime.stages import gesture_rest, pipeline_stages
from bci.stream.description import StreamDescription
from bci.stream.inlet import Inlet, MarkerInlet

log = logging.getLogger("bci")


@dataclass
class LiveSetup:
    """A live session with everything it holds open; :meth:`close` releases it all."""

    session: Session

    @property
    def inlet(self) -> Inlet:
        """The signal inlet."""
        return self.session.source.inlet

    @property
    def marker_inlet(self) -> MarkerInlet | None:
        """The marker inlet, if the session reads markers."""
        return self.session.source.marker_inlet

    @property
    def outlet(self) -> DecisionOutlet | None:
        """The decision stream, if the session pushes one."""
        sink = self.sink(DecisionSink)
        return sink.outlet if sink is not None else None

    @property
    def status(self) -> StatusSink | None:
        """The status stream, if the session pushes one."""
        return self.sink(StatusSink)

    def sink(self, kind: type) -> object | None:
        """The session's first sink of type ``kind``."""
        return next((s for s in self.session.sinks if isinstance(s, kind)), None)

    def close(self) -> None:
        """Close inlets before the outlets (LSL prefers that order)."""
        self.session.close()


def output_source_id(description: StreamDescription, output: str) -> str:
    """A source id for the output stream ``output`` that is stable for its input.

    The same input (its source id, else its name, on this host) and output name give the
    same id, so a receiver that resolves the output by source id finds it again after a
    restart, and sessions on different inputs, or with different outputs, never share one.
    """
    origin = description.source_id or f"{description.name}@{socket.gethostname()}"
    return uuid.uuid5(uuid.NAMESPACE_URL, f"bci:{output}:{origin}").hex


def default_output_name(stream: str, kind: str) -> str:
    """``<stream>-<kind>``: the default name of a session's output stream.

    Derived from the input so that two sessions on one network never both publish
    ``bci-decisions`` (a reader would get whichever answers first).
    """
    return f"{stream}-{kind}"


def open_source(stream: str, *, markers: str | None = None, want_markers: bool = False,
                timeout: float = 30.0, look_for_markers: float = 0.0) -> LiveSource:
    """Resolve and open the signal stream (and its marker stream) as a live source.

    Marker-locked pipelines read markers from ``markers`` (default ``<stream>-markers``,
    the name ``bci replay`` uses). Other pipelines read them only when
    ``look_for_markers`` > 0 and ``<stream>-markers`` appears within that many seconds
    (the decisions printed by ``bci live --print`` then get trial numbers and, on a
    replay, file times); the pipeline itself ignores them.

    Raises
    ------
    StreamError
        A stream that does not appear, or a signal stream without a nominal rate.
    """
    # Import the decoders (scikit-learn, pyriemann, mne: seconds on a busy machine) before
    # subscribing, or the stream piles up a backlog that the session must then skip.
    import bci.decoders  # noqa: F401

    inlet = Inlet(stream, timeout=timeout, ring_seconds=0.0).open()
    try:
        d = inlet.description
        if d.sfreq <= 0:
            raise StreamError(f"stream '{d.name}' has no nominal sampling rate (an "
                              "irregular stream such as markers or decisions): pass the "
                              "signal stream with --stream")
        marker_inlet = None
        if want_markers or markers is not None:
            marker_inlet = MarkerInlet(markers or f"{stream}-markers", timeout=timeout).open()
        elif look_for_markers > 0:
            try:
                marker_inlet = MarkerInlet(f"{stream}-markers",
                                           timeout=look_for_markers).open()
            except StreamError:
                marker_inlet = None  # no marker stream beside it: nothing to number
                log.info("no marker stream '%s-markers' beside the signal: printed "
                         "decisions get no trial numbers or file times", stream)
    except BaseException:
        inlet.close()
        raise
    return LiveSource(inlet, marker_inlet)


def open_live(spec: Spec, stream: str, *, markers: str | None = None,
              out_stream: str | None = "", timeout: float = 30.0,
              sinks: Sequence[Sink] = (), source_id: str | None = None,
              make_sinks: Callable[[Pipeline], Sequence[Sink]] | None = None,
              look_for_markers: float = 0.0) -> LiveSetup:
    """The decoding session of ``bci live``, unstarted.

    Sinks, in order: the decision stream ``out_stream`` (default ``<stream>-decisions``,
    with a source id stable for the input) and its ``<out>-status`` stream (none when
    ``out_stream`` is None), then ``sinks``, then what ``make_sinks(pipeline)`` returns
    (sinks that need the built pipeline). ``look_for_markers``: see :func:`open_source`.
    """
    config = config_of(spec)
    source = open_source(stream, markers=markers, want_markers=config.mode == "markers",
                         timeout=timeout, look_for_markers=look_for_markers)
    built: list[Sink] = []
    try:
        d = source.description
        pipeline = build_pipeline(spec, sfreq=d.sfreq, ch_names=d.ch_names,
                                  ch_types=d.ch_types, period=source.inlet.period,
                                  stream_name=f"stream '{d.name}'")
        stages: list[Stage] = pipeline_stages(pipeline)
        if out_stream == "":
            out_stream = default_output_name(stream, "decisions")
        if out_stream:
            base = source_id or output_source_id(d, out_stream)
            outlet = DecisionOutlet(
                out_stream, classes=pipeline.classes, score_names=pipeline.score_names,
                source_id=base,
                metadata={"input_stream": d.name, "pipeline": config.name or config.origin,
                          "budget_ms": dict(config.budget), "mode": config.mode,
                          # class -> marker labels: the monitor names markers with it
                          "events": {k: list(v) for k, v in config.events.items()},
                          "model": isinstance(spec, Model),
                          "adaptation": describe_adaptation(pipeline.decoder, stages)},
                rest=gesture_rest(stages), targets=pipeline.targets or None)
            built.append(DecisionSink(outlet))
            # Gaps, stalls, repaired NaN bursts, ... as string markers on '<out>-status'.
            built.append(StatusSink(f"{out_stream}-status", source_id=f"{base}-status"))
        built.extend(sinks)
        if make_sinks is not None:
            built.extend(make_sinks(pipeline))
    except BaseException:
        source.close()
        for sink in built:
            sink.close()
        raise
    return LiveSetup(Session(source, pipeline, stages=stages, sinks=built,
                             metadata={"input_stream": d.name}))
