"""Receiving a stream: resolve, pull into preallocated arrays, find gaps, reconnect."""

from __future__ import annotations

import numpy as np
import pylsl
from pylsl.util import LostError
from pylsl.util import TimeoutError as LslTimeoutError

from bci.errors import StreamError
from bci.stream.chunk import Chunk, Marker
from bci.stream.description import StreamDescription
from bci.stream.discovery import resolve_stream
from bci.stream.gaps import Gap, GapDetector
from bci.stream.ring import RingBuffer
from bci.stream.units import from_wire, wire_scales

_DTYPES = {pylsl.cf_float32: np.float32, pylsl.cf_double64: np.float64,
           pylsl.cf_int32: np.int32, pylsl.cf_int16: np.int16, pylsl.cf_int8: np.int8,
           pylsl.cf_int64: np.int64}

#: Seconds each step of a reconnection may take (a worker must stay stoppable).
RECONNECT_TIMEOUT = 1.0
#: Seconds without data after which a stalled connection looks for a restarted source.
REPLACED_CHECK = 0.5


class _Connection:
    """One LSL stream's connection, with reconnection to a restarted source.

    liblsl's own recovery waits for its watchdog (15 s by default) before it even tries.
    With ``recover=False`` a withdrawn outlet raises ``LostError`` at once, and this
    class looks for the source again by ``source_id`` (else name and type), taking only
    a stream with a new ``uid`` (the withdrawn outlet may still be announced for a
    moment). A stalled connection is also checked twice a second for a new outlet of
    its source, because liblsl does not always report a withdrawn outlet as lost.
    """

    kind = "stream"

    def __init__(self, query: dict, info: pylsl.StreamInfo | None, timeout: float,
                 recover: bool, max_buffered: int) -> None:
        self._query = query
        self._info = info
        self.timeout = timeout
        self.recover = recover
        self.max_buffered = max_buffered
        self._inlet: pylsl.StreamInlet | None = None
        self._uid = ""
        self.description: StreamDescription | None = None
        self.n_reconnects = 0
        self.lost = False  # the source withdrew its outlet; reconnecting
        self.last_receipt = 0.0  # local_clock() when the last data arrived
        self._last_check = 0.0

    def _resolve(self) -> pylsl.StreamInfo:
        return self._info or resolve_stream(self._query.get("name"),
                                            stype=self._query.get("stype"),
                                            source_id=self._query.get("source_id"),
                                            timeout=self.timeout)

    def _connect(self, info: pylsl.StreamInfo, timeout: float) -> pylsl.StreamInfo:
        """Open an inlet on ``info``; it replaces the current one only once it answers."""
        inlet = pylsl.StreamInlet(info, max_buflen=self.max_buffered, max_chunklen=0,
                                  recover=False, processing_flags=pylsl.proc_clocksync)
        try:
            full = inlet.info(timeout)
            inlet.open_stream(timeout)
            # The first clock-offset estimate blocks; take it now rather than on the
            # first pull, where it would hold up the first samples (and decisions).
            inlet.time_correction(timeout)
        except (LslTimeoutError, LostError) as err:
            inlet.close_stream()
            raise StreamError(f"{self.kind} '{info.name()}' did not answer within "
                              f"{timeout:g} s: is its source still running?") from err
        old, self._inlet, self._uid = self._inlet, inlet, info.uid()
        if old is not None:
            old.close_stream()
        return full

    def _reconnect(self, timeout: float) -> bool:
        d = self.description
        predicate = (f"source_id='{d.source_id}'" if d.source_id
                     else f"name='{d.name}' and type='{d.stype}'")
        found = [info for info in pylsl.resolve_bypred(predicate, 0, timeout)
                 if info.uid() != self._uid]
        if not found:
            return False
        info = max(found, key=lambda i: i.created_at())
        if info.channel_count() != d.n_channels or info.nominal_srate() != d.sfreq:
            raise StreamError(f"{self.kind} '{d.name}' came back with "
                              f"{info.channel_count()} channels at {info.nominal_srate():g} "
                              f"Hz instead of {d.n_channels} at {d.sfreq:g} Hz: restart the "
                              "session")
        try:
            self._connect(info, min(self.timeout, RECONNECT_TIMEOUT))
        except StreamError:
            return False
        self.n_reconnects += 1
        self._on_reconnect()
        return True

    def _on_reconnect(self) -> None:
        """Hook for subclasses."""

    def _lost(self, err: LostError) -> None:
        if not self.recover:
            raise StreamError(f"{self.kind} '{self.description.name}' was lost: restart "
                              "its source, then this program") from err
        self.lost = True

    def _check_replaced(self) -> None:
        now = pylsl.local_clock()
        if not self.recover or now - max(self.last_receipt, self._last_check) < REPLACED_CHECK:
            return
        self._last_check = now
        self._reconnect(0.1)

    def _require(self) -> StreamDescription:
        if self.description is None:
            raise StreamError(f"the {self.kind} inlet is not open: call open() (or use "
                              "'with')")
        return self.description

    def close(self) -> None:
        """Disconnect. Safe to call twice."""
        if self._inlet is not None:
            self._inlet.close_stream()
            self._inlet = None


