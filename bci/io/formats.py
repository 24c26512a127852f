"""Which recording format a file holds: by its extension, confirmed by its first bytes.

The extension decides which reader runs; the first bytes catch the common accident of a
file carrying the wrong extension (a CSV renamed ``.edf``, an EDF renamed ``.fif``) before
a reader fails deep inside with an unhelpful traceback.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

from bci.errors import RecordingError

#: File-name endings -> format name, longest endings first so ``.fif.gz`` wins over ``.gz``.
EXTENSIONS: dict[str, str] = {
    ".fif.gz": "FIF",
    ".csv.gz": "Muse CSV",
    ".txt.gz": "UCI MYO text",
    ".fif": "FIF",
    ".edf": "EDF",
    ".bdf": "BDF",
    ".gdf": "GDF",
    ".vhdr": "BrainVision",
    ".set": "EEGLAB",
    ".xdf": "XDF",
    ".xdfz": "XDF",
    ".csv": "Muse CSV",
    ".txt": "UCI MYO text",
}

#: The usual extension of each format, for "rename it to ..." advice.
USUAL_EXTENSION: dict[str, str] = {
    "FIF": ".fif",
    "EDF": ".edf",
    "BDF": ".bdf",
    "GDF": ".gdf",
    "BrainVision": ".vhdr",
    "EEGLAB": ".set",
    "XDF": ".xdf",
    "Muse CSV": ".csv",
    "UCI MYO text": ".txt",
}

SUPPORTED = (
    "use FIF, EDF, BDF, GDF, BrainVision (.vhdr), EEGLAB (.set), XDF, Muse CSV or UCI MYO .txt"
)

# Companion files users open by mistake: the reader needs the header file next to them.
_COMPANIONS = {
    ".vmrk": "a BrainVision marker file: open the matching .vhdr header instead",
    ".eeg": "a BrainVision data file: open the matching .vhdr header instead",
    ".fdt": "an EEGLAB data file: open the matching .set file instead",
}

# Formats whose first bytes identify them unambiguously; a file with one of these
# extensions must start this way.
_BINARY = frozenset({"FIF", "EDF", "BDF", "GDF", "XDF"})

# Formats that are text from their first byte (checked further by their readers).
_TEXT = frozenset({"BrainVision", "Muse CSV", "UCI MYO text"})

_HEAD_BYTES = 64


def extension_format(path: Path) -> tuple[str, str]:
    """Return ``(format, matched ending)`` from the file name, or raise RecordingError."""
    name = path.name.lower()
    for ending, fmt in EXTENSIONS.items():
        if name.endswith(ending):
            if fmt == "FIF" and name.removesuffix(".gz").endswith(("-eve.fif", "_eve.fif")):
                raise RecordingError(
                    f"{path.name}: an MNE events file, not a recording: open the matching "
                    "*_raw.fif (its events are read from this file automatically)"
                )
            return fmt, ending
    suffix = "".join(path.suffixes[-2:]) if path.suffix.lower() == ".gz" else path.suffix
    if path.suffix.lower() in _COMPANIONS:
        raise RecordingError(f"{path.name}: {_COMPANIONS[path.suffix.lower()]}")
    shown = f"'{suffix}'" if suffix else "(no extension)"
    raise RecordingError(f"{path.name}: unknown recording format {shown}: {SUPPORTED}")


def sniff(head: bytes) -> str | None:
    """Name the format that ``head`` (a file's first bytes) starts like, or None.

    Text that fits neither text format is reported as ``"text"``.
    """
    if head.startswith(b"XDF:"):
        return "XDF"
    if head.startswith(b"\xffBIOSEMI"):
        return "BDF"
    if head.startswith(b"GDF"):
        return "GDF"
    if head.startswith(b"0       "):
        return "EDF"
    # Every FIF file opens with the FIFF_FILE_ID tag: kind 100, big-endian int32.
    if head.startswith(b"\x00\x00\x00\x64"):
        return "FIF"
    if head.startswith((b"MATLAB", b"\x89HDF\r\n\x1a\n")):
        return "EEGLAB"
    if head.startswith((b"Brain Vision", b"BrainVision")):
        return "BrainVision"
    try:
        # A multi-byte character may be cut at the end of the head: ignore that tail.
        text = head.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:
            return None
        text = head[: exc.start].decode("utf-8")
    if not text or not all(ch.isprintable() or ch in "\r\n\t" for ch in text):
        return None
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip().lower()
    if first.startswith("timestamps"):
        return "Muse CSV"
    if first.split()[:2] == ["time", "channel1"]:
        return "UCI MYO text"
    return "text"


def read_head(path: Path, compressed: bool) -> bytes:
    """The first bytes of the file's content (decompressed when ``compressed``)."""
    if not compressed:
        with open(path, "rb") as f:
            return f.read(_HEAD_BYTES)
    try:
        with gzip.open(path, "rb") as f:
            return f.read(_HEAD_BYTES)
    except PermissionError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        raise RecordingError(
            f"{path.name}: not a valid gzip file ({exc}): re-copy it, or drop the .gz "
            "extension if it is not compressed"
        ) from exc


def detect_format(path: str | os.PathLike[str]) -> str:
    """Name the format of a recording, checking that it exists and is what it claims.

    Parameters
    ----------
    path : path-like
        The recording.

    Returns
    -------
    str
        One of ``"FIF"``, ``"EDF"``, ``"BDF"``, ``"GDF"``, ``"BrainVision"``, ``"EEGLAB"``,
        ``"XDF"``, ``"Muse CSV"``, ``"UCI MYO text"``.

    Raises
    ------
    bci.errors.RecordingError
        The file is missing, empty, has an unknown extension, or its first bytes belong to
        another format (a mislabelled file).
    """
    path = Path(path)
    if not path.exists():
        raise RecordingError(f"{path.name}: no such file ({path}): check the path")
    if path.is_dir():
        raise RecordingError(f"{path.name}: a folder, not a recording file: pass a file")
    fmt, ending = extension_format(path)
    if path.stat().st_size == 0:
        raise RecordingError(f"{path.name}: empty file (0 bytes): re-copy or re-export it")
    compressed = ending.endswith(".gz") or ending == ".xdfz"
    try:
        head = read_head(path, compressed)
    except PermissionError as exc:
        raise RecordingError(
            f"{path.name}: permission denied: check the file's permissions"
        ) from exc
    if not head:
        raise RecordingError(f"{path.name}: empty after decompression: re-copy or re-export it")
    looks_like = sniff(head)
    if looks_like == fmt or (looks_like is None and fmt not in _BINARY | _TEXT):
        return fmt
    if looks_like in USUAL_EXTENSION:
        raise RecordingError(
            f"{path.name}: not a valid {fmt} file: its contents look like {looks_like}: "
            f"rename it with the extension {USUAL_EXTENSION[looks_like]}"
        )
    if looks_like is None and fmt in _TEXT:
        raise RecordingError(
            f"{path.name}: not a valid {fmt} file (binary content where text is "
            "expected): the file is corrupt or has the wrong extension"
        )
    if fmt in _BINARY:
        what = "text" if looks_like == "text" else "unrecognised bytes"
        raise RecordingError(
            f"{path.name}: not a valid {fmt} file (it starts with {what}, not the {fmt} "
            "signature): "
            "the file is corrupt or has the wrong extension"
        )
    return fmt
