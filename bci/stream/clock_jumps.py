"""Telling a jump of the source's clock from a real gap, by the receiver's clock.

A source that stops sending for a while leaves a step in its timestamps *and* in the
times its samples arrive. A source whose clock jumps (an NTP step, a device re-syncing
its clock: labstreaminglayer issues #131 and #134) leaves a step in its timestamps only:
its samples keep arriving on time. The offset ``arrival - timestamp`` of each chunk
tells the two apart: a real gap leaves it where it was, a clock jump moves it by the
size of the jump. Arrival times carry the network's and the reader's delays (which only
ever add), so the offset's baseline is the minimum over recent chunks, and a step counts
as a jump only when it moves that offset by more than four times its recent spread
(median minus minimum, so that a few late pulls on a busy machine do not hide a jump), and
at least :data:`MIN_JUMP` seconds), once :data:`MIN_BASELINE` chunks have set the
baseline: a jittery source never re-bases its stamps.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

#: Smallest timestamp step (seconds, beyond one period) examined as a possible jump.
MIN_JUMP = 0.05
#: Chunks whose ``arrival - timestamp`` offsets form the baseline.
BASELINE_CHUNKS = 64
#: Chunks needed before the baseline is trusted.
MIN_BASELINE = 6
#: First chunks after connecting left out of the baseline: they carry the backlog liblsl
#: buffered while connecting, so their offsets are too large.
SKIPPED_CHUNKS = 2


@dataclass(frozen=True)
class ClockJump:
    """A step of the source's timestamps that the arrival times did not make.

    Attributes
    ----------
    index : int
        Index (in samples seen by the watch) of the first sample after the jump.
    time : float
        Its timestamp as the source stamped it.
    size : float
        Seconds the source's clock jumped (negative: backwards); later stamps are
        re-based by ``-size``.
    """

    index: int
    time: float
    size: float


class ClockJumpWatch:
    """Finds clock jumps in a stream of timestamps and re-bases the stamps after them.

    After a jump of ``size`` seconds, every later stamp is moved by ``-size``, so the
    stamps stay continuous (one period per sample) and on the receiver's clock as they
    were before the jump: windows, gaps and latency are measured as if the source's
    clock had never jumped. ``shift`` is the total correction in use.

    Parameters
    ----------
    period : float
        Expected seconds between timestamps.
    """

    def __init__(self, period: float) -> None:
        self.period = period
        self.reset()

    def reset(self) -> None:
        """Forget the baseline, the last stamp and the correction (a new source)."""
        self._last_time: float | None = None
        self._offsets: deque[float] = deque(maxlen=BASELINE_CHUNKS)
        self._n_chunks = 0
        self.shift = 0.0
        self.n_samples = 0
        self.n_jumps = 0

    def rebase(self, times: np.ndarray, arrival: float) -> tuple[np.ndarray, ClockJump | None]:
        """Correct a chunk's timestamps for the jumps found so far (and in it).

        Parameters
        ----------
        times : ndarray, shape (n_times,)
            The chunk's timestamps (clock-corrected source stamps); not modified.
        arrival : float
            Receiver time (``pylsl.local_clock()``) at which the chunk was received.

        Returns
        -------
        times : ndarray, shape (n_times,)
            The stamps after every correction.
        jump : ClockJump or None
            A jump found in this chunk (at most one per chunk: the largest step).
        """
        n = times.shape[0]
        if n == 0:
            return times, None
        if self.shift:
            times = times - self.shift
        first = self.n_samples
        self.n_samples += n
        jump = None
        if self._last_time is not None and len(self._offsets) >= MIN_BASELINE:
            steps = np.diff(times, prepend=self._last_time)
            excess = steps - self.period
            k = int(np.argmax(np.abs(excess)))
            size = float(excess[k])
            if abs(size) > max(MIN_JUMP, 2.0 * self.period):
                baseline = min(self._offsets)
                # Median, not maximum: one pull delayed by a busy machine must not make
                # every jump too small to see for the next 64 chunks.
                spread = float(np.median(self._offsets)) - baseline
                moved = (arrival - float(times[-1])) - baseline
                # A forward jump lowers the offset, a backward one raises it, by about
                # the size of the jump; a real gap leaves it alone.
                if (-moved * np.sign(size) > 0.5 * abs(size)
                        and abs(moved) > max(4.0 * spread, MIN_JUMP)):
                    times = times.copy()
                    times[k:] -= size
                    self.shift += size
                    self.n_jumps += 1
                    jump = ClockJump(index=first + k, time=float(times[k] + size), size=size)
        self._last_time = float(times[-1])
        self._n_chunks += 1
        if self._n_chunks > SKIPPED_CHUNKS:
            self._offsets.append(arrival - float(times[-1]))
        return times, jump
