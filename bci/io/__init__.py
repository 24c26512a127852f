"""Read any recording a lab brings as MNE Raw objects with events as annotations.

``read_recording(path, stream=None)`` returns one preloaded ``mne.io.BaseRaw`` in volts
with events as ``raw.annotations``; ``read_streams(path)`` returns every signal stream of
the file (several for XDF), each a ``RecordedStream(name, stype, raw, first_time)``;
``summarize``/``format_summary`` back ``bci info``. Failures raise
``bci.errors.RecordingError`` with one line naming the file, the problem and what to do.

Formats: FIF (+ sibling ``-eve.fif``), EDF/EDF+, BDF, GDF, BrainVision (``.vhdr``),
EEGLAB (``.set``), XDF, Muse CSV (eeg-notebooks / muse-lsl) and UCI MYO gesture text.
See ``docs/recordings.md``.
"""

from bci.io.formats import detect_format
from bci.io.read import read_recording, read_streams
from bci.io.recorded_stream import RecordedStream
from bci.io.summary import format_summary, summarize

__all__ = [
    "RecordedStream",
    "detect_format",
    "format_summary",
    "read_recording",
    "read_streams",
    "summarize",
]
