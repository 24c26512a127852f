"""The smallest incremental XDF writer: chunks appended to an open file as they come.

The layout is the XDF 1.0 specification (https://github.com/sccn/xdf/wiki/Specifications),
byte for byte what LabRecorder writes: the signature ``"XDF:"``, then chunks of
``[NumLengthBytes][Length][Tag][Content]`` (Length counts Tag and Content):

====  ============  ===================================================================
tag   chunk         content
====  ============  ===================================================================
1     FileHeader    XML ``<info><version>1.0</version><datetime>...</datetime></info>``
2     StreamHeader  stream id (uint32), the stream's full LSL info XML (with ``desc``)
3     Samples       stream id, sample count (varlen), per sample: ``8``, float64
                    timestamp, values (little-endian numbers; strings as varlen
                    length + UTF-8 bytes)
4     ClockOffset   stream id, collection time (remote clock, float64), offset (float64)
5     Boundary      a fixed 16-byte UUID that lets a reader resynchronise after damage
6     StreamFooter  stream id, XML with first/last timestamp, sample count, offsets
====  ============  ===================================================================

Nothing is buffered in Python between :meth:`XdfWriter.flush` calls and each flush is one
``write(2)`` of whole chunks, so a process killed between flushes leaves a file that ends
on a chunk boundary; only a kill inside that one system call can cut a chunk short.
"""

from __future__ import annotations

import os
import struct
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from bci.errors import BciError

# Numeric channel formats -> little-endian numpy dtypes (XDF stores little-endian).
NUMERIC_DTYPES = {"float32": "<f4", "double64": "<f8", "int8": "<i1", "int16": "<i2",
                  "int32": "<i4", "int64": "<i8"}
#: The Boundary chunk's content, fixed by the specification.
BOUNDARY_UUID = bytes([0x43, 0xA5, 0x46, 0xDC, 0xCB, 0xF5, 0x41, 0x0F,
                       0xB3, 0x0E, 0xD5, 0x46, 0x73, 0x83, 0xCB, 0xE4])

_FILE_HEADER, _STREAM_HEADER, _SAMPLES, _CLOCK_OFFSET, _BOUNDARY, _STREAM_FOOTER = range(1, 7)


class RecordError(BciError, RuntimeError):
    """A recording cannot be written: unwritable path, existing file, full disk."""


def varlen(n: int) -> bytes:
    """XDF variable-length integer: a byte giving the width (1, 4 or 8), then the value."""
    if n < 0x100:
        return bytes((1, n))
    if n < 0x1_0000_0000:
        return b"\x04" + struct.pack("<I", n)
    return b"\x08" + struct.pack("<Q", n)


def chunk(tag: int, content: bytes) -> bytes:
    """One XDF chunk: length (of tag + content), tag, content."""
    return varlen(len(content) + 2) + struct.pack("<H", tag) + content


def encode_numeric(stream_id: int, values: np.ndarray, stamps: np.ndarray) -> bytes:
    """A Samples chunk of numeric values, every sample with its timestamp.

    Parameters
    ----------
    stream_id : int
        The stream's id in this file.
    values : ndarray, shape (n_samples, n_channels)
        Values as they came off the wire, in the stream's own numeric type.
    stamps : ndarray, shape (n_samples,)
        LSL timestamps as sent by the source (not clock corrected).
    """
    n, n_channels = values.shape
    # A packed record per sample (numpy structured dtypes are unaligned by default):
    # one encoding pass for the whole chunk instead of a Python loop over samples.
    record = np.dtype([("flag", "u1"), ("stamp", "<f8"),
                       ("values", values.dtype.newbyteorder("<"), (n_channels,))])
    out = np.empty(n, dtype=record)
    out["flag"] = 8
    out["stamp"] = stamps
    out["values"] = values
    return chunk(_SAMPLES, struct.pack("<I", stream_id) + varlen(n) + out.tobytes())


def encode_strings(stream_id: int, values: list[list[bytes]], stamps: np.ndarray) -> bytes:
    """A Samples chunk of string values (raw bytes as sent), each with its timestamp."""
    parts = [struct.pack("<I", stream_id), varlen(len(values))]
    for sample, stamp in zip(values, stamps, strict=True):
        parts.append(b"\x08" + struct.pack("<d", float(stamp)))
        for value in sample:
            parts.append(varlen(len(value)))
            parts.append(value)
    return chunk(_SAMPLES, b"".join(parts))


def _reason(err: OSError) -> str:
    """An OSError's reason in a few lower-case words ('permission denied')."""
    return (err.strerror or type(err).__name__).lower()


