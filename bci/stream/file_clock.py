"""Where a live decision sits in the replayed file: its trial number and time into the file.

A replay pushes, just before each of the file's markers and with the same timestamp, a
companion marker ``bci:cue <number> <file_time>`` (:func:`cue_label`).
:class:`~bci.stream.MarkerInlet` folds it into the marker that follows
(:attr:`Marker.number <bci.stream.Marker>`, :attr:`Marker.file_time`), so nothing
downstream sees it as an event of its own. The first such marker a session receives ties
stream time to file time (:class:`FileClock`), and its number says how many of the
file's markers passed before the session connected. A headset sends no such markers:
then file time cannot be known, and neither can the cues sent before the connection.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from bci.stream.chunk import Marker

#: Label prefix of a replay's companion markers.
CUE_PREFIX = "bci:cue "

#: Seconds within which a companion and its marker count as stamped together, and a
#: decision's event time as its marker's (both inlets correct the clock on their own).
TOLERANCE = 1e-3


def cue_label(number: int, file_time: float) -> str:
    """The companion label a replay pushes before the file's marker ``number``."""
    return f"{CUE_PREFIX}{number} {file_time!r}"


def parse_cue(label: str) -> tuple[int, float] | None:
    """``(number, file_time)`` of a companion label; None for any other label."""
    if not label.startswith(CUE_PREFIX):
        return None
    try:
        number, file_time = label[len(CUE_PREFIX):].split()
        return int(number), float(file_time)
    except ValueError:
        return None


class FileClock:
    """Stream time to file time, and stream time to trial number, from the markers seen.

    Parameters
    ----------
    speed : float
        The replay's speed factor (``desc/bci/speed``): stream time runs ``speed`` times
        faster than file time.

    Attributes
    ----------
    anchor : Marker or None
        The first marker that carried its file time; None until one came (always, on a
        headset).
    n_markers : int
        Markers seen.
    """

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = float(speed)
        self.anchor: Marker | None = None
        self.n_markers = 0
        self._times: list[float] = []
        self._numbers: list[int] = []

    @classmethod
    def of_file(cls, markers: Iterable[tuple[float, str]], offset: float = 0.0
                ) -> FileClock:
        """The clock of a recording on the virtual clock (stream time is file time)."""
        clock = cls()
        for number, (onset, label) in enumerate(markers, start=1):
            t = offset + onset
            clock.add(Marker(label, t, number=number, file_time=t))
        return clock

    @property
    def known(self) -> bool:
        """Whether file time is known (a replay's numbered marker has come)."""
        return self.anchor is not None

    @property
    def missed(self) -> int | None:
        """Markers of the file that passed before the first one seen; None if unknown."""
        return None if self.anchor is None else self.anchor.number - 1

    def add(self, marker: Marker) -> bool:
        """Take a marker; True when it is the first to tie stream time to file time.

        A marker without a number (a headset's) is numbered as received: the count of
        markers this clock has seen.
        """
        self.n_markers += 1
        number = marker.number if marker.number is not None else self.n_markers
        index = bisect.bisect_right(self._times, marker.time)
        self._times.insert(index, marker.time)
        self._numbers.insert(index, number)
        if self.anchor is None and marker.number is not None and marker.file_time is not None:
            self.anchor = marker
            return True
        return False

    def file_time(self, stamp: float) -> float | None:
        """Seconds into the file of stream time ``stamp``; None when not known."""
        if self.anchor is None:
            return None
        return self.anchor.file_time + (stamp - self.anchor.time) * self.speed

    def trial(self, stamp: float) -> int | None:
        """Number of the latest marker at or before ``stamp`` (None before the first).

        For a marker-locked decision pass its event time: the trial is its marker.
        """
        index = bisect.bisect_right(self._times, stamp + TOLERANCE)
        return self._numbers[index - 1] if index else None


__all__ = ["CUE_PREFIX", "FileClock", "cue_label", "parse_cue"]
