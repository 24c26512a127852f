"""``read_recording`` and ``read_streams``: any supported file -> MNE Raw(s) with events.

Every reader's failure leaves here as a one-line ``RecordingError`` naming the file, the
problem and what to do; no struct.error, IndexError or UnicodeDecodeError from deep inside
a parser reaches the caller.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mne

from bci.errors import RecordingError
from bci.io.formats import EXTENSIONS, detect_format
from bci.io.mne_formats import read_with_mne, stream_type
from bci.io.muse_csv import read_muse_csv
from bci.io.myo_text import read_myo_text
from bci.io.recorded_stream import RecordedStream, select_stream
from bci.io.units import warn_if_implausible_eeg_scale
from bci.io.xdf import read_xdf_streams

_MAX_DETAIL = 160


def stream_name(path: Path) -> str:
    """The file name without its recording extension (``S001R04.edf`` -> ``S001R04``)."""
    lowered = path.name.lower()
    for ending in EXTENSIONS:
        if lowered.endswith(ending):
            return path.name[: -len(ending)]
    return path.stem


def one_line(text: str, limit: int = _MAX_DETAIL) -> str:
    """Collapse whitespace (newlines included) and cut to ``limit`` characters."""
    printable = "".join(ch if ch.isprintable() else " " for ch in str(text))
    flat = " ".join(printable.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@contextmanager
def translated_errors(path: Path, fmt: str) -> Iterator[None]:
    """Turn any failure of a reader into a one-line RecordingError about ``path``."""
    try:
        yield
    except RecordingError as exc:
        # Already phrased for the user; only make sure it stays on one line.
        if one_line(str(exc), 400) == str(exc):
            raise
        raise RecordingError(one_line(str(exc), 400)) from exc.__cause__
    except FileNotFoundError as exc:
        missing = Path(exc.filename).name if exc.filename else "a file it needs"
        raise RecordingError(
            f"{path.name}: {fmt} needs {missing}, which does not exist: copy the "
            "recording's companion files next to it"
        ) from exc
    except PermissionError as exc:
        raise RecordingError(
            f"{path.name}: permission denied: check the file's permissions"
        ) from exc
    except MemoryError as exc:
        raise RecordingError(
            f"{path.name}: not enough memory to read this {fmt} file (or its header is "
            "corrupt and claims far more data than it holds): check the file"
        ) from exc
    except ImportError as exc:
        package = exc.name or "an optional package"
        raise RecordingError(
            f"{path.name}: reading this {fmt} file needs {package}, which is not "
            f"installed: install it (pip install {package}) or re-export the file"
        ) from exc
    except Exception as exc:
        detail = one_line(f"{type(exc).__name__}: {exc}")
        raise RecordingError(
            f"{path.name}: cannot read this {fmt} file ({detail}): it is corrupt, truncated "
            "or mislabelled; re-export or re-copy it"
        ) from exc


def read_streams(path: str | os.PathLike[str]) -> list[RecordedStream]:
    """Read every signal stream of a recording, each at its own sampling rate.

    Parameters
    ----------
    path : path-like
        A FIF, EDF, BDF, GDF, BrainVision (``.vhdr``), EEGLAB (``.set``), XDF, Muse CSV
        or UCI MYO text recording; ``.fif.gz``, ``.csv.gz``, ``.txt.gz`` and ``.xdfz``
        are read compressed.

    Returns
    -------
    list of RecordedStream
        One element for every format but XDF; for XDF, every non-empty regular-rate
        signal stream: first the one ``read_recording`` returns by default, then the
        others in the file's order. Each Raw is preloaded, in volts, with the recording's
        events as annotations.

    Raises
    ------
    bci.errors.RecordingError
        Missing, empty, unknown, mislabelled, truncated or corrupt file, with a one-line
        message that names the file.

    Notes
    -----
    Format decisions (detailed in each reader module and in ``docs/recordings.md``):

    - FIF: events of a sibling ``X-eve.fif`` become annotations (description = code).
    - Stim channels (BioSemi ``Status`` masked to its 16 trigger bits, ``STI 014``)
      become annotations when the file has none of its own.
    - EDF/BDF whose header declares more records than the file holds are refused
      (``bci.io.edf_size``), unless only the last record is short: its complete
      records are read, and ``recovered`` says so. XDF cut inside a chunk: the
      complete chunks are read, and ``recovered`` says where the cut was.
    - Muse CSV: 256 Hz, ``Right AUX`` typed eeg (``bci.io.muse_csv``).
    - UCI MYO: distinct samples on a regular 200 Hz grid (``bci.io.myo_text``).
    - XDF: see ``bci.io.xdf``.

    EEG whose amplitude cannot be volts (a file storing µV or mV under a volt unit) is
    returned as stored, with a logged warning.
    """
    path = Path(path)
    fmt = detect_format(path)
    name = stream_name(path)
    with translated_errors(path, fmt):
        if fmt == "XDF":
            streams = read_xdf_streams(path)
        elif fmt == "Muse CSV":
            raw, first_time = read_muse_csv(path)
            streams = [RecordedStream(name, "EEG", raw, first_time)]
        elif fmt == "UCI MYO text":
            raw, first_time = read_myo_text(path)
            streams = [RecordedStream(name, "EMG", raw, first_time)]
        else:
            raw, recovered = read_with_mne(path, fmt)
            streams = [RecordedStream(name, stream_type(raw), raw, 0.0, recovered)]
    for stream in streams:
        warn_if_implausible_eeg_scale(stream.raw, path.name)
    # The stream read_recording would return leads, so streams[0] is "the" recording.
    main = select_stream(streams, None, path.name)
    return [main] + [s for s in streams if s is not main]


def read_recording(path: str | os.PathLike[str], *, stream: str | None = None) -> mne.io.BaseRaw:
    """Read one recording as an MNE Raw, preloaded, with its events as annotations.

    Parameters
    ----------
    path : path-like
        Any format ``read_streams`` reads.
    stream : str | None
        For files with several streams (XDF): the name of the stream to return, or its
        type when no stream has that name (muse-lsl names every stream "Muse"; pass
        ``"EEG"``, ``"ACC"``...). None: the EEG stream with the most channels × samples,
        else the largest stream. Ignored for single-stream formats.

    Returns
    -------
    mne.io.BaseRaw
        Signals in volts (MNE's convention) with channel types set (eeg, emg, misc...);
        annotation descriptions are the event labels as strings (``"T1"``, ``"2"``,
        ``"fist"``), onsets relative to the first sample. The file's timestamp of the
        first sample (LSL time for XDF) is ``read_streams(path)[i].first_time``.

    Raises
    ------
    bci.errors.RecordingError
        As ``read_streams``, or when no stream matches ``stream``.
    """
    path = Path(path)
    return select_stream(read_streams(path), stream, path.name).raw