def _sync_folder(folder: Path) -> bool:
    """fsync a folder (its entries); False where the platform cannot (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return False
    try:
        os.fsync(fd)
        return True
    except OSError:
        return False  # some file systems refuse fsync on a folder: nothing more to do
    finally:
        os.close(fd)


class XdfWriter:
    """Appends XDF chunks to a file; whole chunks reach the file on :meth:`flush`.

    Parameters
    ----------
    path : str or Path
        The ``.xdf`` file to create (missing parent folders are created).
    overwrite : bool
        Replace an existing file; by default an existing file is an error, so that a
        re-run never destroys a recording.

    Raises
    ------
    RecordError
        When the file exists (and ``overwrite`` is False) or cannot be created.
    """

    def __init__(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        self.path = Path(path)
        self._pending: list[bytes] = []
        self.n_bytes = 0
        self.failed: str | None = None  # the one-line reason once a write failed
        self._dir_synced = False
        self._fd: int | None = self._create(overwrite)
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S%z")
        header = ('<?xml version="1.0"?><info><version>1.0</version>'
                  f"<datetime>{stamp}</datetime></info>")
        self._pending.append(b"XDF:" + chunk(_FILE_HEADER, header.encode()))

    def _create(self, overwrite: bool) -> int:
        path = self.path
        if path.is_dir():
            raise RecordError(f"cannot record to {path}: it is a folder; give a file name "
                              "such as session.xdf")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
            reason = (f"{blocker} is a file, not a folder" if blocker is not None
                      else f"cannot create folder {path.parent} ({_reason(err)})")
            raise RecordError(f"cannot record to {path}: {reason}: choose another "
                              "folder") from err
        flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
        try:
            # An unbuffered descriptor: a flush is exactly one write(2) of whole chunks.
            return os.open(path, flags, 0o644)
        except FileExistsError as err:
            raise RecordError(f"{path} exists: choose another file name, or pass "
                              "--overwrite to replace it") from err
        except OSError as err:
            raise RecordError(f"cannot record to {path}: {_reason(err)}: choose a "
                              "writable folder") from err

    def stream_header(self, stream_id: int, info_xml: str) -> None:
        """Queue a StreamHeader with the stream's full LSL info XML."""
        self._pending.append(chunk(_STREAM_HEADER,
                                   struct.pack("<I", stream_id) + info_xml.encode("utf-8")))

    def samples(self, encoded: bytes) -> None:
        """Queue a Samples chunk made by :func:`encode_numeric` or :func:`encode_strings`."""
        self._pending.append(encoded)

    def clock_offset(self, stream_id: int, collection_time: float, offset: float) -> None:
        """Queue a ClockOffset: ``offset`` added to remote time gives local time."""
        self._pending.append(chunk(_CLOCK_OFFSET,
                                   struct.pack("<Idd", stream_id, collection_time, offset)))

    def boundary(self) -> None:
        """Queue a Boundary chunk (a resynchronisation point for damaged files)."""
        self._pending.append(chunk(_BOUNDARY, BOUNDARY_UUID))

    def stream_footer(self, stream_id: int, first_time: float | None,
                      last_time: float | None, n_samples: int,
                      offsets: list[tuple[float, float]]) -> None:
        """Queue a StreamFooter in LabRecorder's form."""
        parts = ['<?xml version="1.0"?><info>']
        if first_time is not None and last_time is not None:
            parts.append(f"<first_timestamp>{first_time!r}</first_timestamp>"
                         f"<last_timestamp>{last_time!r}</last_timestamp>")
        parts.append(f"<sample_count>{n_samples}</sample_count><clock_offsets>")
        parts.extend(f"<offset><time>{t!r}</time><value>{v!r}</value></offset>"
                     for t, v in offsets)
        parts.append("</clock_offsets></info>")
        self._pending.append(chunk(_STREAM_FOOTER, struct.pack("<I", stream_id)
                                   + "".join(parts).encode("utf-8")))

    def flush(self) -> int:
        """Write every queued chunk with one system call; return the bytes written.

        Raises
        ------
        RecordError
            The write failed (a full disk, a removed drive). The file is cut back to
            the end of the last complete chunk, so it stays readable, and the writer
            takes nothing more: every later flush raises the same error.
        """
        if self.failed is not None:
            raise RecordError(self.failed)
        if self._fd is None:
            raise RecordError(f"{self.path} is closed")
        if not self._pending:
            return 0
        data = memoryview(b"".join(self._pending))
        self._pending.clear()
        total = len(data)
        try:
            while data:  # a regular file takes it all at once; loop for the rare short write
                written = os.write(self._fd, data)
                data = data[written:]
        except OSError as err:
            self.failed = (f"writing {self.path} failed: {_reason(err)}; the file holds "
                           f"every complete chunk up to byte {self.n_bytes}: free disk "
                           "space or record elsewhere")
            try:
                # A partial chunk at the end would be the only damage: cut it off.
                os.ftruncate(self._fd, self.n_bytes)
                os.lseek(self._fd, self.n_bytes, os.SEEK_SET)
            except OSError:
                pass  # readers stop at the cut chunk anyway (bci.io recovers the rest)
            raise RecordError(self.failed) from err
        self.n_bytes += total
        return total

    def sync(self) -> None:
        """Ask the OS to put what was written on the disk (bounds a power cut's loss)."""
        if self._fd is not None and self.failed is None:
            try:
                os.fsync(self._fd)
                if not self._dir_synced:
                    # A new file's name lives in its folder: sync that once too, or a
                    # power cut can leave the data on disk with no file pointing at it.
                    self._dir_synced = _sync_folder(self.path.parent)
            except OSError as err:
                raise RecordError(f"syncing {self.path} failed: {_reason(err)}: record "
                                  "elsewhere") from err

    def close(self) -> None:
        """Flush what is queued and close the file. Safe to call twice.

        After a failed write, closes without writing more.
        """
        if self._fd is None:
            return
        try:
            if self.failed is None:
                self.flush()
                os.fsync(self._fd)  # a finished recording should survive a power cut too
                if not self._dir_synced:
                    self._dir_synced = _sync_folder(self.path.parent)
        finally:
            os.close(self._fd)
            self._fd = None

    def discard(self) -> None:
        """Close and delete the file (a recording that never started)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.path.unlink(missing_ok=True)
