"""The task's state over LSL: where the cursor and the target are, and what the task did.

A live ``bci cursor`` publishes two streams beside its input ``N``:

- ``N-cursor`` (irregular, float64): one sample per decision, channels
  :data:`STATE_CHANNELS` (``cursor_x``, ``cursor_y``, ``target_x``, ``target_y``,
  ``target``, ``click``, ``window_end``), stamped when the cursor moved. A simulated user
  (:class:`bci.cursor.user_stream.SimulatedUserOutlet`) reads it to intend towards the
  target from where the cursor is; a game or a logger can follow the task with it.
- ``N-cursor-events`` (string markers): ``target 12``, ``correct 12``, ``incorrect 12 5``
  (cued, then selected), ``timeout 12``, stamped as the state sample of the same decision.
"""

from __future__ import annotations

import numpy as np

from bci.cursor.task import TaskEvent
from bci.pipeline.step import SessionInfo, Step
from bci.stream.description import StreamDescription
from bci.stream.outlet import Outlet

STATE_CHANNELS = ("cursor_x", "cursor_y", "target_x", "target_y", "target", "click",
                  "window_end")


def event_label(event: TaskEvent) -> str:
    """The marker of a task event: its kind, the cued target, and the selected one."""
    if event.kind == "incorrect":
        return f"incorrect {event.target} {event.selected}"
    return f"{event.kind} {event.target}"


def state_description(name: str, *, source_id: str = "") -> StreamDescription:
    """The description of the ``N-cursor`` state stream."""
    return StreamDescription(name=name, stype="CursorState", sfreq=0.0,
                             ch_names=STATE_CHANNELS, ch_types=("misc",) * len(STATE_CHANNELS),
                             units=("",) * len(STATE_CHANNELS), channel_format="double64",
                             source_id=source_id,
                             metadata={"workspace": [-1.0, 1.0], "y": "up"})


class CursorStreamSink:
    """A session sink pushing each decision's cursor state and the task's events.

    Parameters
    ----------
    name : str
        The state stream's name (``<input>-cursor``); events go to ``<name>-events``.
    source_id : str
        Source id of the state stream (``<source_id>-events`` for the events).
    first_events : sequence of TaskEvent
        Events from before the first decision (the first cue), pushed with the first
        decision's state: a reader that subscribed before the signal flowed gets them.
    """

    def __init__(self, name: str, *, source_id: str = "",
                 first_events: tuple[TaskEvent, ...] | list[TaskEvent] = ()) -> None:
        self.name = name
        self.state = Outlet(state_description(name, source_id=source_id))
        self.events = Outlet(StreamDescription.for_markers(
            f"{name}-events", source_id=f"{source_id}-events" if source_id else ""))
        self._first = list(first_events)
        self.n_pushed = 0

    def open(self, info: SessionInfo) -> None:
        """Nothing to prepare (the streams exist from construction)."""

    def write(self, step: Step) -> None:
        """One state sample per cursor update, then its events, at the push time."""
        updates = step.outputs.get("cursor", ())
        if not updates:
            return
        import pylsl

        now = step.now if step.now is not None else pylsl.local_clock()
        for event in self._first:
            self.events.push_marker(event_label(event), now)
        self._first = []
        for u in updates:
            sample = np.array([u.position[0], u.position[1], u.target_xy[0], u.target_xy[1],
                               -1.0 if u.target is None else float(u.target),
                               float(u.click), u.window_end])
            self.state.push_sample(sample, now)
            for event in u.events:
                self.events.push_marker(event_label(event), now)
            self.n_pushed += 1

    def close(self) -> None:
        """Withdraw both streams."""
        self.state.close()
        self.events.close()


__all__ = ["STATE_CHANNELS", "CursorStreamSink", "event_label", "state_description"]
