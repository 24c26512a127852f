"""Check a FIF file's tag chain before MNE reads it.

MNE (1.13) walks the tags of a FIF file without a tag directory, which is every file MNE
itself writes, by following each tag's "next" field; a corrupted field that points back
to an earlier tag makes that walk loop forever. Walking the same chain here first, with a
set of visited positions, turns that hang into an error. FIF tag header: kind, type,
size, next (big-endian int32 each); next 0 means "the tag after this one", -1 "last
tag", a positive value an absolute position.

One tag type is also looked into: a digitizer string (``FIFFT_DIG_STRING_STRUCT``: kind,
ident, a point count ``n``, then ``n`` points of three floats), because MNE reads its
``n`` points one by one without comparing ``n`` with the tag's size, and reading past the
end of a file does not fail in Python: a damaged type code or count gave a loop of 800
million empty reads (``bench/bench_fuzz.py``, one hang in 10,000 mutated FIF files).
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

from bci.errors import RecordingError

_TAG_HEADER = struct.Struct(">iIii")
_NEXT_SEQUENTIAL = 0
_DIG_STRING_STRUCT = 36
_DIG_STRING_HEAD = struct.Struct(">iii")  # kind, ident, number of points
_POINT_BYTES = 12


def _check_dig_string(path: Path, head: bytes, pos: int, size: int) -> None:
    """Raise RecordingError when a digitizer string claims more points than its tag holds."""
    if len(head) < _DIG_STRING_HEAD.size <= size:
        return  # the file ends inside the tag: MNE reports the truncation
    n_points = (_DIG_STRING_HEAD.unpack(head)[2] if len(head) == _DIG_STRING_HEAD.size
                else -1)
    if n_points < 0 or _DIG_STRING_HEAD.size + _POINT_BYTES * n_points > size:
        raise RecordingError(
            f"{path.name}: corrupt FIF (the digitizer tag at byte {pos} claims "
            f"{n_points} points in {size} bytes): re-copy or re-export the file"
        )


def check_fif_chain(path: Path) -> None:
    """Raise RecordingError when following the FIF tag chain would loop or go astray.

    A chain that runs off the end of the file is left to MNE, which reports truncation.
    """
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    seen: set[int] = set()
    pos = 0
    with opener(path, "rb") as f:
        while True:
            if pos in seen:
                raise RecordingError(
                    f"{path.name}: corrupt FIF (its tag chain loops back to byte {pos}): "
                    "re-copy or re-export the file"
                )
            seen.add(pos)
            f.seek(pos)
            header = f.read(_TAG_HEADER.size)
            if len(header) < _TAG_HEADER.size:
                return
            _kind, tag_type, size, nxt = _TAG_HEADER.unpack(header)
            if size < 0:
                raise RecordingError(
                    f"{path.name}: corrupt FIF (tag at byte {pos} has size {size}): "
                    "re-copy or re-export the file"
                )
            if tag_type == _DIG_STRING_STRUCT:
                _check_dig_string(path, f.read(min(size, _DIG_STRING_HEAD.size)), pos, size)
            if nxt < _NEXT_SEQUENTIAL:  # -1, or a corrupted negative MNE also stops at
                return
            pos = pos + _TAG_HEADER.size + size if nxt == _NEXT_SEQUENTIAL else nxt
