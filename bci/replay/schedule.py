"""When each chunk and marker of a replay is due: one schedule for live and offline.

The live :class:`~bci.replay.player.Player` sleeps until each item is due and pushes
it; :func:`iter_virtual` walks the same items with no sockets and no sleeping. Both
compute sample times the same way, from the start time and the sample index (never from
accumulated sleeps), so a replay does not drift and an offline run sees the same
samples, chunks and times as a live receiver.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from bci.errors import ConfigError
from bci.replay.source import ReplaySource

#: Marker pushed at each wrap of a looped replay, so the discontinuity is visible.
LOOP_MARKER = "bci:loop"


@dataclass(frozen=True)
class SignalItem:
    """A chunk of source ``source`` due at ``due`` (the time of its last sample).

    ``start``/``stop`` index the recording; ``sample`` counts samples sent since the
    replay began (it keeps growing across loops); ``times`` are the samples' stamps.
    """

    due: float
    source: int
    start: int
    stop: int
    sample: int
    times: np.ndarray


@dataclass(frozen=True)
class MarkerItem:
    """A marker ``label`` due (and stamped) at ``due``.

    A marker of the file also says where it sits there: ``number`` counts the file's
    markers from 1 (on across loops), ``file_time`` is seconds from the first sample of
    the earliest stream (on across loops too). A :data:`LOOP_MARKER` has neither.
    """

    due: float
    label: str
    number: int | None = None
    file_time: float | None = None


def default_chunk(sfreq: float) -> int:
    """Samples per chunk when none is asked for: about 10 ms of signal, at least 1."""
    return max(int(round(sfreq / 100.0)), 1)


def schedule(sources: list[ReplaySource], *, chunk: int | None = None, speed: float = 1.0,
             t0: float = 0.0, loop: bool = False, markers: bool = True
             ) -> Iterator[SignalItem | MarkerItem]:
    """Yield every chunk and marker of a replay in the order they are due.

    Parameters
    ----------
    sources : list of ReplaySource
        The streams; markers are taken from the first one.
    chunk : int or None
        Samples per chunk; None for :func:`default_chunk` of each source's rate.
    speed : float
        Time compression: sample ``k`` is stamped ``t0 + (offset + k / sfreq) / speed``.
    t0 : float
        Time of the first sample of the earliest stream.
    loop : bool
        Start again at the end (each source on its own length); a :data:`LOOP_MARKER`
        is due at every wrap of the first source. Without ``loop`` the iterator ends.
    markers : bool
        Include the first source's markers.

    Yields
    ------
    SignalItem or MarkerItem
        Ordered by due time; a marker due at the same time as a chunk comes first.
    """
    if not speed > 0:
        raise ConfigError(f"--speed must be a positive factor, got {speed}")
    if chunk is not None and chunk < 1:
        raise ConfigError(f"--chunk must be at least one sample, got {chunk}")
    sizes = {i: chunk or default_chunk(s.sfreq) for i, s in enumerate(sources)}
    # Heap entries: (due, kind, sequence, payload). Kind 0 (marker) sorts before kind 1
    # (chunk) at equal due times; the sequence number keeps payloads from being compared.
    heap: list[tuple[float, int, int, object]] = []
    sequence = 0

    def push(due: float, kind: int, payload: object) -> None:
        nonlocal sequence
        heapq.heappush(heap, (due, kind, sequence, payload))
        sequence += 1

    def push_markers(lap: int) -> None:
        primary = sources[0]
        lap_start = lap * primary.n_times / primary.sfreq
        first = lap * len(primary.markers) + 1
        for number, (onset, label) in enumerate(primary.markers, start=first):
            file_time = primary.offset + lap_start + onset
            push(t0 + file_time / speed, 0, (label, number, file_time))

    for index, source in enumerate(sources):
        if source.n_times:
            first = min(sizes[index], source.n_times) - 1
            push(_due(source, first, speed, t0), 1, (index, 0))
    if markers and sources and sources[0].n_times:
        push_markers(0)
    while heap:
        due, kind, _, payload = heapq.heappop(heap)
        if kind == 0:
            if isinstance(payload, tuple):
                label, number, file_time = payload
                yield MarkerItem(due=due, label=label, number=number, file_time=file_time)
            else:
                yield MarkerItem(due=due, label=payload)
            continue
        index, sample = payload
        source = sources[index]
        n = source.n_times
        start = sample % n
        stop = min(start + sizes[index], n)  # a chunk never spans the wrap
        count = stop - start
        times = t0 + (source.offset + (sample + np.arange(count)) / source.sfreq) / speed
        yield SignalItem(due=due, source=index, start=start, stop=stop, sample=sample,
                         times=times)
        next_sample = sample + count
        if next_sample % n == 0:
            if not loop:
                continue
            if index == 0 and markers:
                lap = next_sample // n
                push(_due(source, next_sample, speed, t0), 0, LOOP_MARKER)
                push_markers(lap)
        next_start = next_sample % n
        next_count = min(next_start + sizes[index], n) - next_start
        push(_due(source, next_sample + next_count - 1, speed, t0), 1, (index, next_sample))


def _due(source: ReplaySource, sample: int, speed: float, t0: float) -> float:
    """Time at which global sample ``sample`` of ``source`` is due."""
    return t0 + (source.offset + sample / source.sfreq) / speed
