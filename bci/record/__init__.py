"""Recording LSL streams to XDF files, crash-safe: ``bci record`` and ``bci live --record``.

``Recorder(path, streams)`` subscribes to the named streams and appends their samples,
exactly as sent, with their source timestamps and clock offsets, to an XDF file that
stays readable (by ``pyxdf`` and ``bci info``) if the process is killed at any moment.
See ``docs/recording.md`` for why this is not LabRecorder.
"""

from bci.record.command import add_arguments, run
from bci.record.recorder import (
    BOUNDARY_INTERVAL,
    CLOCK_INTERVAL,
    DRAIN_INTERVAL,
    Recorder,
    StreamStats,
    recorder_for_live,
)
from bci.record.xdf_writer import RecordError, XdfWriter

__all__ = ["BOUNDARY_INTERVAL", "CLOCK_INTERVAL", "DRAIN_INTERVAL", "RecordError",
           "Recorder", "StreamStats", "XdfWriter", "add_arguments", "recorder_for_live",
           "run"]
