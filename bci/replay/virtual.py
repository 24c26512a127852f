"""Replaying a recording on a virtual clock: what a live receiver would get, with no
sockets and no sleeping.

:func:`iter_virtual` walks the very schedule the live :class:`~bci.replay.Player` plays
(``bci.replay.schedule``) and passes values through the same wire conversion, so an
offline run sees the chunks, timestamps and float64 values an inlet would, bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from bci.replay.schedule import MarkerItem, schedule
from bci.replay.source import ReplaySource
from bci.stream.chunk import Chunk, Marker
from bci.stream.description import StreamDescription
from bci.stream.units import from_wire, to_wire, wire_scales

#: Sample types a replay can send, by LSL channel-format name.
WIRE_DTYPES = {"float32": np.float32, "double64": np.float64}


def describe(source: ReplaySource, *, name: str, source_id: str, speed: float,
             channel_format: str) -> StreamDescription:
    """The LSL description a replay announces for ``source``.

    The replay's speed factor is in the description (``desc/bci/speed``) so receivers
    know that timestamps advance ``speed`` times faster than the nominal rate says.
    """
    return StreamDescription.for_signal(
        name, source.stype, source.sfreq, list(source.ch_names), list(source.ch_types),
        channel_format=channel_format, source_id=source_id,
        metadata={"speed": repr(float(speed)), "replay": "1"})


@dataclass(frozen=True)
class VirtualChunk:
    """A chunk of one source as a live receiver would get it, on the virtual clock."""

    source: int
    chunk: Chunk
    due: float


@dataclass(frozen=True)
class VirtualMarker:
    """A marker as a live receiver would get it, on the virtual clock."""

    marker: Marker
    due: float


def iter_virtual(sources: list[ReplaySource], *, chunk: int | None = None, speed: float = 1.0,
                 t0: float = 0.0, loop: bool = False, channel_format: str = "float32"
                 ) -> Iterator[VirtualChunk | VirtualMarker]:
    """Iterate a replay with no sockets and no sleeping.

    Yields the chunks and markers a receiver of ``Player(sources, ...)`` would get, in
    the order they are due, with the same timestamps (relative to ``t0``) and with values
    passed through the same wire conversion (microvolts in ``channel_format``), so the
    float64 values equal those an :class:`~bci.stream.Inlet` hands out, bit for bit.
    """
    dtype = WIRE_DTYPES[channel_format]
    scales = [wire_scales(describe(s, name=s.name, source_id="", speed=speed,
                                   channel_format=channel_format).units, s.ch_types)
              for s in sources]
    for item in schedule(sources, chunk=chunk, speed=speed, t0=t0, loop=loop):
        if isinstance(item, MarkerItem):
            yield VirtualMarker(Marker(item.label, item.due, number=item.number,
                                       file_time=item.file_time), item.due)
            continue
        source = sources[item.source]
        wire = to_wire(source.data[:, item.start:item.stop], scales[item.source], dtype)
        data = from_wire(wire, scales[item.source])
        yield VirtualChunk(item.source, Chunk(data, item.times, item.sample), item.due)
