"""One signal stream of a recording, and how ``read_recording`` chooses one of several."""

from __future__ import annotations

from dataclasses import dataclass

import mne

from bci.errors import RecordingError


@dataclass(frozen=True)
class RecordedStream:
    """One signal stream of a recording, with its own sampling rate.

    Parameters
    ----------
    name : str
        The stream's name: the XDF stream name, or the file's stem for single-stream
        formats.
    stype : str
        The stream's content type as LSL names it (``"EEG"``, ``"EMG"``, ``"ACC"``, ...).
    raw : mne.io.BaseRaw
        The samples, preloaded, in volts for electrical channels, with the recording's
        events as annotations whose onsets are relative to this raw's first sample.
    first_time : float
        The file's own timestamp of the first sample, in seconds: the LSL time for XDF,
        the ``timestamps`` column for Muse CSV, the ``time`` column for UCI MYO text,
        0.0 for formats that carry none (FIF, EDF, BDF, GDF, BrainVision, EEGLAB). Kept
        here rather than in ``raw.info["meas_date"]``, which is a wall-clock date.
    recovered : str
        '' for an intact file; else one line saying what was read of a damaged one
        (an XDF cut inside a chunk, an EDF/BDF whose last record is short): where the
        cut was and how much was recovered.
    """

    name: str
    stype: str
    raw: mne.io.BaseRaw
    first_time: float
    recovered: str = ""


def _size(stream: RecordedStream) -> int:
    return len(stream.raw.ch_names) * stream.raw.n_times


def select_stream(
    streams: list[RecordedStream], stream: str | None, file_name: str
) -> RecordedStream:
    """Choose the stream ``read_recording`` returns.

    Parameters
    ----------
    streams : list of RecordedStream
        Every signal stream of the file (at least one).
    stream : str | None
        None: the EEG-typed stream with the most channels × samples, or the largest stream
        of any type when none is typed EEG. A string: the stream of that name; XDF files
        often give every stream the same name (muse-lsl names all four "Muse"), so when no
        name matches the string is tried as a type (``"EEG"``, ``"ACC"``), and when several
        streams match, the default rule picks among them. Files with one stream ignore it.
    file_name : str
        For error messages.

    Returns
    -------
    RecordedStream
    """
    if stream is None or len(streams) == 1:
        candidates = streams
    else:
        candidates = [s for s in streams if s.name == stream]
        if not candidates:
            candidates = [s for s in streams if s.stype.lower() == stream.lower()]
        if not candidates:
            known = ", ".join(f"'{s.name}' ({s.stype})" for s in streams)
            raise RecordingError(
                f"{file_name}: no stream named or typed '{stream}' (streams: {known}): "
                "pass one of these names or types"
            )
    eeg = [s for s in candidates if s.stype.upper() == "EEG"]
    return max(eeg or candidates, key=_size)
