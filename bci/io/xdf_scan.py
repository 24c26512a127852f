"""Check an XDF file's chunk structure before pyxdf parses it.

pyxdf trusts the counts inside a file: a samples chunk whose sample count was corrupted
into billions makes it build a Python list of billions of string samples (a hang), and a
stream header claiming a billion channels makes it allocate gigabytes. Walking the chunk
headers first (one seek per chunk, no per-sample work) bounds every count by the bytes
that are really there. The layout is the XDF 1.0 specification
(https://github.com/sccn/xdf/wiki/Specifications): ``"XDF:"``, then chunks of
[NumLengthBytes][Length][Tag][Content], Length counting Tag and Content.

A file that ends inside a chunk (anywhere: its length field, its tag, its content) is
the usual result of a recorder that stopped abruptly or a copy cut short; the scan says
where the last complete chunk ends (:class:`XdfScan`), and the reader hands pyxdf only
those bytes, so every complete chunk is read, nothing of the cut one (pyxdf itself raises
on a file cut inside a chunk header). Anything else that breaks the structure is refused:
pyxdf would skip ahead to the next boundary chunk and silently leave a gap in the data.
"""

from __future__ import annotations

import gzip
import logging
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.etree import ElementTree

from bci.errors import RecordingError

logger = logging.getLogger(__name__)

_TAGS_WITH_STREAM_ID = (2, 3, 4, 6)
_KNOWN_TAGS = (1, 2, 3, 4, 5, 6)
_VALUE_BYTES = {
    "float32": 4,
    "double64": 8,
    "int8": 1,
    "int16": 2,
    "int32": 4,
    "int64": 8,
    # A string value is at least a 1-byte length-of-length and a 1-byte length.
    "string": 2,
}
_MAX_HEADER_XML = 64 * 1024 * 1024


@dataclass(frozen=True)
class XdfScan:
    """What the chunk walk found.

    Attributes
    ----------
    complete_bytes : int
        Bytes up to the end of the last complete chunk (the whole file when uncut).
    total_bytes : int
        Bytes in the (decompressed) file.
    n_chunks : int
        Complete chunks.
    cut_at : int or None
        Offset of the chunk the file ends inside, None when it ends between chunks.
    unfinished : tuple of int
        Ids of streams with a header but no footer (the recorder did not stop cleanly).
    """

    complete_bytes: int
    total_bytes: int
    n_chunks: int
    cut_at: int | None
    unfinished: tuple[int, ...]

    def describe(self) -> str:
        """One line for a log and ``bci info``; '' for a complete, cleanly ended file."""
        if self.cut_at is not None:
            lost = self.total_bytes - self.complete_bytes
            return (f"cut inside the chunk at byte {self.cut_at} (the file ends at "
                    f"{self.total_bytes}): read the {self.n_chunks} complete chunks before "
                    f"it, dropped the {lost} bytes of the cut one")
        if self.unfinished:
            return (f"ends without the footer of stream(s) "
                    f"{', '.join(map(str, self.unfinished))} (the recorder stopped "
                    f"abruptly): read all {self.n_chunks} chunks")
        return ""


class _Truncated(Exception):
    """The file ends inside a chunk."""


