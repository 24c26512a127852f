"""``bci replay --simulate PARADIGM --follow MARKERS``: a simulated headset on LSL.

:class:`FollowPlayer` subscribes to a cue marker stream, tells a
:class:`~bci.datasets.follow.CueFollowingHeadset` about every cue as it arrives, and
pushes the headset's samples on a signal outlet, each stamped with its due time
(``t0 + k / sfreq``) and never pushed before that time has come, as :class:`Player`
does. One thread per player blocks on the marker inlet until the next chunk is due
(never spinning), so a cue reaches the model within a millisecond or so of its
marker, long before any response begins (the earliest, a flash's P1, at 100 ms).
"""

from __future__ import annotations

import logging
import uuid

import pylsl
from pylsl.util import LostError

from bci.datasets.follow import CueFollowingHeadset, Response
from bci.stream.description import StreamDescription
from bci.stream.discovery import resolve_stream
from bci.stream.outlet import Outlet
from bci.worker import Worker

__all__ = ["FollowPlayer", "follow_player"]

logger = logging.getLogger(__name__)

#: Seconds of signal per pushed chunk (amplifiers send 10-40 ms).
CHUNK_SECONDS = 0.02


class FollowPlayer(Worker):
    """Streams a simulated headset that answers the cues of a marker stream.

    Parameters
    ----------
    headset : CueFollowingHeadset
        The signal model (its responses say which labels it answers).
    markers : str
        Name of the cue stream to follow.
    name : str
        Name of the signal stream it pushes.
    source_id : str or None
        ``source_id`` of the signal outlet (default: a fresh random one).
    timeout : float
        Seconds to wait for the cue stream to appear.
    markers_source_id : str or None
        Follow the cue stream with this ``source_id`` (unambiguous where several
        streams share the name).
    use_announced : bool
        Take the responses the cue stream announces in its description
        (``desc/bci/responses``, written by ``bci present``) over the headset's own.
    """

    def __init__(self, headset: CueFollowingHeadset, markers: str, *,
                 name: str = "bci-simulated", source_id: str | None = None,
                 timeout: float = 10.0, use_announced: bool = True,
                 markers_source_id: str | None = None) -> None:
        super().__init__("bci-follow")
        self.headset = headset
        self.markers = markers
        self.markers_source_id = markers_source_id
        self.name = name
        self.source_id = source_id or uuid.uuid4().hex
        self.timeout = timeout
        self.use_announced = use_announced
        self.n_cues = 0
        self.cues: list[tuple[str, float]] = []
        self._inlet: pylsl.StreamInlet | None = None
        self._outlet: Outlet | None = None

    def description(self) -> StreamDescription:
        """The signal stream's description."""
        from bci.present.calibrate import headset_description

        return headset_description(self.headset, self.name, source_id=self.source_id)

    def start(self) -> FollowPlayer:
        """Find the cue stream (raises StreamError if absent), open the outlet, go."""
        from bci.present.calibrate import responses_from_description

        if self.markers_source_id is not None:
            info = resolve_stream(source_id=self.markers_source_id, timeout=self.timeout)
        else:
            info = resolve_stream(self.markers, timeout=self.timeout)
        self._inlet = pylsl.StreamInlet(info, max_buflen=60, recover=True,
                                        processing_flags=pylsl.proc_clocksync)
        full = self._inlet.info(self.timeout)
        self._inlet.open_stream(self.timeout)
        announced = responses_from_description(StreamDescription.from_lsl(full))
        if self.use_announced and announced:
            self.headset.responses = dict(announced)
        self._outlet = Outlet(self.description(), chunk_size=0)
        self.headset.reset(t0=pylsl.local_clock())
        return super().start()

    def _loop(self) -> None:
        headset, inlet = self.headset, self._inlet
        next_push = headset.t0 + CHUNK_SECONDS
        while not self._stop.is_set():
            wait = max(0.0, next_push - pylsl.local_clock())
            try:
                sample, stamp = inlet.pull_sample(timeout=wait)
            except LostError:
                sample = None
            if sample is not None:
                if headset.cue(sample[0], stamp):
                    self.n_cues += 1
                self.cues.append((sample[0], stamp))
                continue  # take every waiting cue before the next chunk
            now = pylsl.local_clock()
            if now >= next_push:
                n = headset.samples_until(now)
                if n:
                    data, times = headset.read(n)
                    self._outlet.push(data, times)
                next_push += CHUNK_SECONDS
                if next_push < now:  # fell behind (a loaded machine): catch up now
                    next_push = now + CHUNK_SECONDS

    def stop(self) -> None:
        """Stop pushing; close the inlet, then the outlet; re-raise a thread failure."""
        self.request_stop()
        self.wait()
        self._thread = None
        if self._inlet is not None:
            self._inlet.close_stream()
            self._inlet = None
        if self._outlet is not None:
            self._outlet.close()
            self._outlet = None
        if self.error is not None:
            error, self.error = self.error, None
            raise error



def follow_player(paradigm: str, markers: str, *, name: str | None = None,
                  seed: int = 0, sfreq: float | None = None,
                  responses: dict[str, Response] | None = None,
                  line_freq: float | None = 50.0, source_id: str | None = None,
                  timeout: float = 10.0) -> FollowPlayer:
    """A :class:`FollowPlayer` for ``bci replay --simulate PARADIGM --follow MARKERS``.

    Call ``start()`` (or use it as a context manager) to begin streaming.

    Parameters
    ----------
    paradigm : str
        ``motor-imagery``, ``ssvep``, ``p300`` or ``emg`` (channels and rate of
        ``bci simulate``).
    markers : str
        The cue stream to follow (``bci present`` names it ``bci-cues``).
    name : str or None
        Signal stream name (default ``bci-simulated``; ``--name``).
    seed : int
        The simulated subject (``--seed``).
    responses : dict or None
        Label -> response; default: what the cue stream announces, else the labels of
        ``bci simulate PARADIGM``.
    """
    headset = CueFollowingHeadset(paradigm, responses=responses, sfreq=sfreq, seed=seed,
                                  line_freq=line_freq)
    return FollowPlayer(headset, markers, name=name or "bci-simulated",
                        source_id=source_id, timeout=timeout,
                        use_announced=responses is None)
