"""Cutting windows out of a filtered stream: sliding windows and marker-locked epochs.

Both are defined in samples at the stream's nominal rate, never in wall-clock time, so a
replay at ``--speed 10`` and an offline run give the very same windows. A window is
emitted from the call that delivers its last sample: no polling tick adds latency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from bci.stream.chunk import Chunk, Marker
from bci.stream.ring import RingBuffer


@dataclass(frozen=True)
class Window:
    """Samples handed to a decoder.

    Attributes
    ----------
    data : ndarray, shape (n_channels, n_times)
        A copy the decoder may keep.
    start_index, stop_index : int
        Sample indices (since the stream began) of the first and one past the last
        sample.
    end_time : float
        LSL time of the newest sample (``window_end`` of the decision).
    label : str or None
        Class name of the event a marker-locked window belongs to.
    event_time : float or None
        LSL time of that event.
    """

    data: np.ndarray
    start_index: int
    stop_index: int
    end_time: float
    label: str | None = None
    event_time: float | None = None


class SlidingWindows:
    """Windows of ``length`` samples whose ends fall every ``step`` samples.

    A window ends at sample index ``e`` (exclusive) for every ``e`` that is a multiple
    of ``step`` and at least ``length`` samples after the last discontinuity.

    Parameters
    ----------
    n_channels : int
    length : int
        Samples per window.
    step : int
        Samples between window ends.
    """

    def __init__(self, n_channels: int, length: int, step: int) -> None:
        if length < 1 or step < 1:
            raise ValueError("window length and step must be at least one sample")
        self.n_channels = n_channels
        self.length = length
        self.step = step
        self._ring = RingBuffer(n_channels, length + 4096)
        self._base = 0  # stream index of the ring's sample 0

    def reset(self, at_index: int = 0) -> None:
        """Start afresh: no window may reach back before sample ``at_index``."""
        self._ring.clear()
        self._base = at_index

    def oldest_index(self) -> int:
        """Index of the oldest sample still held (no window can start before it)."""
        return self._base + self._ring.n_written - min(self._ring.n_written,
                                                       self._ring.capacity)

    def push(self, chunk: Chunk) -> list[Window]:
        """Add a chunk; return the windows completed by it, oldest first."""
        if chunk.first_index != self._base + self._ring.n_written:
            # Samples were lost between chunks: never let a window span them.
            self.reset(chunk.first_index)
        windows = []
        capacity = self._ring.capacity - self.length
        for begin in range(0, chunk.n_times, capacity):
            part = slice(begin, begin + capacity)
            self._ring.write(chunk.data[:, part], chunk.times[part])
            windows.extend(self._completed(chunk.first_index + begin,
                                           chunk.first_index + min(begin + capacity,
                                                                   chunk.n_times)))
        return windows

    def _completed(self, first: int, stop: int) -> list[Window]:
        # Window ends e with first < e <= stop, e a multiple of step, e - length >= base.
        lowest = max(first + 1, self._base + self.length)
        e = -(-lowest // self.step) * self.step
        windows = []
        while e <= stop:
            data, times = self._ring.view_span(e - self.length - self._base, e - self._base)
            windows.append(Window(data.copy(), e - self.length, e, float(times[-1])))
            e += self.step
        return windows


class MarkerEpocher:
    """Epochs from ``tmin`` to ``tmax`` seconds around events of a marker stream.

    A marker is placed on the sample nearest its time; it may arrive before or after
    that sample (marker and signal travel on separate streams). The epoch is emitted as
    soon as its last sample has arrived.

    Parameters
    ----------
    n_channels : int
    sfreq : float
        Nominal rate; ``tmin``/``tmax`` become ``round(t * sfreq)`` samples.
    events : mapping of str to str or list of str
        Class name -> marker label(s) that start a trial of that class.
    tmin, tmax : float
        Epoch limits in seconds relative to the event (``tmax`` exclusive).
    period : float
        Seconds between timestamps (``1 / sfreq`` divided by a replay's speed), to place
        markers on samples.
    history : float
        Seconds of signal kept for markers that arrive late.
    """

    def __init__(self, n_channels: int, sfreq: float, events: Mapping[str, str | list[str]],
                 tmin: float, tmax: float, *, period: float | None = None,
                 history: float = 10.0) -> None:
        if tmax <= tmin:
            raise ValueError(f"tmax ({tmax}) must be greater than tmin ({tmin})")
        self.sfreq = sfreq
        self.period = period if period is not None else 1.0 / sfreq
        self.offset_start = int(round(tmin * sfreq))
        self.offset_stop = int(round(tmax * sfreq))
        self.label_to_class: dict[str, str] = {}
        for name, labels in events.items():
            for label in [labels] if isinstance(labels, str) else labels:
                self.label_to_class[str(label)] = name
        reach = self.offset_stop - min(self.offset_start, 0)
        self._ring = RingBuffer(n_channels, reach + int(history * sfreq) + 4096)
        self._pending: list[tuple[Marker, str]] = []  # markers not yet placed
        self._placed: list[tuple[int, Marker, str]] = []  # (event index, marker, class)
        self._base = 0
        self.n_missed = 0  # markers whose samples were already gone (or lost in a gap)

    def reset(self, at_index: int = 0) -> None:
        """Drop buffered samples (after a discontinuity); epochs across it are missed."""
        self.n_missed += len(self._placed)
        self._placed.clear()
        self._ring.clear()
        self._base = at_index

    def push_markers(self, markers: list[Marker]) -> None:
        """Queue markers; labels that start no trial are ignored."""
        for marker in markers:
            name = self.label_to_class.get(marker.label)
            if name is not None:
                self._pending.append((marker, name))

    def oldest_index(self) -> int:
        """Index of the oldest sample still held (no epoch can start before it)."""
        return self._base + self._ring.n_written - min(self._ring.n_written,
                                                       self._ring.capacity)

    def push(self, chunk: Chunk) -> list[Window]:
        """Add a chunk; return the epochs completed so far, in event order."""
        if chunk.first_index != self._base + self._ring.n_written:
            self.reset(chunk.first_index)
        if chunk.n_times:
            self._ring.write(chunk.data, chunk.times)
        return self.emit()

    def emit(self) -> list[Window]:
        """The epochs complete so far (after markers arrived on their own), in event order.
        """
        held_from = self._base + self._ring.n_written - min(self._ring.n_written,
                                                            self._ring.capacity)
        held_to = self._base + self._ring.n_written
        still_pending = []
        if self._ring.n_written:
            _, times = self._ring.view_span(held_from - self._base, held_to - self._base)
            for marker, name in self._pending:
                if marker.time - 0.5 * self.period > times[-1]:
                    still_pending.append((marker, name))  # its sample has not arrived
                    continue
                pos = int(np.searchsorted(times, marker.time - 0.5 * self.period))
                if pos == 0 and marker.time < times[0] - 0.5 * self.period:
                    self.n_missed += 1  # older than what is held
                    continue
                self._placed.append((held_from + pos, marker, name))
        else:
            still_pending = self._pending
        self._pending = still_pending
        windows, waiting = [], []
        for index, marker, name in sorted(self._placed, key=lambda p: p[0]):
            start, stop = index + self.offset_start, index + self.offset_stop
            if stop > held_to:
                waiting.append((index, marker, name))
                continue
            if start < held_from:
                self.n_missed += 1
                continue
            data, times = self._ring.view_span(start - self._base, stop - self._base)
            windows.append(Window(data.copy(), start, stop, float(times[-1]), name,
                                  marker.time))
        self._placed = waiting
        return windows
