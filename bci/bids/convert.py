"""Writing a recording into a BIDS tree with mne-bids (converted to a format BIDS accepts)."""

from __future__ import annotations

import re
from pathlib import Path

from bci.errors import BciError

#: Formats BIDS EEG accepts that mne-bids writes; BrainVision keeps float samples.
BIDS_FORMATS = ("BrainVision", "EDF")

_LABEL = re.compile(r"^[A-Za-z0-9]+$")


class BidsError(BciError, ValueError):
    """A recording cannot be stored in (or found in) a BIDS tree as asked."""


def _label(value: str | None, entity: str) -> str | None:
    if value is None:
        return None
    value = str(value)
    if not _LABEL.match(value):
        raise BidsError(f"--{entity} {value!r}: BIDS labels are letters and digits only "
                        "(no '-', '_' or spaces)")
    return value


def write_bids(path: str | Path, root: str | Path, *, subject: str, task: str,
               session: str | None = None, run: str | None = None,
               format: str = "BrainVision", line_freq: float | None = None,
               overwrite: bool = False, stream: str | None = None) -> Path:
    """Store one recording in a BIDS tree, with its events and channels.

    Parameters
    ----------
    path : str or Path
        Any recording bci reads (XDF, FIF, EDF, CSV, ...).
    root : str or Path
        The BIDS root (created with its ``dataset_description.json`` when new).
    subject, task : str
        BIDS labels (letters and digits).
    session, run : str or None
        Optional BIDS labels.
    format : str
        ``"BrainVision"`` (float samples, the default) or ``"EDF"`` (16-bit).
    line_freq : float or None
        Power-line frequency (``PowerLineFrequency``, 50 or 60 Hz); ``n/a`` when None.
    overwrite : bool
        Replace a recording already stored under the same entities.
    stream : str or None
        Which stream of a multi-stream XDF file (default: the main signal stream).

    Returns
    -------
    Path
        The data file written (``.vhdr`` or ``.edf``).

    Raises
    ------
    BidsError
        Bad labels or format, or the recording is already there without ``overwrite``.
    bci.errors.RecordingError
        The recording cannot be read.
    """
    import mne_bids

    from bci.io import read_recording

    if format not in BIDS_FORMATS:
        raise BidsError(f"--format {format}: use one of {', '.join(BIDS_FORMATS)}")
    raw = read_recording(path, stream=stream)
    raw.load_data()
    if line_freq is not None:
        raw.info["line_freq"] = float(line_freq)
    bids_path = mne_bids.BIDSPath(subject=_label(subject, "subject"),
                                  session=_label(session, "session"),
                                  task=_label(task, "task"), run=_label(run, "run"),
                                  datatype="eeg", root=Path(root))
    try:
        written = mne_bids.write_raw_bids(raw, bids_path, format=format, allow_preload=True,
                                          overwrite=overwrite, verbose="error")
    except FileExistsError:
        raise BidsError(f"{bids_path.basename} is already in {root}: pass --overwrite to "
                        "replace it") from None
    suffix = ".vhdr" if format == "BrainVision" else ".edf"
    return Path(written.copy().update(suffix="eeg", extension=suffix).fpath)


__all__ = ["BIDS_FORMATS", "BidsError", "write_bids"]
