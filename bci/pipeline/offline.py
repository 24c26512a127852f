"""Running a pipeline pseudo-online over a recording, on the virtual clock.

The recording is cut into the same chunks a replay would push, passed through the same
wire conversion, and fed to the same :class:`Pipeline` the live session uses; so the
decisions equal, bit for bit, those ``bci live`` makes on ``bci replay`` of the file.
Times are seconds from the recording's first sample (``t0 = 0``).

The chunk size changes nothing but speed: the filters are bit-identical whatever the
chunking and windows are defined in samples, so :data:`OFFLINE_CHUNK_SECONDS` chunks give
the decisions a live run with 10 ms chunks gives (``tests/test_models.py`` checks it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bci.pipeline.decision import Decision
from bci.pipeline.pipeline import Pipeline
from bci.pipeline.windows import Window
from bci.replay.player import VirtualMarker, iter_virtual
from bci.replay.source import ReplaySource

#: Seconds of signal per chunk in offline runs (evaluation, training).
OFFLINE_CHUNK_SECONDS = 0.5


def offline_chunk(sfreq: float) -> int:
    """Samples per chunk for offline runs."""
    return max(int(sfreq * OFFLINE_CHUNK_SECONDS), 1)


def run_offline(pipeline: Pipeline, source: ReplaySource, *, chunk: int | None = None
                ) -> list[Decision]:
    """Every decision ``pipeline`` makes over ``source``, in order.

    ``chunk`` samples per chunk (default :func:`offline_chunk`); pass the live chunk
    size to reproduce a live run's per-chunk statistics too.
    """
    chunk = chunk or offline_chunk(source.sfreq)
    decisions: list[Decision] = []
    for item in iter_virtual([source], chunk=chunk):
        if isinstance(item, VirtualMarker):
            decisions.extend(pipeline.process(None, [item.marker]))
        else:
            decisions.extend(pipeline.process(item.chunk))
    return decisions


def windows_offline(pipeline: Pipeline, source: ReplaySource, *, chunk: int | None = None
                    ) -> list[Window]:
    """Every window ``pipeline`` cuts from ``source`` (its decoder is not run)."""
    chunk = chunk or offline_chunk(source.sfreq)
    windows: list[Window] = []
    for item in iter_virtual([source], chunk=chunk):
        if isinstance(item, VirtualMarker):
            windows.extend(pipeline.windows_of(None, [item.marker]))
        else:
            windows.extend(pipeline.windows_of(item.chunk))
    return windows


def labelled_segments(source: ReplaySource, events: Mapping[str, Sequence[str]]
                      ) -> list[tuple[int, int, str]]:
    """Sample spans ``(start, stop, class)`` of the annotations that name a class."""
    label_to_class = {label: name for name, labels in events.items() for label in labels}
    spans = []
    for (onset, label), duration in zip(source.markers, source.durations, strict=True):
        name = label_to_class.get(label)
        if name is not None and duration > 0:
            start = int(round(onset * source.sfreq))
            spans.append((start, start + int(round(duration * source.sfreq)), name))
    return spans


def segment_label(start: int, stop: int, segments: Sequence[tuple[int, int, str]]
                  ) -> str | None:
    """Class of the segment that wholly contains samples ``start..stop``, if any."""
    for a, b, name in segments:
        if a <= start and stop <= b:
            return name
    return None
