"""A person's folder: one versioned history file of every assessment and training session.

``DIR/history.json`` holds ``{"format": "bci-person-history", "version": 1, "sessions":
[...]}``; each session entry is ``kind`` (``assessment`` or ``training``), ``status``
(``complete`` or ``interrupted``), ``started`` (ISO 8601, UTC), ``folder`` (where its
report is, relative to ``DIR``), ``protocol`` and ``summary`` (the figures the course
draws). The file is rewritten whole through a temporary file and ``os.replace``, so a
crash leaves the old history or the new one, never half of one. An interrupted session
is kept, flagged, and never counted with the complete ones.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from bci import __version__
from bci.errors import ConfigError

__all__ = ["FORMAT", "HISTORY_FILE", "VERSION", "append_session", "check_person",
           "read_history", "training_entry"]

HISTORY_FILE = "history.json"
FORMAT = "bci-person-history"
VERSION = 1


def check_person(folder: str | Path) -> Path:
    """The person folder, checked to exist and be writable (one-line errors)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such person folder: create it (mkdir) for a new "
                          "person, or check the path")
    if not os.access(folder, os.R_OK | os.W_OK | os.X_OK):
        raise ConfigError(f"{folder}: the person folder is not readable and writable: "
                          "check its permissions")
    return folder


def read_history(folder: str | Path) -> dict:
    """The history of a person folder (an empty one when there is no file yet).

    Raises
    ------
    bci.errors.ConfigError
        Missing or unreadable folder, a damaged file, or a file from a newer bci.
    """
    folder = check_person(folder)
    path = folder / HISTORY_FILE
    if not path.exists():
        return {"format": FORMAT, "version": VERSION, "sessions": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read the history ({err}): check the "
                          "file") from None
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}: the history is damaged (not JSON: {err.msg} at line "
                          f"{err.lineno}): restore it from a backup") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or \
            not isinstance(data.get("sessions"), list):
        raise ConfigError(f"{path}: not a bci person history: give the folder made by "
                          "'bci assess --person'")
    version = data.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ConfigError(f"{path}: history version {version} was written by a newer bci "
                          f"(this bci {__version__} reads version {VERSION}): upgrade bci")
    return data


def append_session(folder: str | Path, entry: dict) -> dict:
    """Append one session entry and rewrite the history atomically; returns the entry."""
    folder = check_person(folder)
    data = read_history(folder)
    entry = {"started": datetime.now(UTC).isoformat(timespec="seconds"), **entry}
    if entry.get("status") not in ("complete", "interrupted"):
        raise ValueError("a session entry's status is 'complete' or 'interrupted'")
    entry["number"] = len(data["sessions"]) + 1
    entry["bci_version"] = __version__
    data["sessions"].append(entry)
    data["version"] = VERSION
    path = folder / HISTORY_FILE
    tmp = path.with_suffix(".json.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, default=float)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        raise ConfigError(f"{path}: cannot write the history ({err.strerror}): check the "
                          "disk and permissions") from None
    return entry


def training_entry(summary: dict, *, folder: str = "", interrupted: bool = False) -> dict:
    """A history entry from a neurofeedback session summary (``bci neurofeedback``).

    Per block: the summary's ``blocks`` when the display ran blocks, else its minutes.
    """
    feedback = summary.get("feedback", {})
    blocks = summary.get("blocks") or [
        {"block": m.get("minute"), "mean_feedback": m.get("mean_feedback"),
         "fraction_rewarded": m.get("fraction_rewarded")}
        for m in summary.get("per_minute", [])]
    return {"kind": "training", "status": "interrupted" if interrupted else "complete",
            "folder": folder, "protocol": summary.get("protocol"),
            "summary": {"mean_feedback": feedback.get("mean_feedback"),
                        "reward_rate": feedback.get("fraction_rewarded"),
                        "fraction_above_threshold": feedback.get(
                            "fraction_above_threshold"),
                        "seconds": feedback.get("seconds"),
                        "blocks": [{"block": b.get("block"),
                                    "mean_feedback": b.get("mean_feedback"),
                                    "reward_rate": b.get("fraction_rewarded")}
                                   for b in blocks]}}
