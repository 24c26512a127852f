"""Do a config's event labels name events the recordings have?

A class whose label is misspelled (``right = "T9"`` in a file of T0/T1/T2) used to show
up much later as "only one class found"; these checks name the label, its class and the
events the file does have, before any window is cut.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence

from bci.errors import RecordingError
from bci.replay.source import ReplaySource

log = logging.getLogger("bci")


def describe_events(source: ReplaySource) -> str:
    """The file's event labels with their counts: ``"T0 ×15, T1 ×8, T2 ×7"``."""
    counts = Counter(label for _, label in source.markers)
    if not counts:
        return "none"
    return ", ".join(f"{label} ×{n}" for label, n in sorted(counts.items()))


def _quoted(labels: Sequence[str]) -> str:
    return ", ".join(repr(label) for label in labels)


def _absent(label_sets: Mapping[str, Sequence[str]], source: ReplaySource) -> list[str]:
    """Classes none of whose labels occur in ``source``."""
    present = {label for _, label in source.markers}
    return [name for name, labels in label_sets.items()
            if not any(label in present for label in labels)]


def check_training_labels(events: Mapping[str, Sequence[str]],
                          sources: Sequence[ReplaySource], origin: str = "config",
                          names: Sequence[str] | None = None) -> None:
    """Refuse a class whose labels occur in none of the calibration recordings.

    A class missing from only some of the files is logged (a file per class is a
    legitimate way to calibrate), and training goes on. ``names`` are the files'
    names for the messages (default: the sources' stream names).

    Raises
    ------
    RecordingError
        Naming the label, its class, the file (or files) and the events they have.
    """
    names = list(names) if names is not None else [s.name for s in sources]
    per_source = [set(_absent(events, s)) for s in sources]
    everywhere = [name for name in events if all(name in a for a in per_source)]
    if everywhere:
        name = everywhere[0]
        labels = list(events[name])
        what = (f"{_quoted(labels)} (class {name}) "
                + ("is" if len(labels) == 1 else "are"))
        if len(sources) == 1:
            where = f"{names[0]}: {what} not among this file's events: " \
                    f"{describe_events(sources[0])}"
        else:
            listing = "; ".join(f"{n} has {describe_events(s)}"
                                for n, s in zip(names, sources, strict=True))
            where = f"{what} in none of the {len(sources)} recordings ({listing})"
        raise RecordingError(f"{where}: set [epochs].events in {origin} to labels the "
                             "recordings have ('bci info FILE' lists them)")
    for file, source, absent in zip(names, sources, per_source, strict=True):
        for name in absent:
            log.warning("%s: no event of class %s (%s); its events: %s", file, name,
                        _quoted(list(events[name])), describe_events(source))


def check_evaluation_labels(events: Mapping[str, Sequence[str]], source: ReplaySource,
                            *, marker_locked: bool = True, name: str | None = None) -> None:
    """Refuse a held-out recording that has none of the model's event labels.

    A file missing some classes only is logged: it can still be scored. A sliding
    (``marker_locked=False``) model on a file without any events still decodes it, with
    no truth to score against; only events that all miss the model's labels are refused.

    Raises
    ------
    RecordingError
        Naming the model's labels and the events the file has.
    """
    absent = _absent(events, source)
    name = name or source.name
    if not marker_locked and not source.markers:
        return
    if events and len(absent) == len(events):
        wanted = ", ".join(f"{name} = {_quoted(list(labels))}"
                           for name, labels in events.items())
        raise RecordingError(f"{name}: none of the model's event labels ({wanted}) "
                             f"are among this file's events: {describe_events(source)}: "
                             "evaluate on a recording of the task the model was trained on")
    for cls in absent:
        log.warning("%s: no event of class %s (%s); its events: %s", name, cls,
                    _quoted(list(events[cls])), describe_events(source))


__all__ = ["check_evaluation_labels", "check_training_labels", "describe_events"]
