"""The unit of data that flows through bci: a block of samples with their times."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Chunk:
    """Consecutive samples of one stream.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_times)
        Sample values, float64, in SI units (volts for voltage channels), as in MNE.
    times : ndarray, shape (n_times,)
        LSL timestamp of each sample, float64, on ``pylsl.local_clock()``'s clock.
    first_index : int
        Index of the first sample since the stream was opened (or the recording began),
        so that stages can define windows in samples rather than in wall-clock time.
    """

    data: np.ndarray
    times: np.ndarray
    first_index: int = 0

    @property
    def n_times(self) -> int:
        """Number of samples in the chunk."""
        return self.times.shape[0]

    @property
    def stop_index(self) -> int:
        """Index one past the last sample of the chunk."""
        return self.first_index + self.times.shape[0]


@dataclass(frozen=True)
class Marker:
    """One event from a marker stream: a label at an LSL time.

    A replay (``bci replay``, or a recording on the virtual clock) also says where the
    marker sits in its file: ``number`` counts the file's markers from 1 (across loops),
    ``file_time`` is seconds from the file's first sample. Both are None for a marker
    from a headset or a presentation program, and neither takes part in equality.
    """

    label: str
    time: float
    number: int | None = field(default=None, compare=False)
    file_time: float | None = field(default=None, compare=False)
