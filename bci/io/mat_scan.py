"""Check the element structure of a MATLAB v5 file (EEGLAB ``.set``) before scipy reads it.

``scipy.io.loadmat``'s v5 reader is not hardened against damaged files (its docstring
says so since scipy PR #25166): an element whose data type code is not one of the
format's, or whose size runs past its container, can make it read through a NULL or
wild pointer and kill the process with a segmentation fault, which no ``try`` catches
(``bench/bench_fuzz.py`` found three in 300 mutated EEGLAB files). Walking the element
tags first (MAT-File Format, MathWorks, "Data Element Format"; each element an 8-byte
tag ``[type][bytes]`` or a 4-byte "small element" tag, padded to 8 bytes; ``miMATRIX``
elements nest, ``miCOMPRESSED`` ones hold zlib data) turns those into one-line errors.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from bci.errors import RecordingError

_HEADER = 128
_MATRIX, _COMPRESSED = 14, 15
# miINT8..miUINT32, miSINGLE, miDOUBLE, miINT64, miUINT64, miMATRIX, miCOMPRESSED, miUTF*.
_VALID_TYPES = frozenset({1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 14, 15, 16, 17, 18})
_MAX_DEPTH = 64
#: Most bytes a compressed element may inflate to (a zlib bomb is refused, not read).
_MAX_INFLATED = 1 << 31


class _Corrupt(Exception):
    pass


def _walk(data: bytes | memoryview, depth: int, little: bool) -> None:
    if depth > _MAX_DEPTH:
        raise _Corrupt("elements nested too deeply")
    order = "<" if little else ">"
    pos, end = 0, len(data)
    while pos < end:
        if end - pos < 4:
            raise _Corrupt(f"{end - pos} stray bytes at the end of an element")
        (first,) = struct.unpack_from(order + "I", data, pos)
        if first >> 16:  # a small data element: type and size in one word, data in 4
            mdtype, size = first & 0xFFFF, first >> 16
            if mdtype not in _VALID_TYPES or mdtype in (_MATRIX, _COMPRESSED) or size > 4:
                raise _Corrupt(f"invalid small element (type {mdtype}, {size} bytes)")
            pos += 8
            continue
        if end - pos < 8:
            raise _Corrupt("an element tag is cut short")
        mdtype, size = struct.unpack_from(order + "II", data, pos)
        if mdtype not in _VALID_TYPES:
            raise _Corrupt(f"unknown data type {mdtype}")
        body = pos + 8
        if size > end - body:
            raise _Corrupt(f"an element of {size} bytes where {end - body} remain")
        if mdtype == _MATRIX:
            _walk(memoryview(data)[body:body + size], depth + 1, little)
        elif mdtype == _COMPRESSED:
            inflater = zlib.decompressobj()
            try:
                inflated = inflater.decompress(bytes(data[body:body + size]), _MAX_INFLATED)
            except zlib.error as err:
                raise _Corrupt(f"compressed element unreadable ({err})") from None
            if inflater.unconsumed_tail:
                raise _Corrupt("a compressed element inflates beyond 2 GiB")
            _walk(inflated, depth + 1, little)
        # Compressed elements are not padded; every other one is, to 8 bytes.
        pos = body + size if mdtype == _COMPRESSED else body + (size + 7) // 8 * 8
        pos = min(pos, end) if depth else pos


def check_mat_structure(path: Path) -> None:
    """Raise RecordingError when a MATLAB v5 file's element structure is damaged.

    Files in other MATLAB formats (v4, v7.3/HDF5) are left to their readers.
    """
    data = path.read_bytes()
    if len(data) < _HEADER or data[:10] == b"MATLAB 7.3":
        return
    endian = data[126:128]
    if data[124:126] not in (b"\x00\x01", b"\x01\x00") or endian not in (b"IM", b"MI"):
        return  # not a v5 header (a v4 file has none): scipy decides
    try:
        _walk(memoryview(data)[_HEADER:], 0, endian == b"IM")
    except _Corrupt as err:
        raise RecordingError(f"{path.name}: corrupt MATLAB file ({err}): re-export or "
                             "re-copy the file") from None
