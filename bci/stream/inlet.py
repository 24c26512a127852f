"""Receiving a stream: resolve, pull into preallocated arrays, find gaps."""

from __future__ import annotations

import time

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
from bci.stream.units import wire_scales

_DTYPES = {pylsl.cf_float32: np.float32, pylsl.cf_double64: np.float64,
           pylsl.cf_int32: np.int32, pylsl.cf_int16: np.int16, pylsl.cf_int8: np.int8,
           pylsl.cf_int64: np.int64}


class Inlet:
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

    def __init__(self, name: str | None = None, *, stype: str | None = None,
                 source_id: str | None = None, info: pylsl.StreamInfo | None = None,
                 timeout: float = 10.0, max_chunk: int = 1024, max_buffered: int = 360,
                 recover: bool = True, ring_seconds: float = 0.0) -> None:
        self._query = {"name": name, "stype": stype, "source_id": source_id}
        self._info = info
        self.timeout = timeout
        self.max_chunk = max_chunk
        self.max_buffered = max_buffered
        self.recover = recover
        self.ring_seconds = ring_seconds
        self._inlet: pylsl.StreamInlet | None = None
        self.description: StreamDescription | None = None
        self.ring: RingBuffer | None = None
        self.gaps: list[Gap] = []
        self.n_received = 0
        self.n_reconnects = 0
        self.lost = False  # the source withdrew its outlet; reconnecting
        self._last_check = 0.0
        self._last_time = -np.inf
        self._resent_guard = False
        self.n_duplicates = 0  # samples a reconnection delivered twice, dropped
        self.last_receipt = 0.0  # local_clock() when the last data arrived

    def open(self) -> Inlet:
        """Resolve the stream, connect and read its meta-data."""
        info = self._info or resolve_stream(self._query["name"], stype=self._query["stype"],
                                            source_id=self._query["source_id"],
                                            timeout=self.timeout)
        if info.channel_format() == pylsl.cf_string:
            raise StreamError(f"stream '{info.name()}' carries strings (markers), not "
                              "signals: pass it as the marker stream (--markers)")
        full = self._connect(info)
        self.description = StreamDescription.from_lsl(full)
        d = self.description
        self._scales = wire_scales(d.units, d.ch_types)
        self._wire = np.empty((self.max_chunk, d.n_channels),
                              dtype=_DTYPES[info.channel_format()])
        speed = float(d.metadata.get("speed", 1.0) or 1.0)
        period = 1.0 / (d.sfreq * speed) if d.sfreq > 0 else 0.0
        self.gap_detector = GapDetector(period) if period else None
        if self.ring_seconds > 0 and d.sfreq > 0:
            capacity = max(int(round(self.ring_seconds * d.sfreq)), 1)
            self.ring = RingBuffer(d.n_channels, capacity)
        return self

    def _connect(self, info: pylsl.StreamInfo) -> pylsl.StreamInfo:
        # liblsl's own recovery waits for its watchdog (15 s by default) before it even
        # tries; with recover=False a withdrawn outlet raises LostError at once, and
        # this class reconnects by source_id itself (see pull).
        self._uid = info.uid()
        self._inlet = pylsl.StreamInlet(info, max_buflen=self.max_buffered,
                                        max_chunklen=0, recover=False,
                                        processing_flags=pylsl.proc_clocksync)
        try:
            full = self._inlet.info(self.timeout)
            self._inlet.open_stream(self.timeout)
            # The first clock-offset estimate blocks; take it now rather than on the
            # first pull, where it would hold up the first samples (and decisions).
            self._inlet.time_correction(self.timeout)
        except (LslTimeoutError, LostError) as err:
            self.close()
            raise StreamError(f"stream '{info.name()}' did not answer within "
                              f"{self.timeout:g} s: is its source still running?") from err
        return full

    def _reconnect(self, timeout: float) -> bool:
        """Look for the lost source again (by source_id, else name and type).

        The withdrawn outlet may still be announced for a moment: only a stream with a
        new ``uid`` (a new outlet) is taken.
        """
        d = self.description
        if d.source_id:
            predicate = f"source_id='{d.source_id}'"
        else:
            predicate = f"name='{d.name}' and type='{d.stype}'"
        found = [info for info in pylsl.resolve_bypred(predicate, 0, timeout)
                 if info.uid() != self._uid]
        if not found:
            return False
        info = max(found, key=lambda i: i.created_at())
        if info.channel_count() != d.n_channels or info.nominal_srate() != d.sfreq:
            raise StreamError(f"stream '{d.name}' came back with {info.channel_count()} "
                              f"channels at {info.nominal_srate():g} Hz instead of "
                              f"{d.n_channels} at {d.sfreq:g} Hz: restart the session")
        try:
            self._connect(info)
        except StreamError:
            return False
        self.n_reconnects += 1
        self._resent_guard = True
        return True

    def _check_replaced(self) -> None:
        """While no data comes, look (twice a second) for a new outlet of the source.

        liblsl does not always report a withdrawn outlet as lost (LostError); a source
        that restarted then shows up as a new ``uid`` with our ``source_id``.
        """
        now = pylsl.local_clock()
        if (not self.recover or now - max(self.last_receipt, self._last_check) < 0.5):
            return
        self._last_check = now
        old = self._inlet
        if self._reconnect(0.1) and old is not None:
            old.close_stream()

    @property
    def sfreq(self) -> float:
        """Nominal sampling rate in Hz."""
        return self._require().sfreq

    def _require(self) -> StreamDescription:
        if self.description is None:
            raise StreamError("the inlet is not open: call open() (or use 'with Inlet(...)')")
        return self.description

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
            self.close()
            if not self.recover:
                raise StreamError(f"stream '{self.description.name}' was lost: restart "
                                  "its source, then this program") from err
            self.lost = True
            return None
        n = stamps.shape[0]
        if n == 0:
            self._check_replaced()
            return None
        self.last_receipt = pylsl.local_clock()
        data = np.multiply(wire.T, self._scales, dtype=np.float64)
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

    def close(self) -> None:
        """Disconnect. Safe to call twice."""
        if self._inlet is not None:
            self._inlet.close_stream()
            del self._inlet
            self._inlet = None

    def __enter__(self) -> Inlet:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


