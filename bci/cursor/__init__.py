"""Continuous control: a cursor driven by decoded velocity, tasks, and their metrics.

- :mod:`bci.cursor.task`: centre-out and Webgrid-style grid tasks, dwell or click
  selection, success, time to target, path efficiency and bits per second;
- :mod:`bci.cursor.stage`: :class:`CursorStage`, which integrates decoded velocity into
  a position (a post-decoder stage with explicit state);
- :mod:`bci.cursor.user`: a simulated user whose array fires for the velocity they intend;
- :mod:`bci.cursor.loop`: the synchronous closed loop on the virtual clock;
- the command is :mod:`bci.cli.cursor` (``bci cursor``).
"""

from bci.cursor.stage import CursorStage
from bci.cursor.task import CenterOutTask, GridTask, TaskEvent, webgrid_bps
from bci.cursor.user import SimulatedUser, intended_velocity, refit_velocity

__all__ = ["CenterOutTask", "CursorStage", "GridTask", "SimulatedUser", "TaskEvent",
           "intended_velocity", "refit_velocity", "webgrid_bps"]
