"""The runtime: one session loop (source -> pipeline -> stages -> sinks), live or offline.

- :class:`Session` — the loop, on a worker thread (live) or to the end of a recording
  (offline, on the virtual clock);
- :class:`LiveSource`, :class:`VirtualSource` — where its input comes from;
- :func:`run_offline`, :func:`windows_offline`, :func:`run_virtual` — the loop over a file;
- :func:`open_live`, :func:`open_source`, :class:`LiveSetup` — a live session's set-up;
- :func:`pipeline_stages` — the post-decoder stages a config asks for.
"""

from bci.runtime.live import LiveSetup, open_live, open_source
from bci.runtime.offline import run_offline, run_virtual, windows_offline
from bci.runtime.session import STALL_AFTER, Session
from bci.runtime.source import Input, LiveSource, VirtualSource, offline_chunk
from bci.runtime.stages import pipeline_stages

__all__ = ["STALL_AFTER", "Input", "LiveSetup", "LiveSource", "Session", "VirtualSource",
           "offline_chunk", "open_live", "open_source", "pipeline_stages", "run_offline",
           "run_virtual", "windows_offline"]
