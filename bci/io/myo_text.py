"""UCI "EMG data for gestures" text files (Lobov et al. 2018; MYO Thalmic armband).

Tab-separated, header ``time channel1 ... channel8 class``; time in ms, EMG in volts,
class 0 unmarked, 1 rest, 2 fist, 3 wrist flexion, 4 wrist extension, 5 radial
deviation, 6 ulnar deviation, 7 extended palm.

Sampling rate: 200 Hz, the MYO's EMG rate, on a regular grid
---------------------------------------------------------------
The logger wrote a row about every millisecond, holding the last value it had received,
so the ``time`` column is irregular (steps of 1-13 ms) and most rows repeat. Measured on
the four files in ``shared/recordings/uci-emg-gestures``: the eight channels change
together 92-107 times per second (the same during rest and every gesture), and those
changes arrive in bursts (two within 1-2 ms, then a 12-23 ms gap), the signature of
Bluetooth packets carrying several samples each. So the file holds about half of the
MYO's 200 samples per second, stamped with arrival times, not sampling times. Neither
keeping 1 kHz (five copies of each value, a staircase spectrum) nor holding the value at
each tick of a 200 Hz grid (which drops about 30 % of the distinct samples: the earlier
of two that arrive within 5 ms) is faithful. This reader:

1. keeps each distinct sample once (a row that differs from the previous row);
2. puts it on a 200 Hz grid at the tick nearest its arrival time, or the next free tick
   when that one is taken, so order is kept and nothing is dropped (arrivals at ~100/s
   into 200 ticks/s keep the delay short: median 0, 99th percentile 10-18 ms, at most
   45 ms in the four files, against arrival jitter of 10-20 ms);
3. holds the previous value on ticks no sample reached, as the MYO logger itself did.

Every value of the result is a value of the file; the time axis is the file's own clock
(grid tick ``k`` is ``time[0] + 5 k`` ms), so a model trained on one file applies to
another at the same rate, and replay at 200 Hz is real time.

Rows must advance in time, by at most 250 ms at a step: a longer jump is lost data or a
corrupt time value, and the file is refused rather than stretched over the gap.

Labels: each maximal run of rows with the same nonzero class becomes one annotation from
the time of its first row to the time of the row after its last (the recording's end
for the last run), named ``rest``, ``fist``, ``wrist_flexion``, ``wrist_extension``,
``radial_deviation``, ``ulnar_deviation``, ``extended_palm`` (``class_<k>`` for a code
outside 1-7). Class 0 gets no annotation.
"""

from __future__ import annotations

import re
from pathlib import Path

import mne
import numpy as np

from bci.errors import RecordingError
from bci.io.text_table import read_table

FORMAT = "UCI MYO text"
SFREQ = 200.0
GESTURES = {
    1: "rest",
    2: "fist",
    3: "wrist_flexion",
    4: "wrist_extension",
    5: "radial_deviation",
    6: "ulnar_deviation",
    7: "extended_palm",
}
_CHANNEL = re.compile(r"channel\d+", re.IGNORECASE)
_EXPECTED_HEADER = "'time channel1 ... channel8 class'"
_MAX_STEP_MS = 250.0


def gesture_name(code: int) -> str:
    """The annotation label of a class code."""
    return GESTURES.get(code, f"class_{code}")


def grid_slots(arrival_ms: np.ndarray, sfreq: float) -> np.ndarray:
    """Regular-grid tick of each sample: nearest to its arrival, never shared, in order.

    Vectorised form of ``slot[i] = max(round(arrival[i]), slot[i-1] + 1)``: subtracting
    the index turns "at least one more than the previous" into a running maximum.
    """
    wanted = np.round(arrival_ms * sfreq / 1000.0).astype(np.int64)
    index = np.arange(len(wanted), dtype=np.int64)
    return index + np.maximum.accumulate(wanted - index)


