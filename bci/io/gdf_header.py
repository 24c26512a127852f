"""Check a GDF file's signal count against its header length before MNE reads it.

MNE parses a GDF's per-signal header fields (labels, units, filters, ...) once per
signal for as many signals as the fixed header's count says, reading past the end of
the file without failing. One changed byte of that count (GDF 1: uint32 at byte 252)
asks for millions of signals and MNE parses for 40 s or more (``bench/bench_fuzz.py``:
three hangs over its 20 s limit in 2,000 mutated files). The count is bounded by the
header's own length (GDF 1: int64 bytes at 184; GDF 2: uint16 256-byte blocks at 184):
each signal takes 256 bytes of it after the fixed 256, and the header lies within the
file.
"""

from __future__ import annotations

import struct
from pathlib import Path

from bci.errors import RecordingError

_FIXED_HEADER = 256
_PER_SIGNAL = 256
_GDF2 = 1.9  # the version from which MNE (and the spec) read the GDF 2 layout


def check_gdf_header(path: Path) -> None:
    """Raise RecordingError when a GDF header declares more signals than it can hold.

    Files without a GDF header (or with an unreadable version) are left to MNE.
    """
    with open(path, "rb") as f:
        head = f.read(_FIXED_HEADER)
        f.seek(0, 2)
        file_bytes = f.tell()
    if len(head) < _FIXED_HEADER or head[:3] != b"GDF":
        return
    try:
        version = float(head[4:8].decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return
    if version < _GDF2:
        (header_bytes,) = struct.unpack_from("<q", head, 184)
        (n_signals,) = struct.unpack_from("<I", head, 252)
    else:
        header_bytes = struct.unpack_from("<H", head, 184)[0] * _PER_SIGNAL
        (n_signals,) = struct.unpack_from("<H", head, 252)
    needed = _FIXED_HEADER + _PER_SIGNAL * n_signals
    if needed > header_bytes or header_bytes > file_bytes:
        raise RecordingError(
            f"{path.name}: corrupt GDF header ({n_signals} signals need {needed} header "
            f"bytes; the header declares {header_bytes} and the file holds {file_bytes}): "
            "re-export or re-copy the file"
        )
