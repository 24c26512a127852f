"""The result folder: one JSON record per unit, named by the unit's content hash.

A record is written (atomically: a temporary file renamed into place) as soon as its
unit finishes, so a run killed at any moment leaves only whole records, and the next
run computes only the units that have none. The folder says which bci wrote it; an
older bci refuses a folder written in a newer layout instead of misreading it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import bci
from bci.benchmark.errors import ResultStoreError
from bci.benchmark.unit import RESULT_FORMAT, RESULT_FORMAT_VERSION

_MANIFEST = "bci-benchmark.json"
_FOLDER_FORMAT = "bci-benchmark-results"
_RECORDS = "records"
_HASHES = "sha256-cache.json"


def _write_atomic(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ResultStore:
    """A folder of result records, keyed by unit content hash.

    Parameters
    ----------
    folder : str or Path
        Created when missing.
    resume : bool
        The folder must already hold results (``--resume``: there is a run to continue).

    Raises
    ------
    ResultStoreError
        The folder was written by a newer bci, is not a result folder, or (``resume``)
        holds nothing to resume.
    """

    def __init__(self, folder: str | Path, *, resume: bool = False) -> None:
        self.folder = Path(folder)
        manifest = self.folder / _MANIFEST
        if manifest.is_file():
            self._check(manifest)
        elif resume:
            raise ResultStoreError(f"{self.folder}: no benchmark results to resume there: run "
                                   "without --resume to start, or pass the right --out")
        elif self.folder.is_dir() and any(self.folder.iterdir()):
            raise ResultStoreError(f"{self.folder}: not a bci benchmark result folder and not "
                                   "empty: pass --out a new or empty folder")
        else:
            (self.folder / _RECORDS).mkdir(parents=True, exist_ok=True)
            _write_atomic(manifest, json.dumps({"format": _FOLDER_FORMAT,
                                                "format_version": RESULT_FORMAT_VERSION,
                                                "bci": bci.__version__}, indent=2) + "\n")
        (self.folder / _RECORDS).mkdir(exist_ok=True)
        self._hashes = self._load_hashes()

    def _check(self, manifest: Path) -> None:
        try:
            content = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ResultStoreError(f"{manifest}: unreadable ({err}): pass --out another "
                                   "folder") from None
        if not isinstance(content, dict) or content.get("format") != _FOLDER_FORMAT:
            raise ResultStoreError(f"{manifest}: not a bci benchmark result folder: pass --out "
                                   "another folder")
        version = content.get("format_version", 0)
        if not isinstance(version, int) or version > RESULT_FORMAT_VERSION:
            raise ResultStoreError(
                f"{self.folder}: written by a newer bci ({content.get('bci', '?')}, result "
                f"format {version}; this bci {bci.__version__} reads up to "
                f"{RESULT_FORMAT_VERSION}): upgrade bci or pass --out another folder")

    def _record_path(self, key: str) -> Path:
        return self.folder / _RECORDS / f"{key}.json"

    def get(self, key: str) -> dict | None:
        """The record of unit ``key``, or None when it has none (or a torn, unreadable one)."""
        path = self._record_path(key)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if record.get("format") != RESULT_FORMAT or record.get("key") != key:
            return None
        if record.get("format_version", 0) > RESULT_FORMAT_VERSION:
            raise ResultStoreError(f"{path}: written by a newer bci: upgrade bci or pass --out "
                                   "another folder")
        return record

    def put(self, record: dict) -> Path:
        """Write one unit's record (replacing an older one of the same key)."""
        path = self._record_path(record["key"])
        _write_atomic(path, json.dumps(record, indent=1, allow_nan=False) + "\n")
        return path

    def __len__(self) -> int:
        return sum(1 for _ in (self.folder / _RECORDS).glob("*.json"))

    # -- checksums: hashing every file on every rerun would dominate a cached run -------

    def _load_hashes(self) -> dict:
        try:
            return json.loads((self.folder / _HASHES).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def sha256(self, path: Path) -> str:
        """SHA-256 of a file, cached by path, size and modification time."""
        from bci.benchmark.learn import sha256

        stat = path.stat()
        stamp = [stat.st_size, stat.st_mtime_ns]
        key = str(path.resolve())
        cached = self._hashes.get(key)
        if cached is not None and cached[:2] == stamp:
            return cached[2]
        digest = sha256(path)
        self._hashes[key] = [*stamp, digest]
        return digest

    def save_hashes(self) -> None:
        """Keep the checksum cache for the next run."""
        _write_atomic(self.folder / _HASHES, json.dumps(self._hashes, indent=0) + "\n")


__all__ = ["ResultStore"]