class MarkerInlet:
    """A string marker stream, pulled without blocking alongside a signal inlet.

    Parameters
    ----------
    name, source_id : str or None
        Which stream to resolve.
    info : pylsl.StreamInfo or None
        An already resolved stream.
    timeout : float
        Seconds to wait for the stream to appear.
    """

    def __init__(self, name: str | None = None, *, source_id: str | None = None,
                 info: pylsl.StreamInfo | None = None, timeout: float = 10.0,
                 recover: bool = True) -> None:
        self._query = {"name": name, "source_id": source_id}
        self._info = info
        self.timeout = timeout
        self.recover = recover
        self._inlet: pylsl.StreamInlet | None = None
        self.description: StreamDescription | None = None

    def open(self) -> MarkerInlet:
        """Resolve and connect."""
        info = self._info or resolve_stream(self._query["name"],
                                            source_id=self._query["source_id"],
                                            timeout=self.timeout)
        self._inlet = pylsl.StreamInlet(info, max_buflen=360, recover=self.recover,
                                        processing_flags=pylsl.proc_clocksync)
        try:
            full = self._inlet.info(self.timeout)
            self._inlet.open_stream(self.timeout)
            self._inlet.time_correction(self.timeout)  # see Inlet.open
        except LslTimeoutError as err:
            self.close()
            raise StreamError(f"marker stream '{info.name()}' did not answer within "
                              f"{self.timeout:g} s: is its source still running?") from err
        self.description = StreamDescription.from_lsl(full)
        return self

    def pull(self, timeout: float = 0.0) -> list[Marker]:
        """Every marker available now (waiting up to ``timeout`` for the first)."""
        if self._inlet is None:
            raise StreamError("the marker inlet is not open: call open()")
        values, stamps = self._inlet.pull_chunk(timeout=timeout, max_samples=1024)
        markers = []
        for value, stamp in zip(values, stamps, strict=True):
            label = value[0] if isinstance(value, list | tuple) else value
            markers.append(Marker(label=str(label), time=float(stamp)))
        return markers

    def close(self) -> None:
        """Disconnect. Safe to call twice."""
        if self._inlet is not None:
            self._inlet.close_stream()
            del self._inlet
            self._inlet = None

    def __enter__(self) -> MarkerInlet:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_for_data(inlet: Inlet, n_samples: int, timeout: float) -> list[Chunk]:
    """Pull until ``n_samples`` arrived or ``timeout`` passed (a helper for scripts)."""
    chunks: list[Chunk] = []
    got = 0
    deadline = time.monotonic() + timeout
    while got < n_samples and time.monotonic() < deadline:
        chunk = inlet.pull(timeout=min(0.2, max(deadline - time.monotonic(), 0.0)))
        if chunk is not None:
            chunks.append(chunk)
            got += chunk.n_times
    return chunks
