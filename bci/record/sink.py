"""The recorder as a sink of a live session (``bci live --record FILE.xdf``).

The recorder keeps its own inlets: it stores what the sources sent, in their own type
and with their own timestamps (the XDF way), which the session's inlet — float64 volts,
clock-corrected — no longer has. As a sink it starts with the session, stops with it,
and tells the session (a status event) if recording fails, e.g. on a full disk, while
decoding goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from os import PathLike
from typing import Any

from bci.pipeline.step import SessionInfo, StatusEvent, Step
from bci.record.recorder import Recorder
from bci.stream.description import StreamDescription

logger = logging.getLogger(__name__)


def recorder_for(path: str | PathLike[str], descriptions: Sequence[StreamDescription],
                 **kwargs: Any) -> Recorder:
    """A (not yet started) recorder of these streams.

    Streams are picked by ``source_id`` where they have one (so another stream of the
    same name elsewhere on the network is never recorded instead), else by name.

    Parameters
    ----------
    path : str or Path
        The ``.xdf`` file.
    descriptions : sequence of StreamDescription
        The streams (the session's input, its markers, its outputs).
    **kwargs
        Passed to :class:`Recorder` (``timeout``, ``overwrite``).
    """
    names = [d.name for d in descriptions if not d.source_id]
    source_ids = [d.source_id for d in descriptions if d.source_id]
    return Recorder(path, names, source_ids=source_ids, **kwargs)


class RecorderSink:
    """Starts a :class:`Recorder` when the session opens, stops it when it closes.

    Parameters
    ----------
    recorder : Recorder
        Not yet started.
    """

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self._report = None
        self._failure_told = False

    def open(self, info: SessionInfo) -> None:
        """Subscribe to the streams and start writing (errors here stop the session)."""
        self._report = info.report
        self.recorder.start()

    def write(self, step: Step) -> None:
        """Pass on what the recorder saw (a source gone or back, a failure) as status
        events; a failure is said once, and decoding goes on."""
        for event in self.recorder.take_events():
            if event.kind == "record_failed":
                self._failure_told = True
                logger.error("%s; decoding goes on", event.message)
            if self._report is not None:
                self._report(StatusEvent(f"recording_{event.kind}", event.message,
                                         event.time))
        if self.recorder.failed and not self._failure_told:
            self._failure_told = True
            message = f"recording stopped: {self.recorder.error}"
            logger.error("%s; decoding goes on", message)
            if self._report is not None:
                self._report(StatusEvent("recording_stopped", message))

    def close(self) -> None:
        """Write the footers and close the file (re-raises a recording failure)."""
        self.recorder.stop()
