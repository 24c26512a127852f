"""Numeric text tables (plain or gzip-compressed): a bounded header line, then numbers.

Both text formats (Muse CSV, UCI MYO) are a header line followed by rows of numbers.
Numbers are parsed by ``np.loadtxt``'s C parser, never a Python loop over rows, so a huge
file of garbage fails at its first bad line instead of hanging.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bci.errors import RecordingError

# A header longer than this is not a header: do not read a gigabyte without a newline.
_MAX_HEADER_CHARS = 65_536


def read_table(
    path: Path, *, delimiter: str | None, fmt: str, check_header: Callable[[str], None]
) -> tuple[str, np.ndarray]:
    """Return ``(header line, float64 rows × columns)`` of a text table.

    Parameters
    ----------
    path : Path
        ``*.gz`` files are decompressed on the fly.
    delimiter : str | None
        Column separator; None splits on any whitespace.
    fmt : str
        Format name for error messages.
    check_header : callable
        Called with the header line (stripped) before any row is parsed; raises
        RecordingError when the file is not of this format.
    """
    raw_file = gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")
    with raw_file, io.TextIOWrapper(raw_file, encoding="utf-8", newline=None) as text:
        try:
            header = text.readline(_MAX_HEADER_CHARS)
        except UnicodeDecodeError:
            raise RecordingError(
                f"{path.name}: not a valid {fmt} file (it is not UTF-8 text): "
                "check the file and its extension"
            ) from None
        if not header.endswith("\n"):
            raise RecordingError(
                f"{path.name}: not a valid {fmt} file (no header line followed by data "
                "rows): check the file and its extension"
            )
        header = header.lstrip("\ufeff").strip()
        check_header(header)
        # np.loadtxt only warns on an empty table; say it plainly instead.
        start = text.tell()
        if not text.readline(_MAX_HEADER_CHARS).strip():
            raise RecordingError(f"{path.name}: {fmt} file holds no samples (header only)")
        text.seek(start)
        try:
            values = np.loadtxt(
                text, delimiter=delimiter, ndmin=2, dtype=np.float64, comments=None
            )
        except UnicodeDecodeError:
            raise RecordingError(
                f"{path.name}: not a valid {fmt} file (it holds bytes that are not UTF-8 "
                "text): the file is corrupt or has the wrong extension"
            ) from None
        except ValueError as exc:
            # numpy appends advice about `usecols` that does not apply to a user's file.
            detail = " ".join(str(exc).split(";")[0].split())[:160]
            raise RecordingError(
                f"{path.name}: malformed {fmt} data ({detail}): every row needs one "
                "number per header column; re-export the file"
            ) from None
    return header, values