class Inlet(_Connection):
    """A numeric LSL stream, received as ``(n_channels, n_times)`` chunks in SI units.

    Parameters
    ----------
    name, stype, source_id : str or None
        Which stream to resolve (any combination). Ignored when ``info`` is given.
    info : pylsl.StreamInfo or None
        An already resolved stream.
    timeout : float
        Seconds to wait for the stream to appear and for its meta-data.
    max_chunk : int
        Most samples returned by one ``pull``; the receive buffer is preallocated.
    max_buffered : int
        Seconds that liblsl buffers when this inlet falls behind.
    recover : bool
        Reconnect to a source that withdrew its outlet and came back with the same
        ``source_id`` (else a lost source raises :class:`StreamError`). The samples
        missed meanwhile show as a gap.
    ring_seconds : float
        Keep the newest ``ring_seconds`` of signal in ``self.ring`` (0: no ring).

    Notes
    -----
    Timestamps are corrected to this machine's clock with LSL's clock synchronisation
    (``proc_clocksync``). LSL's dejitter (``proc_dejitter``) is *not* applied: its
    regression smooths a jump of the timestamps across an outage into a run of
    evenly spaced stamps, which hides the very gaps this class must report. Gaps are
    found on the clock-corrected stamps by :class:`GapDetector`.
    """

    kind = "stream"

    def __init__(self, name: str | None = None, *, stype: str | None = None,
                 source_id: str | None = None, info: pylsl.StreamInfo | None = None,
                 timeout: float = 10.0, max_chunk: int = 1024, max_buffered: int = 360,
                 recover: bool = True, ring_seconds: float = 0.0) -> None:
        super().__init__({"name": name, "stype": stype, "source_id": source_id}, info,
                         timeout, recover, max_buffered)
        self.max_chunk = max_chunk
        self.ring_seconds = ring_seconds
        self.ring: RingBuffer | None = None
        self.gaps: list[Gap] = []
        self._gaps_taken = 0
        self.gap_detector: GapDetector | None = None
        self.period = 0.0
        self.n_received = 0
        self.n_duplicates = 0  # samples a reconnection delivered twice, dropped
        self._last_time = -np.inf
        self._resent_guard = False

    def open(self) -> Inlet:
        """Resolve the stream, connect and read its meta-data."""
        info = self._resolve()
        if info.channel_format() == pylsl.cf_string:
            raise StreamError(f"stream '{info.name()}' carries strings (markers), not "
                              "signals: pass it as the marker stream (--markers)")
        full = self._connect(info, self.timeout)
        try:
            self.description = d = StreamDescription.from_lsl(full)
            # Seconds between timestamps (a replay's run `speed` times faster); 0 for an
            # irregular stream (decisions, events), which has no gaps to find.
            self.period = 1.0 / (d.sfreq * d.speed) if d.sfreq > 0 else 0.0
            self._scales = wire_scales(d.units, d.ch_types)
            self._wire = np.empty((self.max_chunk, d.n_channels),
                                  dtype=_DTYPES[info.channel_format()])
            self.gap_detector = GapDetector(self.period) if self.period else None
            if self.ring_seconds > 0 and d.sfreq > 0:
                capacity = max(int(round(self.ring_seconds * d.sfreq)), 1)
                self.ring = RingBuffer(d.n_channels, capacity)
        except BaseException:
            self.close()
            raise
        return self

    def _on_reconnect(self) -> None:
        self._resent_guard = True

    @property
    def sfreq(self) -> float:
        """Nominal sampling rate in Hz."""
        return self._require().sfreq

    def pull(self, timeout: float = 0.1) -> Chunk | None:
        """Wait up to ``timeout`` for samples and return every sample available.

        Blocks in liblsl (``min_samples=1``) rather than polling, so it returns as soon
        as the first sample arrives, and costs no CPU while waiting.

        Returns
        -------
        Chunk or None
            None when nothing arrived within ``timeout``. The chunk's arrays are fresh
            copies the caller may keep.
        """
        self._require()
        if self.lost:
            if not self._reconnect(timeout):
                return None
            self.lost = False
        try:
            wire, stamps = self._inlet.pull_chunk(timeout=timeout, max_samples=self.max_chunk,
                                                  dest_obj=self._wire, min_samples=1,
                                                  as_numpy=True)
        except LostError as err:
            self._lost(err)
            return None
        n = stamps.shape[0]
        if n == 0:
            self._check_replaced()
            return None
        self.last_receipt = pylsl.local_clock()
        data = from_wire(wire, self._scales)
        times = np.array(stamps, dtype=np.float64)
        if self._resent_guard:
            # A new connection may hand over samples the old one already delivered
            # (liblsl reconnects by itself too): keep only what is newer.
            fresh = times > self._last_time
            if not fresh.all():
                self.n_duplicates += int(np.count_nonzero(~fresh))
                data, times = data[:, fresh], times[fresh]
                n = times.shape[0]
                if n == 0:
                    return None
            self._resent_guard = False
        self._last_time = float(times[-1])
        chunk = Chunk(data=data, times=times, first_index=self.n_received)
        self.n_received += n
        if self.gap_detector is not None:
            gaps, _ = self.gap_detector.update(times)
            self.gaps.extend(gaps)
        if self.ring is not None:
            self.ring.write(data, times)
        return chunk

    def take_gaps(self) -> list[Gap]:
        """The gaps found since the previous call (each is handed out once).

        The session loop calls this after every pull, so the gaps of a chunk reach the
        pipeline with that chunk; ``gaps`` keeps the whole record.
        """
        new = self.gaps[self._gaps_taken:]
        self._gaps_taken = len(self.gaps)
        return new

    def __enter__(self) -> Inlet:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


