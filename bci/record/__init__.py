"""Recording LSL streams to XDF files, crash-safe: ``bci record`` and ``bci live --record``.

``Recorder(path, streams)`` subscribes to the named streams and appends their samples,
exactly as sent, with their source timestamps and clock offsets, to an XDF file that
stays readable (by ``pyxdf`` and ``bci info``) if the process is killed at any moment.
See ``docs/recording.md`` for why this is not LabRecorder. The command is
:mod:`bci.cli.record` (its body, for now, :mod:`bci.record.command`).
"""

from bci.record.recorder import (
    BOUNDARY_INTERVAL,
    CLOCK_INTERVAL,
    DRAIN_INTERVAL,
    Recorder,
    StreamStats,
)
from bci.record.sink import RecorderSink, recorder_for
from bci.record.xdf_writer import RecordError, XdfWriter

__all__ = ["BOUNDARY_INTERVAL", "CLOCK_INTERVAL", "DRAIN_INTERVAL", "RecordError",
           "Recorder", "RecorderSink", "StreamStats", "XdfWriter", "recorder_for"]
