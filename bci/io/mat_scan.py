"""Check the element structure of a MATLAB v5 file (EEGLAB ``.set``) before scipy reads it.

``scipy.io.loadmat``'s v5 reader is not hardened against damaged files (its docstring
says so since scipy PR #25166): an element whose data type code is not one of the
format's, or whose size runs past its container, can make it read through a NULL or
wild pointer and kill the process with a segmentation fault, which no ``try`` catches
(``bench/bench_fuzz.py`` found three in 300 mutated EEGLAB files). Walking the element
tags first (MAT-File Format, MathWorks, "Data Element Format"; each element an 8-byte
tag ``[type][bytes]`` or a 4-byte "small element" tag, padded to 8 bytes; ``miMATRIX``
elements nest, ``miCOMPRESSED`` ones hold zlib data) turns those into one-line errors.

Tags that are well formed can still describe an array that is not there, and scipy reads
past its element then (``bench_fuzz.py`` at 10,000 files: five segfaults and two hangs,
from one flipped byte each): the complex flag set on a real array (scipy reads an
imaginary part that does not exist), an array name whose size swallows the data, or a
dimension that asks for tens of thousands of struct elements. So each ``miMATRIX`` is
also checked against its own header ("miMATRIX Format" of the same document): array
flags, dimensions and name first, then as many sub-elements as its class and dimensions
need (numeric: the real part holding prod(dims) values, and the imaginary part exactly
when the complex flag is set; cell: prod(dims) arrays; struct and object: prod(dims) x
fields arrays). Classes that do not follow that layout (function handles, opaque
objects) are only walked.
"""

from __future__ import annotations

import math
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
_INT8, _INT32, _UINT32 = 1, 5, 6
#: Bytes per value of each numeric data type.
_ITEM_SIZE = {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2,
              18: 4}
# mxCLASS codes in the array flags.
_CELL, _STRUCT, _OBJECT, _CHAR, _SPARSE = 1, 2, 3, 4, 5
_NUMERIC = frozenset(range(6, 16))  # double, single, int8 .. uint64
_COMPLEX_FLAG = 0x08
#: Data types an array name may have: miINT8 by the format; miUINT8, miUTF8 from others.
_NAME_TYPES = frozenset({1, 2, 16})


class _Corrupt(Exception):
    pass


def _check_matrix(data: memoryview, elements: list[tuple[int, int, int]],
                  little: bool) -> None:
    """Check one ``miMATRIX`` body: ``elements`` are its (type, data offset, size)."""
    order = "<" if little else ">"
    if len(elements) < 3:
        raise _Corrupt("an array without its flags, dimensions and name")
    (flags_type, flags_at, flags_size), (dims_type, dims_at, dims_size), name = \
        elements[:3]
    if flags_type != _UINT32 or flags_size != 8:
        raise _Corrupt("an array whose flags are not two 32-bit words")
    (flags,) = struct.unpack_from(order + "I", data, flags_at)
    mx_class, is_complex = flags & 0xFF, bool(flags & (_COMPLEX_FLAG << 8))
    if mx_class not in _NUMERIC and mx_class not in (_CELL, _STRUCT, _OBJECT, _CHAR,
                                                      _SPARSE):
        return  # function handles, opaque (MCOS) objects: another layout, scipy's call
    # Some writers use miUINT32 for the dimensions (scipy reads both).
    if dims_type not in (_INT32, _UINT32) or dims_size < 8 or dims_size % 4:
        raise _Corrupt("an array whose dimensions are not 32-bit integers")
    code = "i" if dims_type == _INT32 else "I"
    dims = struct.unpack_from(f"{order}{dims_size // 4}{code}", data, dims_at)
    if min(dims) < 0:
        raise _Corrupt(f"an array of negative dimensions {dims}")
    n_values = math.prod(dims)
    if name[0] not in _NAME_TYPES:
        raise _Corrupt("an array whose name is not text")
    rest = elements[3:]
    if mx_class in _NUMERIC:
        if len(rest) != 1 + is_complex:
            raise _Corrupt(f"a {'complex' if is_complex else 'real'} array with "
                           f"{len(rest)} data elements")
        for mdtype, _, size in rest:
            if mdtype not in _ITEM_SIZE or size != n_values * _ITEM_SIZE[mdtype]:
                raise _Corrupt(f"an array of {n_values} values holding {size} bytes "
                               f"of type {mdtype}")
        return
    if mx_class == _CHAR:
        if len(rest) != 1:
            raise _Corrupt(f"a text array with {len(rest)} data elements")
        return
    if mx_class == _SPARSE:
        if len(rest) != 3 + is_complex:
            raise _Corrupt(f"a sparse array with {len(rest)} data elements")
        return
    if mx_class == _CELL:
        expected = n_values
    else:
        if mx_class == _OBJECT:  # the class name comes first
            if not rest or rest[0][0] != _INT8:
                raise _Corrupt("an object without its class name")
            rest = rest[1:]
        if len(rest) < 2 or rest[0][0] != _INT32 or rest[0][2] != 4:
            raise _Corrupt("a struct without its field name length")
        (name_length,) = struct.unpack_from(order + "i", data, rest[0][1])
        n_names = rest[1][2] // name_length if name_length > 0 else -1
        if rest[1][0] != _INT8 or n_names < 0 or rest[1][2] % name_length:
            raise _Corrupt("a struct whose field names do not fit their length")
        rest = rest[2:]
        expected = n_values * n_names
    if len(rest) != expected or any(mdtype != _MATRIX for mdtype, _, _ in rest):
        raise _Corrupt(f"an array of dimensions {dims} holding {len(rest)} elements "
                       f"where {expected} arrays belong")


def _walk(data: bytes | memoryview, depth: int, little: bool,
          elements: list[tuple[int, int, int]] | None = None) -> None:
    """Walk the elements of ``data``; append (type, data offset, size) to ``elements``."""
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
            if elements is not None:
                elements.append((mdtype, pos + 4, size))
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
        if elements is not None:
            elements.append((mdtype, body, size))
        if mdtype == _MATRIX:
            inner = memoryview(data)[body:body + size]
            parts: list[tuple[int, int, int]] = []
            _walk(inner, depth + 1, little, parts)
            if size:  # an empty miMATRIX stands for an empty array
                _check_matrix(inner, parts, little)
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
