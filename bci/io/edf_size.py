"""Refuse truncated EDF/BDF files before MNE reads them.

MNE reads a truncated EDF by inferring the record count from the file size and warning;
the intact records it returns are correct, but a file cut short by an interrupted copy
loses trials without a word (only a last record cut short, the mark of a recorder that
crashed or a copy interrupted at the very end, is read, and said so), and a header
corrupted into huge numbers makes MNE allocate for data that is not there. Both are
better reported than read: the header (fixed ASCII fields, EDF spec section 2) says how
many bytes the file must hold.
"""

from __future__ import annotations

from pathlib import Path

from bci.errors import RecordingError

_FIXED_HEADER = 256
_PER_SIGNAL_HEADER = 256
# Offset, within the per-signal header block, of "nr of samples in each data record":
# label 16, transducer 80, physical dimension 8, physical min/max 8+8, digital min/max
# 8+8, prefiltering 80 bytes, each times the number of signals.
_SAMPLES_FIELD = 16 + 80 + 8 + 8 + 8 + 8 + 8 + 80
_MAX_SIGNALS = 100_000


def _int_field(raw: bytes, name: str, fmt: str, file_name: str) -> int:
    try:
        return int(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise RecordingError(
            f"{file_name}: corrupt {fmt} header (field '{name}' is {raw!r}, not a number): "
            "re-export or re-copy the file"
        ) from None


def check_edf_size(path: Path, fmt: str) -> str:
    """Raise RecordingError unless the EDF/BDF file holds the records its header declares.

    A file whose *last* record is short (a recorder or copy cut inside it) is accepted:
    MNE reads the complete records, and the returned line says what was dropped.

    Parameters
    ----------
    path : Path
        The file.
    fmt : {"EDF", "BDF"}
        BDF stores 3 bytes per sample, EDF 2.

    Notes
    -----
    A record count of -1 (allowed while a recording is still running) is accepted when at
    least one whole record is present; MNE then infers the count from the file size.
    Extra bytes after the last record are ignored, as readers do.

    Returns
    -------
    str
        '' for a complete file; else one line saying where it was cut and how much of it
        is read.
    """
    name = path.name
    size = path.stat().st_size
    with open(path, "rb") as f:
        fixed = f.read(_FIXED_HEADER)
        if len(fixed) < _FIXED_HEADER:
            raise RecordingError(
                f"{name}: truncated {fmt} (the file ends inside its {_FIXED_HEADER}-byte "
                "header): re-export or re-copy the file"
            )
        header_bytes = _int_field(fixed[184:192], "header bytes", fmt, name)
        n_records = _int_field(fixed[236:244], "number of data records", fmt, name)
        n_signals = _int_field(fixed[252:256], "number of signals", fmt, name)
        if not 0 < n_signals <= _MAX_SIGNALS:
            raise RecordingError(
                f"{name}: corrupt {fmt} header ({n_signals} signals): "
                "re-export or re-copy the file"
            )
        if header_bytes != _FIXED_HEADER + _PER_SIGNAL_HEADER * n_signals:
            raise RecordingError(
                f"{name}: corrupt {fmt} header (says {header_bytes} header bytes, but "
                f"{n_signals} signals need {_FIXED_HEADER + _PER_SIGNAL_HEADER * n_signals}): "
                "re-export or re-copy the file"
            )
        f.seek(_FIXED_HEADER + _SAMPLES_FIELD * n_signals)
        field = f.read(8 * n_signals)
    if len(field) < 8 * n_signals:
        raise RecordingError(
            f"{name}: truncated {fmt} (the file ends inside its header): "
            "re-export or re-copy the file"
        )
    samples = [
        _int_field(field[8 * i : 8 * i + 8], "samples per record", fmt, name)
        for i in range(n_signals)
    ]
    if min(samples) < 0 or sum(samples) == 0:
        raise RecordingError(
            f"{name}: corrupt {fmt} header (samples per record {samples[:8]}...): "
            "re-export or re-copy the file"
        )
    record_bytes = sum(samples) * (3 if fmt == "BDF" else 2)
    held = (size - header_bytes) // record_bytes if size > header_bytes else 0
    if n_records == -1:
        if held < 1:
            raise RecordingError(
                f"{name}: {fmt} holds no complete data record: the recording is empty "
                "or was cut short; re-export or re-copy the file"
            )
        return ""
    if n_records == 0:
        raise RecordingError(f"{name}: {fmt} holds no data records (header says 0)")
    if n_records < 0:
        raise RecordingError(
            f"{name}: corrupt {fmt} header ({n_records} data records): "
            "re-export or re-copy the file"
        )
    partial = (size - header_bytes) - held * record_bytes
    if held == n_records - 1 and held >= 1 and partial > 0:
        # The usual damage of a crash or an interrupted copy: the last record is cut.
        return (f"last data record cut short ({partial} of its {record_bytes} bytes, at "
                f"byte {size}): read the {held} complete records of {n_records}")
    if held < n_records:
        raise RecordingError(
            f"{name}: truncated {fmt} (header says {n_records} records, file holds {held}): "
            "re-export or re-copy the file (mne.io.read_raw_edf reads the intact records "
            "if that is what you want)"
        )
    return ""
