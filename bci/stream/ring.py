"""A ring buffer of the newest samples, for readers such as the monitor.

One writer (the thread that owns the inlet) and any number of readers on other threads.
The buffer is *mirrored*: every sample is written twice, at ``i`` and ``i + capacity``,
so the newest ``n`` samples are always one contiguous slice and a read is a single copy;
writing costs two slice assignments per chunk instead of rolling the whole array
(``np.roll`` costs 94 µs at 65 channels per 10-sample chunk, this costs a few µs).

Readers never take a lock: a sequence counter (a "seqlock") is bumped before and after
each write, and a reader retries when it saw a write in progress or a change while it
copied. In CPython the counter updates are atomic and ordered with the array writes.
"""

from __future__ import annotations

import time

import numpy as np


class RingBuffer:
    """The last ``capacity`` samples of a stream, with their timestamps.

    Parameters
    ----------
    n_channels : int
        Number of channels.
    capacity : int
        Number of samples kept (e.g. ``int(seconds * sfreq)``).
    dtype : numpy dtype
        Sample type; float64 by default.
    """

    def __init__(self, n_channels: int, capacity: int, dtype: type = np.float64) -> None:
        if capacity < 1 or n_channels < 1:
            raise ValueError("RingBuffer needs at least one channel and one sample")
        self.n_channels = n_channels
        self.capacity = capacity
        self._data = np.zeros((n_channels, 2 * capacity), dtype=dtype)
        self._times = np.zeros(2 * capacity, dtype=np.float64)
        self._head = 0  # where the next sample goes, in [0, capacity)
        self._sequence = 0  # odd while a write is in progress
        self.n_written = 0  # samples written since creation or clear()

    def write(self, data: np.ndarray, times: np.ndarray) -> None:
        """Append samples.

        Parameters
        ----------
        data : ndarray, shape (n_channels, n_times)
        times : ndarray, shape (n_times,)
        """
        n = times.shape[0]
        if n == 0:
            return
        total = n  # every sample counts, even those too old to keep
        if n > self.capacity:  # only the newest capacity samples can be kept
            data, times, n = data[:, -self.capacity:], times[-self.capacity:], self.capacity
        self._sequence += 1
        cap, head = self.capacity, self._head
        first = min(n, cap - head)
        for offset in (0, cap):  # the two mirrored copies
            start = head + offset
            self._data[:, start:start + first] = data[:, :first]
            self._times[start:start + first] = times[:first]
        rest = n - first
        if rest:
            for offset in (0, cap):
                self._data[:, offset:offset + rest] = data[:, first:]
                self._times[offset:offset + rest] = times[first:]
        self._head = (head + n) % cap
        self.n_written += total
        self._sequence += 1

    def latest(self, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Copy of the newest ``n`` samples (all available when None).

        Returns
        -------
        data : ndarray, shape (n_channels, n_available)
            Oldest first; fewer than ``n`` columns until enough samples were written.
        times : ndarray, shape (n_available,)
        """
        data, times, _ = self.latest_rows(None, self.capacity if n is None else n)
        return data, times

    def latest_rows(self, rows: np.ndarray | slice | None, n: int
                    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Copy of the newest ``n`` samples of some channels.

        Parameters
        ----------
        rows : ndarray of int, slice or None
            Channels to copy (None: all).
        n : int
            Samples wanted; fewer are returned until enough were written.

        Returns
        -------
        data : ndarray, shape (n_rows, n_available)
            Oldest first.
        times : ndarray, shape (n_available,)
        stop : int
            Index (counted from the first write) one past the newest returned sample.
        """
        rows = slice(None) if rows is None else rows
        while True:
            before = self._sequence
            if before % 2:
                time.sleep(0)  # let the writer (which needs the GIL) finish
                continue
            written = self.n_written
            count = min(n, written, self.capacity)
            end = self._head + self.capacity
            data = self._data[rows, end - count:end]
            if isinstance(rows, slice):  # basic slicing gives a view: copy it
                data = data.copy()
            times = self._times[end - count:end].copy()
            if self._sequence == before:
                return data, times, written

    def span_rows(self, rows: np.ndarray | slice | None, start: int, stop: int
                  ) -> tuple[np.ndarray, np.ndarray, int]:
        """Copy of samples ``start`` to ``stop`` (absolute indices) of some channels.

        Only what is still (or already) held is returned: the span is clipped to the
        samples in the ring.

        Returns
        -------
        data : ndarray, shape (n_rows, n)
        times : ndarray, shape (n,)
        first : int
            Absolute index of the first returned sample (``start`` unless those samples
            were already overwritten).
        """
        rows = slice(None) if rows is None else rows
        while True:
            before = self._sequence
            if before % 2:
                time.sleep(0)
                continue
            written = self.n_written
            oldest = written - min(written, self.capacity)
            first, last = max(start, oldest), min(stop, written)
            if last <= first:
                n_rows = (self._data.shape[0] if isinstance(rows, slice)
                          else len(rows))
                return np.empty((n_rows, 0)), np.empty(0), first
            end = self._head + self.capacity - (written - last)
            begin = end - (last - first)
            data = self._data[rows, begin:end]
            if isinstance(rows, slice):
                data = data.copy()
            times = self._times[begin:end].copy()
            if self._sequence == before:
                return data, times, first

    def view_span(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Views of samples ``start`` to ``stop`` (counted from the first write).

        For the writer's own thread. Raises IndexError when the span is no longer (or
        not yet) held.
        """
        oldest = self.n_written - min(self.n_written, self.capacity)
        if start < oldest or stop > self.n_written or start > stop:
            raise IndexError(f"samples {start}..{stop} not held (holding {oldest}.."
                             f"{self.n_written})")
        end = self._head + self.capacity - (self.n_written - stop)
        begin = end - (stop - start)
        return self._data[:, begin:end], self._times[begin:end]

    def clear(self) -> None:
        """Forget every sample (e.g. after a discontinuity)."""
        self._sequence += 1
        self._head = 0
        self.n_written = 0
        self._sequence += 1
