"""Setting up a live session from a config or model file and a stream name."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pylsl

from bci.errors import StreamError
from bci.pipeline.config import PipelineConfig, load_config
from bci.pipeline.decision import DecisionOutlet
from bci.pipeline.evaluation import pipeline_for
from bci.pipeline.model import Model, load_model
from bci.pipeline.pipeline import Pipeline
from bci.pipeline.session import Session
from bci.stream.description import StreamDescription
from bci.stream.inlet import Inlet, MarkerInlet
from bci.stream.outlet import Outlet


def load_spec(path: str | Path) -> PipelineConfig | Model:
    """A ``.toml`` pipeline config, or a model file written by ``bci train``."""
    path = Path(path)
    if path.suffix.lower() == ".toml":
        return load_config(path)
    return load_model(path)


@dataclass
class LiveSetup:
    """Everything a live session holds open; :meth:`close` releases it all."""

    session: Session
    inlet: Inlet
    marker_inlet: MarkerInlet | None
    outlet: DecisionOutlet | None
    status: Outlet | None = None

    def close(self) -> None:
        """Close inlets before the outlets (LSL prefers that order)."""
        self.inlet.close()
        if self.marker_inlet is not None:
            self.marker_inlet.close()
        if self.outlet is not None:
            self.outlet.close()
        if self.status is not None:
            self.status.close()


def open_live(spec: PipelineConfig | Model, stream: str, *, markers: str | None = None,
              out_stream: str | None = "bci-decisions", timeout: float = 30.0,
              keep_decisions: bool = False, on_decision=None,
              source_id: str | None = None) -> LiveSetup:
    """Resolve the streams, build the pipeline for them and create the decision outlet.

    The session is returned unstarted. Marker-locked pipelines read markers from
    ``markers`` (default ``<stream>-markers``, the name ``bci replay`` uses).
    """
    # Import the decoders (scikit-learn, pyriemann, mne: seconds on a busy machine) before
    # subscribing, or the stream piles up a backlog that the session must then skip.
    import bci.decoders  # noqa: F401

    inlet = Inlet(stream, timeout=timeout, ring_seconds=0.0).open()
    marker_inlet = outlet = None
    try:
        d = inlet.description
        if d.sfreq <= 0:
            raise StreamError(f"stream '{d.name}' has no nominal sampling rate (an "
                              "irregular stream such as markers or decisions): pass the "
                              "signal stream with --stream")
        period = inlet.period
        if isinstance(spec, Model):
            pipeline = pipeline_for(spec, d.sfreq, d.ch_names, d.ch_types, period=period,
                                    stream_name=f"stream '{d.name}'")
            config = spec.config
        else:
            pipeline = Pipeline(spec, sfreq=d.sfreq, ch_names=d.ch_names, ch_types=d.ch_types,
                                period=period)
            config = spec
        if config.mode == "markers" or markers is not None:
            marker_inlet = MarkerInlet(markers or f"{stream}-markers", timeout=timeout).open()
        if out_stream:
            outlet = DecisionOutlet(
                out_stream, classes=pipeline.classes, score_names=pipeline.score_names,
                source_id=source_id or uuid.uuid4().hex,
                metadata={"input_stream": d.name, "pipeline": config.name or config.origin,
                          "budget_ms": dict(config.budget)},
                rest=pipeline.stabiliser.rest if pipeline.stabiliser is not None else None)
        status = on_status = None
        if out_stream:
            # Gaps, stalls and repaired NaN bursts as string markers on '<out>-status'.
            status = Outlet(StreamDescription.for_markers(
                f"{out_stream}-status", source_id=f"{outlet.description.source_id}-status"))

            def on_status(message: str) -> None:
                status.push_marker(message, pylsl.local_clock())
    except BaseException:
        inlet.close()
        if marker_inlet is not None:
            marker_inlet.close()
        if outlet is not None:
            outlet.close()
        raise
    session = Session(pipeline, inlet, marker_inlet=marker_inlet, outlet=outlet,
                      keep_decisions=keep_decisions, on_decision=on_decision,
                      on_status=on_status)
    return LiveSetup(session, inlet, marker_inlet, outlet, status)