def labelled_segments(
    times_s: np.ndarray, classes: np.ndarray, end_s: float
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Onsets, durations and names of the maximal runs of one nonzero class."""
    starts = np.flatnonzero(np.r_[True, classes[1:] != classes[:-1]])
    ends = np.r_[starts[1:], len(classes)]  # row after the run's last row
    end_times = np.r_[times_s, end_s][ends]
    keep = classes[starts] != 0
    onsets = times_s[starts][keep]
    durations = end_times[keep] - onsets
    names = [gesture_name(int(code)) for code in classes[starts][keep]]
    return onsets, durations, names


def _check_header(header: str, file_name: str) -> None:
    columns = header.split()
    if (
        len(columns) < 3
        or columns[0].lower() != "time"
        or columns[-1].lower() != "class"
        or not all(_CHANNEL.fullmatch(c) for c in columns[1:-1])
    ):
        raise RecordingError(
            f"{file_name}: not a UCI MYO text file (header {header[:60]!r}, expected "
            f"{_EXPECTED_HEADER}): check the file and its extension"
        )


def read_myo_text(path: Path) -> tuple[mne.io.BaseRaw, float]:
    """Read a UCI MYO gesture text file onto a regular 200 Hz grid (see module notes).

    Parameters
    ----------
    path : Path
        ``*.txt`` or ``*.txt.gz``.

    Returns
    -------
    raw : mne.io.RawArray
        The channels as emg in volts at 200 Hz, gestures as annotations.
    first_time : float
        The ``time`` of the first row, in seconds.

    Raises
    ------
    bci.errors.RecordingError
        Header not ``time channel1..channelN class``, ragged or non-numeric rows, time
        going backwards, non-integer classes, no rows.
    """
    header, table = read_table(
        path, delimiter=None, fmt=FORMAT, check_header=lambda h: _check_header(h, path.name)
    )
    columns = header.split()
    if table.size == 0:
        raise RecordingError(f"{path.name}: UCI MYO file holds no samples (header only)")
    if table.shape[1] != len(columns):
        raise RecordingError(
            f"{path.name}: UCI MYO rows have {table.shape[1]} values but the header names "
            f"{len(columns)} columns: re-export the file"
        )
    if not np.all(np.isfinite(table)):
        raise RecordingError(f"{path.name}: UCI MYO file holds NaN or infinite values")
    time_ms, emg, classes = table[:, 0], table[:, 1:-1], table[:, -1]
    steps = np.diff(time_ms)
    backwards = np.flatnonzero(steps < 0)
    if len(backwards):
        line = int(backwards[0]) + 3  # 1-based line number, after the header
        raise RecordingError(
            f"{path.name}: the time column goes backwards at line {line}: "
            "the file is corrupt or two files were concatenated"
        )
    # The logger writes a row every ~1 ms (13 ms at most in the UCI files): a longer jump
    # is lost data or a corrupt time value, and would stretch the grid over nothing.
    jumps = np.flatnonzero(steps > _MAX_STEP_MS)
    if len(jumps):
        line = int(jumps[0]) + 3
        raise RecordingError(
            f"{path.name}: the time column jumps by {steps[jumps[0]]:.0f} ms at line {line}: "
            "the recording has a gap or a corrupt time value"
        )
    if not np.array_equal(classes, np.round(classes)):
        raise RecordingError(f"{path.name}: the class column holds non-integer values")
    classes = classes.astype(np.int64)

    changed = np.r_[True, np.any(emg[1:] != emg[:-1], axis=1)]
    distinct = emg[changed]
    slots = grid_slots(time_ms[changed] - time_ms[0], SFREQ)
    n_times = max(int(slots[-1]) + 1, int(np.round((time_ms[-1] - time_ms[0]) * SFREQ / 1000)) + 1)
    # Which distinct sample each tick holds: its own, else the latest before it.
    holder = np.full(n_times, -1, dtype=np.int64)
    holder[slots] = np.arange(len(slots))
    holder = np.maximum.accumulate(holder)
    data = distinct[holder].T

    info = mne.create_info(columns[1:-1], SFREQ, "emg")
    raw = mne.io.RawArray(data, info, verbose="error")
    duration = n_times / SFREQ
    times_s = (time_ms - time_ms[0]) / 1000.0
    onsets, durations, names = labelled_segments(times_s, classes, duration)
    if names:
        durations = np.minimum(durations, duration - onsets)
        raw.set_annotations(mne.Annotations(onsets, durations, names))
    return raw, float(time_ms[0]) / 1000.0
