"""Muse CSV as eeg-notebooks / muse-lsl ``record`` write it.

Columns ``timestamps, TP9, AF7, AF8, TP10, Right AUX, Marker`` (muse-lsl names the marker
column ``Marker0``, and writes none when no marker stream was recorded); EEG in
microvolts; a marker column is 0, or the event code at the sample where the marker arrived.

Decisions
---------
- Sampling rate: the device's nominal rate (256 Hz for Muse 2016/Muse S, 220 Hz for the
  2014 Muse) when the timestamps agree with it within 2 %; otherwise the rate the
  timestamps give. muse-lsl stamps each 12-sample packet, so single steps jitter and even
  go backwards: the nominal rate is truer than any one step.
- Sample ``i`` is at ``i / sfreq`` seconds; a marker in row ``i`` becomes an annotation at
  exactly that sample, duration 0, described by its code (``"1"``, ``"2"``).
- ``Right AUX`` is typed **eeg**: it is an extra EEG electrode (at POz in the
  eeg-notebooks SSVEP set, the only occipital one), so ``picks="eeg"`` must include it.
  Exclude it by name where it was left unconnected.
- Values are the file's numbers × 1e-6 (volts), float64.
- The first timestamp is returned as the stream's ``first_time``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import mne
import numpy as np

from bci.errors import RecordingError
from bci.io.text_table import read_table

logger = logging.getLogger(__name__)

FORMAT = "Muse CSV"
_NOMINAL_RATES = (256.0, 220.0)
_RATE_TOLERANCE = 0.02
_MICROVOLT = 1e-6


def _rate(timestamps: np.ndarray, file_name: str) -> float:
    span = float(timestamps[-1] - timestamps[0])
    if len(timestamps) < 2 or not np.isfinite(span) or span <= 0:
        raise RecordingError(
            f"{file_name}: the timestamps column does not advance, so the sampling rate "
            "is unknown: check that the file is a Muse recording"
        )
    measured = (len(timestamps) - 1) / span
    for nominal in _NOMINAL_RATES:
        if abs(measured / nominal - 1) <= _RATE_TOLERANCE:
            return nominal
    logger.warning(
        "%s: timestamps give %.3f Hz, no known Muse rate: using that rate", file_name, measured
    )
    return round(measured, 3)


def marker_label(code: float) -> str:
    """An event code as its label: ``2.0 -> "2"``, ``2.5 -> "2.5"``."""
    return str(int(code)) if float(code).is_integer() else repr(float(code))


def _layout(header: str, file_name: str) -> tuple[list[str], int, list[int], list[int]]:
    """Column names and the indices of the time, marker and channel columns."""
    columns = [c.strip() for c in header.split(",")]
    lowered = [c.lower() for c in columns]
    if "timestamps" not in lowered:
        raise RecordingError(
            f"{file_name}: not a Muse CSV (no 'timestamps' column in the header "
            f"{header[:80]!r}): expected timestamps, TP9, AF7, AF8, TP10, Right AUX, Marker"
        )
    if len(set(columns)) != len(columns):
        raise RecordingError(
            f"{file_name}: Muse CSV header repeats a column name: {header[:120]!r}"
        )
    time_col = lowered.index("timestamps")
    marker_cols = [i for i, c in enumerate(lowered) if c.startswith("marker")]
    channel_cols = [i for i in range(len(columns)) if i != time_col and i not in marker_cols]
    if not channel_cols:
        raise RecordingError(f"{file_name}: Muse CSV without channel columns: nothing to read")
    return columns, time_col, marker_cols, channel_cols


def read_muse_csv(path: Path) -> tuple[mne.io.BaseRaw, float]:
    """Read a Muse CSV recording.

    Parameters
    ----------
    path : Path
        ``*.csv`` or ``*.csv.gz``.

    Returns
    -------
    raw : mne.io.RawArray
        All non-marker columns as eeg channels in volts, markers as annotations.
    first_time : float
        The ``timestamps`` value of the first row, in seconds.

    Raises
    ------
    bci.errors.RecordingError
        No ``timestamps`` column, no channel column, ragged or non-numeric rows, no rows.
    """
    header, table = read_table(
        path, delimiter=",", fmt=FORMAT, check_header=lambda h: _layout(h, path.name)
    )
    columns, time_col, marker_cols, channel_cols = _layout(header, path.name)
    if table.size == 0:
        raise RecordingError(f"{path.name}: Muse CSV holds no samples (header only)")
    if table.shape[1] != len(columns):
        raise RecordingError(
            f"{path.name}: Muse CSV rows have {table.shape[1]} values but the header names "
            f"{len(columns)} columns: re-export the file"
        )
    if not np.all(np.isfinite(table[:, channel_cols + marker_cols])):
        raise RecordingError(f"{path.name}: Muse CSV holds NaN or infinite values: re-export it")
    sfreq = _rate(table[:, time_col], path.name)
    info = mne.create_info([columns[i] for i in channel_cols], sfreq, "eeg")
    raw = mne.io.RawArray(table[:, channel_cols].T * _MICROVOLT, info, verbose="error")
    onsets, labels = [], []
    for col in marker_cols:
        rows = np.flatnonzero(table[:, col])
        onsets.extend(rows / sfreq)
        labels.extend(marker_label(code) for code in table[rows, col])
    if onsets:
        order = np.argsort(onsets, kind="stable")
        raw.set_annotations(
            mne.Annotations(
                np.asarray(onsets)[order], 0.0, np.asarray(labels, dtype=object)[order]
            )
        )
    return raw, float(table[0, time_col])
