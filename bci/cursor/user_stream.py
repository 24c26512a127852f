"""A simulated user across a real LSL hop: the array fires for what the user intends,
given the cursor the task publishes.

:class:`SimulatedUserOutlet` is the hardware stand-in of a live closed loop. It pushes
the simulated array's spike counts as stream ``N`` (paced in real time, or ``speed``
times faster, announced as a replay does), and reads ``N-cursor``
(:mod:`bci.cursor.streams`), the live task's state: each block of ``step`` samples fires
for :func:`~bci.cursor.user.intended_velocity` from where the cursor was last seen
towards the target last cued. So the loop closes over LSL both ways: decoder errors,
and the network's and the session's delays, feed back into the intention as they do for
a person watching a screen.
"""

from __future__ import annotations

import uuid

import numpy as np
import pylsl

from bci.cursor.user import SimulatedUser, intended_velocity
from bci.errors import StreamError
from bci.stream.description import StreamDescription
from bci.stream.outlet import Outlet
from bci.worker import Worker


class SimulatedUserOutlet(Worker):
    """The simulated array as LSL stream ``name``, intending towards ``name-cursor``.

    Parameters
    ----------
    user : SimulatedUser
        Its neurons (the calibration's, for a decoder trained on it to fit).
    name : str
        The signal stream; the task's state is read from ``<name>-cursor``.
    ch_names : list of str
        Channel names (the model's).
    step : int
        Samples per block: the intention is updated once per block.
    speed : float
        Timestamps run ``speed`` times faster than real time (as ``bci replay --speed``).
    timeout : float
        Seconds to wait for the task (its consumer, then ``<name>-cursor``).
    source_id : str or None
        Of the signal stream (default: a fresh one).

    Attributes
    ----------
    n_pushed : int
        Samples pushed.
    n_states : int
        Cursor states received.
    """

    def __init__(self, user: SimulatedUser, name: str, ch_names: list[str], *,
                 step: int = 20, speed: float = 1.0, timeout: float = 30.0,
                 source_id: str | None = None) -> None:
        super().__init__("bci-simulated-user")
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed!r}")
        self.user, self.name, self.step, self.speed = user, name, int(step), float(speed)
        self.timeout = float(timeout)
        self.outlet = Outlet(StreamDescription.for_signal(
            name, "SEEG", user.sfreq, list(ch_names), ["seeg"] * len(ch_names),
            source_id=source_id or uuid.uuid4().hex,
            metadata={"speed": self.speed, "simulated": "cursor user"}))
        self.position = np.zeros(2)
        self.target: np.ndarray | None = None
        self.n_pushed = 0
        self.n_states = 0

    def _open_state(self) -> pylsl.StreamInlet:
        found = pylsl.resolve_byprop("name", f"{self.name}-cursor", 1, self.timeout)
        if not found:
            raise StreamError(f"the task's stream '{self.name}-cursor' did not appear "
                              f"within {self.timeout:g} s: is 'bci cursor' running on "
                              f"'{self.name}'?")
        inlet = pylsl.StreamInlet(found[0], processing_flags=pylsl.proc_clocksync)
        inlet.open_stream(self.timeout)
        return inlet

    def _read_state(self, inlet: pylsl.StreamInlet) -> None:
        samples, _ = inlet.pull_chunk(timeout=0.0)
        if samples:
            last = samples[-1]  # cursor_x, cursor_y, target_x, target_y, ...
            self.position = np.array(last[:2], dtype=float)
            self.target = np.array(last[2:4], dtype=float)
            self.n_states += len(samples)

    def _loop(self) -> None:
        if not self.outlet.wait_for_consumers(self.timeout):
            raise StreamError(f"nobody subscribed to '{self.name}' within "
                              f"{self.timeout:g} s")
        state = self._open_state()
        try:
            sfreq, step = self.user.sfreq, self.step
            t0 = pylsl.local_clock()
            index = 0
            while not self._stop.is_set():
                self._read_state(state)
                intended = (np.zeros(2) if self.target is None
                            else intended_velocity(self.position, self.target))
                counts = self.user.counts(intended, step)
                times = t0 + (index + np.arange(step)) / (sfreq * self.speed)
                wait = times[-1] - pylsl.local_clock()  # never push a sample early
                if wait > 0 and self._stop.wait(wait):
                    break
                self.outlet.push(counts, times)
                index += step
                self.n_pushed = index
        finally:
            state.close_stream()

    def close(self) -> None:
        """Stop (if running) and withdraw the stream."""
        if self.is_running():
            self.stop()
        self.outlet.close()


__all__ = ["SimulatedUserOutlet"]
