"""Running a pipeline pseudo-online over a recording: the session loop on the virtual clock.

The recording is cut into the same chunks a replay would push, passed through the same
wire conversion, and fed through the very :class:`~bci.runtime.Session` loop a live run
uses; so the decisions equal, bit for bit, those ``bci live`` makes on ``bci replay`` of
the file. Times are seconds from the recording's first sample (``t0 = 0``).
"""

from __future__ import annotations

from collections.abc import Sequence

from bci.outputs.collect import Collector
from bci.pipeline.decision import Decision
from bci.pipeline.pipeline import Pipeline
from bci.pipeline.step import Sink, Stage
from bci.pipeline.windows import Window
from bci.replay.source import ReplaySource
from bci.runtime.session import Session
from bci.runtime.source import VirtualSource


def run_virtual(pipeline: Pipeline, source: ReplaySource, *, stages: Sequence[Stage] = (),
                sinks: Sequence[Sink] = (), chunk: int | None = None,
                markers: bool = True) -> Session:
    """Run the session loop over ``source`` to its end; return the finished session."""
    return Session(VirtualSource(source, chunk=chunk, markers=markers), pipeline,
                   stages=stages, sinks=sinks).run()


def run_offline(pipeline: Pipeline, source: ReplaySource, *, chunk: int | None = None,
                stages: Sequence[Stage] | None = None, sinks: Sequence[Sink] = ()
                ) -> list[Decision]:
    """Every decision ``pipeline`` makes over ``source``, in order.

    ``stages`` defaults to those the config asks for
    (:func:`~bci.runtime.stages.pipeline_stages`), as ``bci live`` builds them; ``sinks``
    get the steps too (e.g. a :class:`~bci.outputs.DecisionPrinter`).
    """
    from bci.runtime.stages import pipeline_stages

    collector = Collector(events=False)
    run_virtual(pipeline, source, chunk=chunk, sinks=[collector, *sinks],
                stages=pipeline_stages(pipeline) if stages is None else stages)
    return collector.decisions


def windows_offline(pipeline: Pipeline, source: ReplaySource, *, chunk: int | None = None
                    ) -> list[Window]:
    """Every window a windows-only ``pipeline`` cuts from ``source`` (for training)."""
    collector = Collector(decisions=False, windows=True, events=False)
    run_virtual(pipeline, source, chunk=chunk, sinks=[collector])
    return collector.windows
