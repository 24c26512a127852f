"""Finding a dataset's recordings and telling their subject, session and run.

Folders and glob patterns are searched for every file bci reads; BIDS roots are queried
through mne-bids. Each recording is identified by the SHA-256 of its bytes, so results
follow the data, not the path it happens to have on one machine.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bci.benchmark.errors import SpecError
from bci.benchmark.spec import DatasetSpec

#: BIDS EEG data files bci reads (BIDS accepts these four formats for EEG).
BIDS_EXTENSIONS = (".vhdr", ".edf", ".bdf", ".set")


@dataclass(frozen=True)
class Recording:
    """One recording of a dataset.

    Attributes
    ----------
    path : str
        Absolute path (workers must reach the same path, see ``docs/benchmarks/README.md``).
    name : str
        Path relative to the dataset's folder, for tables and messages.
    subject, session, run : str
        Entities ("" when the dataset does not have them).
    sha256 : str
        Checksum of the file.
    bids : bool
        Read through mne-bids (events and channel types from the sidecar files).
    """

    path: str
    name: str
    subject: str
    session: str
    run: str
    sha256: str
    bids: bool = False


def _readable(path: Path) -> bool:
    from bci.errors import RecordingError
    from bci.io.formats import extension_format

    try:
        extension_format(path)
    except RecordingError:
        return False
    return path.is_file()


def _folder_files(dataset: DatasetSpec) -> tuple[Path, list[Path]]:
    path = dataset.path
    if path.is_dir():
        pattern = dataset.include or "**/*"
        files = sorted(p for p in path.glob(pattern) if _readable(p))
        return path, files
    if path.is_file():
        return path.parent, [path]
    # A glob pattern: its folder part without wildcards is where names are relative to.
    files = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
    parts = path.parts
    fixed = next((i for i, part in enumerate(parts) if any(c in part for c in "*?[")),
                 len(parts))
    return Path(*parts[:fixed]), [p for p in files if _readable(p)]


def _entities(dataset: DatasetSpec, relative: str, path: Path) -> tuple[str, str, str]:
    if dataset.entities is None:
        subject = path.parent.name if path.parent != dataset.path else path.stem
        return subject, "", path.name.split(".")[0]
    match = re.search(dataset.entities, relative)
    if match is None:
        raise SpecError(f"dataset {dataset.name!r}: entities = {dataset.entities!r} does not "
                        f"match {relative!r}: fix the pattern, or narrow include =")
    groups = match.groupdict()
    return (groups.get("subject") or "", groups.get("session") or "",
            groups.get("run") or path.name.split(".")[0])


def _bids_recordings(dataset: DatasetSpec, hash_file: Callable[[Path], str]
                     ) -> list[Recording]:
    import mne_bids

    f = dataset.filters
    paths = mne_bids.find_matching_paths(
        dataset.path, subjects=f.get("subject"), sessions=f.get("session"),
        tasks=f.get("task"), runs=f.get("run"), datatypes=dataset.datatype,
        suffixes=dataset.datatype, extensions=list(BIDS_EXTENSIONS))
    if not paths:
        found = {e: mne_bids.get_entity_vals(dataset.path, e)
                 for e in ("subject", "session", "task", "run")}
        asked = ", ".join(f"{k}={list(v)}" for k, v in f.items()) or "no filter"
        have = ", ".join(f"{k}={v}" for k, v in found.items() if v) or "no recordings"
        raise SpecError(f"dataset {dataset.name!r}: no {dataset.datatype} recording in the "
                        f"BIDS root {dataset.path} matches {asked} (it holds {have})")
    recordings = []
    for bids_path in sorted(paths, key=lambda p: str(p.fpath)):
        file = Path(bids_path.fpath)
        recordings.append(Recording(
            path=str(file.resolve()), name=str(file.relative_to(dataset.path)),
            subject=bids_path.subject or "", session=bids_path.session or "",
            run=str(bids_path.run or bids_path.task or ""), sha256=hash_file(file),
            bids=True))
    return recordings


def find_recordings(dataset: DatasetSpec, hash_file: Callable[[Path], str]
                    ) -> list[Recording]:
    """Every recording of ``dataset``, sorted by path.

    Parameters
    ----------
    dataset : DatasetSpec
    hash_file : callable
        ``path -> sha256 hex``; the result store passes one that caches.

    Raises
    ------
    SpecError
        When nothing matches, in one line saying what the folder or BIDS root holds.
    """
    if dataset.bids:
        return _bids_recordings(dataset, hash_file)
    base, files = _folder_files(dataset)
    if not files:
        raise SpecError(f"dataset {dataset.name!r}: no recording bci reads at {dataset.path}"
                        + (f" matching include = {dataset.include!r}" if dataset.include
                           else "") + ": fix path = or include =")
    recordings = []
    for file in files:
        relative = file.relative_to(base).as_posix()
        subject, session, run = _entities(dataset, relative, file)
        recordings.append(Recording(path=str(file.resolve()), name=relative, subject=subject,
                                    session=session, run=run, sha256=hash_file(file)))
    return recordings


__all__ = ["BIDS_EXTENSIONS", "Recording", "find_recordings"]