def _read_exact(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    if len(data) < n:
        raise _Truncated
    return data


def _read_varlen(f: BinaryIO, where: str, file_name: str) -> int:
    size = _read_exact(f, 1)[0]
    if size not in (1, 4, 8):
        raise RecordingError(
            f"{file_name}: corrupt XDF (invalid length field at {where}): "
            "re-copy the file or re-record"
        )
    return int.from_bytes(_read_exact(f, size), "little")


def _stream_layout(xml: bytes, file_name: str) -> tuple[int, int]:
    """(channel count, minimum bytes per value) of a stream header."""
    try:
        info = ElementTree.fromstring(xml.decode("utf-8", "replace"))
        channels = int((info.findtext("channel_count") or "").strip())
        fmt = (info.findtext("channel_format") or "").strip()
    except (ElementTree.ParseError, ValueError):
        raise RecordingError(
            f"{file_name}: corrupt XDF stream header (unreadable XML): re-copy the file"
        ) from None
    if fmt not in _VALUE_BYTES or channels < 1:
        raise RecordingError(
            f"{file_name}: corrupt XDF stream header (channel_format {fmt!r}, "
            f"channel_count {channels}): re-copy the file"
        )
    return channels, _VALUE_BYTES[fmt]


def open_xdf(path: Path) -> BinaryIO:
    """Open an XDF file, decompressing ``.xdfz`` (gzip) as pyxdf does."""
    if path.name.lower().endswith(".xdfz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def check_xdf_structure(path: Path) -> XdfScan:
    """Walk the chunks of an XDF file; raise RecordingError when its structure is corrupt.

    Parameters
    ----------
    path : Path
        ``*.xdf`` or ``*.xdfz``.

    Returns
    -------
    XdfScan
        Where the complete chunks end, and whether (and where) the file was cut.
    """
    name = path.name
    layouts: dict[int, tuple[int, int]] = {}
    footers: set[int] = set()
    cut_at = None
    complete = 4
    with open_xdf(path) as f:
        if f.read(4) != b"XDF:":
            raise RecordingError(f"{name}: not an XDF file (no 'XDF:' signature)")
        n_chunks = 0
        while True:
            start = f.tell()
            if not f.read(1):
                break  # clean end of file
            f.seek(start)
            try:
                length = _read_varlen(f, f"byte {start}", name)
                if length < 2:
                    raise RecordingError(
                        f"{name}: corrupt XDF (chunk of {length} bytes at byte {start}): "
                        "re-copy the file"
                    )
                content_start = f.tell()
                (tag,) = struct.unpack("<H", _read_exact(f, 2))
                if tag not in _KNOWN_TAGS:
                    raise RecordingError(
                        f"{name}: corrupt XDF (unknown chunk tag {tag} at byte {start}): "
                        "re-copy the file"
                    )
                if tag in _TAGS_WITH_STREAM_ID:
                    if length < 6:
                        raise RecordingError(
                            f"{name}: corrupt XDF (chunk of {length} bytes at byte {start} "
                            "is too short for its stream id): re-copy the file"
                        )
                    (stream_id,) = struct.unpack("<I", _read_exact(f, 4))
                    if tag != 2 and stream_id not in layouts:
                        raise RecordingError(
                            f"{name}: corrupt XDF (chunk for undeclared stream {stream_id} "
                            f"at byte {start}): re-copy the file"
                        )
                if tag == 2:
                    if length - 6 > _MAX_HEADER_XML:
                        raise RecordingError(
                            f"{name}: corrupt XDF (stream header of {length} bytes): "
                            "re-copy the file"
                        )
                    layouts[stream_id] = _stream_layout(_read_exact(f, length - 6), name)
                elif tag == 3:
                    n_samples = _read_varlen(f, f"byte {f.tell()}", name)
                    channels, value_bytes = layouts[stream_id]
                    # Each sample: a timestamp flag byte plus its values.
                    if n_samples * (1 + channels * value_bytes) > length:
                        raise RecordingError(
                            f"{name}: corrupt XDF (a chunk claims {n_samples} samples in "
                            f"{length} bytes at byte {start}): re-copy the file"
                        )
                end = content_start + length
                if f.tell() < end:
                    # Seeking past the end raises nothing: read the chunk's last byte to
                    # know it is there (only forward: a gzip file rewinds on a back seek).
                    f.seek(end - 1)
                    _read_exact(f, 1)
                if tag == 6:
                    footers.add(stream_id)
            except _Truncated:
                cut_at = start
                while f.read(1 << 20):  # to the end, for the size (gzip cannot seek there)
                    pass
                break
            n_chunks += 1
            complete = end
        total = f.tell()
    if n_chunks == 0:
        raise RecordingError(f"{name}: XDF holds no complete chunk after its signature "
                             f"(the file has {total} bytes): re-record it")
    return XdfScan(complete_bytes=complete, total_bytes=total, n_chunks=n_chunks,
                   cut_at=cut_at, unfinished=tuple(sorted(set(layouts) - footers)))