class MarkerInlet(_Connection):
    """A string marker stream, pulled without blocking alongside a signal inlet.

    Reconnects to a restarted source as :class:`Inlet` does, so markers come back as
    soon as the signal does.

    Parameters
    ----------
    name, source_id : str or None
        Which stream to resolve.
    info : pylsl.StreamInfo or None
        An already resolved stream.
    timeout : float
        Seconds to wait for the stream to appear.
    recover : bool
        Reconnect to a restarted source (else a lost source raises StreamError).
    """

    kind = "marker stream"

    def __init__(self, name: str | None = None, *, source_id: str | None = None,
                 info: pylsl.StreamInfo | None = None, timeout: float = 10.0,
                 recover: bool = True) -> None:
        super().__init__({"name": name, "source_id": source_id}, info, timeout, recover,
                         360)

    def open(self) -> MarkerInlet:
        """Resolve and connect."""
        full = self._connect(self._resolve(), self.timeout)
        self.description = StreamDescription.from_lsl(full)
        return self

    def pull(self, timeout: float = 0.0) -> list[Marker]:
        """Every marker available now (waiting up to ``timeout`` for the first)."""
        self._require()
        if self.lost:
            if not self._reconnect(max(timeout, 0.05)):
                return []
            self.lost = False
        try:
            values, stamps = self._inlet.pull_chunk(timeout=timeout, max_samples=1024)
        except LostError as err:
            self._lost(err)
            return []
        if stamps:
            self.last_receipt = pylsl.local_clock()
        return [Marker(label=str(value[0] if isinstance(value, list | tuple) else value),
                       time=float(stamp)) for value, stamp in zip(values, stamps, strict=True)]

    def __enter__(self) -> MarkerInlet:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

