"""Continuous control: a cursor driven by decoded velocity, tasks, and their metrics.

- :mod:`bci.cursor.task`: centre-out and Webgrid-style grid tasks, dwell or click
  selection, success, time to target, path efficiency and bits per second;
- :mod:`bci.cursor.stage`: :class:`CursorStage`, which integrates decoded velocity into
  a position, and :class:`CursorTaskStage`, the cursor and the task as the session's
  post-decoder stage (simulated, live and offline runs share it);
- :mod:`bci.cursor.user`: a simulated user whose array fires for the velocity they intend;
- :mod:`bci.cursor.loop`: the synchronous closed loop on the virtual clock;
- :mod:`bci.cursor.live`: the task on a live stream (2-D, or the 1-D motor-imagery cursor);
- the command is :mod:`bci.cli.cursor` (``bci cursor``).
"""

from bci.cursor.stage import CursorStage, CursorTaskStage, CursorUpdate
from bci.cursor.task import CenterOutTask, GridTask, TaskEvent, webgrid_bps
from bci.cursor.user import SimulatedUser, intended_velocity, refit_velocity

__all__ = ["CenterOutTask", "CursorStage", "CursorTaskStage", "CursorUpdate", "GridTask",
           "SimulatedUser", "TaskEvent", "intended_velocity", "refit_velocity",
           "webgrid_bps"]
