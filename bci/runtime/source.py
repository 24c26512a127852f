"""Where a session's input comes from: a live LSL stream, or a recording on the virtual
clock. Both hand the session the same :class:`Input` items, so one loop serves both."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from bci.pipeline.step import StatusEvent
from bci.replay.source import ReplaySource
from bci.replay.virtual import VirtualMarker, iter_virtual
from bci.stream.chunk import Chunk, Marker
from bci.stream.description import StreamDescription
from bci.stream.gaps import Gap
from bci.stream.inlet import Inlet, MarkerInlet

log = logging.getLogger("bci")

#: Seconds of signal per chunk in offline runs (evaluation, training).
OFFLINE_CHUNK_SECONDS = 0.5


def offline_chunk(sfreq: float) -> int:
    """Samples per chunk for offline runs.

    The chunk size changes nothing but speed: filters are bit-identical whatever the
    chunking and windows are defined in samples, so 0.5 s chunks give the decisions a
    live run with 10 ms chunks gives (``tests/test_models.py`` checks it).
    """
    return max(int(sfreq * OFFLINE_CHUNK_SECONDS), 1)


@dataclass(frozen=True)
class Input:
    """What arrived in one read: samples, markers, the gaps found in the samples, and
    anything the source itself reports (a replaced source, a clock jump)."""

    chunk: Chunk | None = None
    markers: tuple[Marker, ...] = ()
    gaps: tuple[Gap, ...] = ()
    events: tuple[StatusEvent, ...] = ()


class LiveSource:
    """A live signal stream, and optionally its marker stream.

    ``read`` blocks in liblsl for the signal (``pull_chunk(min_samples=1)``: no busy
    polling, which on two cores starves liblsl's own threads) and drains the markers
    without blocking.

    Parameters
    ----------
    inlet : Inlet
        The open signal inlet.
    marker_inlet : MarkerInlet or None
        The open marker inlet.
    """

    live = True

    def __init__(self, inlet: Inlet, marker_inlet: MarkerInlet | None = None) -> None:
        self.inlet = inlet
        self.marker_inlet = marker_inlet
        self.ended = False
        self._told_file_time = False

    @property
    def description(self) -> StreamDescription:
        """The signal stream's description."""
        return self.inlet.description

    @property
    def sfreq(self) -> float:
        """Nominal rate."""
        return self.inlet.description.sfreq

    def read(self, timeout: float) -> Input | None:
        """What arrived within ``timeout`` seconds; None when nothing did."""
        chunk = self.inlet.pull(timeout=timeout)
        markers = tuple(self.marker_inlet.pull(0.0)) if self.marker_inlet is not None else ()
        if not self._told_file_time:
            self._tell_file_time(markers)
        events = self._source_events()
        if chunk is None and not markers and not events:
            return None
        return Input(chunk, markers, tuple(self.inlet.take_gaps()), events)

    def _tell_file_time(self, markers: tuple[Marker, ...]) -> None:
        # A replay numbers its markers: the first one says which of the file's markers
        # passed before this session connected (no marker-locked decision for those).
        first = next((m for m in markers if m.number is not None), None)
        if first is None:
            return
        self._told_file_time = True
        log.info("marker %d of the replayed file ('%s', file time %.3f s) is the first "
                 "this session received, at stream time %.3f: %d marker(s) passed before "
                 "it connected", first.number, first.label, first.file_time, first.time,
                 first.number - 1)

    def _source_events(self) -> tuple[StatusEvent, ...]:
        # What happened to the sources (replaced, refused, clock jumps) since last time.
        events: list[StatusEvent] = []
        for inlet in (self.inlet, self.marker_inlet):
            if inlet is not None:
                events.extend(StatusEvent(e.kind, e.message, e.time)
                              for e in inlet.take_events())
        return tuple(events)

    def counters(self) -> dict[str, int]:
        """Counts the inlet keeps that belong in the session's statistics."""
        out = {"reconnects": self.inlet.n_reconnects,
               "duplicates_dropped": self.inlet.n_duplicates,
               "source_outages": self.inlet.n_outages,
               # Counters are integers: the outages' total length in milliseconds.
               "source_outage_ms": int(round(self.inlet.outage_seconds * 1e3))}
        if self.inlet.gap_detector is not None:
            out["backwards_timestamps"] = self.inlet.gap_detector.n_backwards
        return out

    def close(self) -> None:
        """Close the inlets (before any outlet: LSL prefers that order)."""
        self.inlet.close()
        if self.marker_inlet is not None:
            self.marker_inlet.close()


class VirtualSource:
    """A recording replayed on the virtual clock: the chunks and markers a receiver of
    ``bci replay`` would get, with the same values and stamps, no sockets, no sleeping.

    Parameters
    ----------
    source : ReplaySource
        The recording's signal stream (its annotations are the markers).
    chunk : int or None
        Samples per chunk (default :func:`offline_chunk`); pass the live chunk size to
        reproduce a live run's per-chunk statistics too.
    markers : bool
        Also deliver the recording's markers.
    """

    live = False

    def __init__(self, source: ReplaySource, *, chunk: int | None = None,
                 markers: bool = True) -> None:
        self.source = source
        self.chunk = chunk or offline_chunk(source.sfreq)
        self.markers = markers
        self.ended = False
        self._items: Iterator | None = None

    description = None

    @property
    def sfreq(self) -> float:
        """Nominal rate."""
        return self.source.sfreq

    def read(self, timeout: float = 0.0) -> Input | None:
        """The next chunk or marker; None (and ``ended``) at the end of the recording."""
        if self._items is None:
            self._items = iter_virtual([self.source], chunk=self.chunk)
        while True:
            item = next(self._items, None)
            if item is None:
                self.ended = True
                return None
            if isinstance(item, VirtualMarker):
                if not self.markers:
                    continue
                return Input(markers=(item.marker,))
            return Input(chunk=item.chunk)

    def counters(self) -> dict[str, int]:
        """No inlet, nothing to count."""
        return {}

    def close(self) -> None:
        """Nothing to release."""
