"""Receiving a stream: resolve, pull into preallocated arrays, find gaps, reconnect."""

from __future__ import annotations

import ctypes
import math

import numpy as np
import pylsl
from pylsl.util import LostError
from pylsl.util import TimeoutError as LslTimeoutError

from bci.errors import StreamError
from bci.stream.chunk import Chunk, Marker
from bci.stream.clock_jumps import ClockJumpWatch
from bci.stream.description import StreamDescription
from bci.stream.discovery import (
    describe_source,
    query_clauses,
    rank_candidates,
    resolve_candidates,
)
from bci.stream.events import InletEvent
from bci.stream.file_clock import TOLERANCE, parse_cue
from bci.stream.gaps import Gap, GapDetector
from bci.stream.ring import RingBuffer
from bci.stream.units import from_wire, wire_scales

_DTYPES = {pylsl.cf_float32: np.float32, pylsl.cf_double64: np.float64,
           pylsl.cf_int32: np.int32, pylsl.cf_int16: np.int16, pylsl.cf_int8: np.int8,
           pylsl.cf_int64: np.int64}

#: Seconds each step of a reconnection may take (a worker must stay stoppable).
RECONNECT_TIMEOUT = 1.0
#: Seconds without data after which a stalled connection looks for a newer source, and
#: between two such looks (liblsl does not always report a withdrawn outlet as lost).
REPLACED_CHECK = 0.25
#: Seconds without a clock jump after which a run of jumps is reported as over.
JUMP_RUN_QUIET = 2.0
#: Seconds after opening at which other sources answering the same query are named.
AMBIGUITY_CHECK = 1.0


#: Largest ``max_chunk`` (samples per pull; the receive buffer is preallocated).
MAX_CHUNK = 1 << 20
#: Longest ring buffer, in seconds (a day: more is a typo, and memory).
MAX_RING_SECONDS = 86_400.0


def _check_seconds(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise StreamError(f"{name} must be a finite number of seconds >= 0, got {value!r}")


class _Connection:
    """One LSL stream's connection, with reconnection to a restarted or replaced source.

    liblsl's own recovery waits for its watchdog (15 s by default) and follows only the
    old ``source_id``; many amplifier apps make a new one each time they start. With
    ``recover=False`` on the liblsl side, a withdrawn outlet raises ``LostError`` at once,
    and this class looks again by the user's query (name, type and/or source_id; for an
    inlet opened on a resolved ``info``: the same source_id, or the same name and type),
    through a liblsl continuous resolver, so a look costs no waiting.

    The rule where several sources answer: a source with the old ``source_id`` first,
    else the most recently created one; the others are named in a ``source_ambiguous``
    event. A source whose channel count, rate, format kind or channel labels differ from
    the stream's is refused (a ``source_refused`` event, once per source) and never
    connected, and the search goes on. A connection that stalls for
    :data:`REPLACED_CHECK` seconds also switches to a *newer* source answering the query.
    What happened is in :meth:`take_events`.
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
        self._created_at = 0.0
        self._used: set[str] = set()  # uids connected before (a withdrawn one lingers)
        self._refused: set[str] = set()
        self._resolver: pylsl.ContinuousResolver | None = None
        self._events: list[InletEvent] = []
        self._opened_at = 0.0
        self._ambiguity_checked = False
        self._others_at_open: list[pylsl.StreamInfo] = []
        self.description: StreamDescription | None = None
        self.n_reconnects = 0
        self.n_refused = 0
        self.lost = False  # the source withdrew its outlet; reconnecting
        self.last_receipt = 0.0  # local_clock() when the last data arrived
        self._last_check = 0.0

    # -- events ---------------------------------------------------------------------

    def take_events(self) -> list[InletEvent]:
        """The events since the last call, oldest first (and forget them)."""
        events, self._events = self._events, []
        return events

    def _event(self, kind: str, message: str, **details: object) -> None:
        self._events.append(InletEvent(kind, message, pylsl.local_clock(), details))

    # -- finding the source ---------------------------------------------------------

    def _resolve(self) -> pylsl.StreamInfo:
        if self._info is not None:
            return self._info
        chosen, *others = resolve_candidates(self._query.get("name"),
                                             stype=self._query.get("stype"),
                                             source_id=self._query.get("source_id"),
                                             timeout=self.timeout)
        self._others_at_open = others
        return chosen

    def _name_others_at_open(self, chosen: pylsl.StreamInfo) -> None:
        """The ``source_ambiguous`` event for sources that answered with the chosen one."""
        others, self._others_at_open = self._others_at_open, []
        if others:
            self._ambiguity_checked = True  # named now, not again a second later
            self._ambiguous(chosen, others)

    def _predicate(self) -> str:
        clauses = query_clauses(self._query.get("name"), stype=self._query.get("stype"),
                                source_id=self._query.get("source_id"))
        if clauses:
            return " and ".join(clauses)
        d = self.description  # opened on a resolved info: its identity is the query
        same = " and ".join(query_clauses(d.name, stype=d.stype))
        if d.source_id:
            return f"{query_clauses(source_id=d.source_id)[0]} or ({same})"
        return same

    def _query_text(self) -> str:
        return self._predicate().replace(" and ", ", ")

    def _open_inlet(self, info: pylsl.StreamInfo, timeout: float
                    ) -> tuple[pylsl.StreamInlet, pylsl.StreamInfo]:
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
        return inlet, full

    def _adopt(self, inlet: pylsl.StreamInlet, info: pylsl.StreamInfo) -> None:
        old, self._inlet, self._uid = self._inlet, inlet, info.uid()
        self._created_at = info.created_at()
        self._used.add(self._uid)
        if old is not None:
            old.close_stream()

    def _connect(self, info: pylsl.StreamInfo, timeout: float) -> pylsl.StreamInfo:
        """Open an inlet on ``info`` (the first connection)."""
        inlet, full = self._open_inlet(info, timeout)
        self._adopt(inlet, info)
        self._opened_at = pylsl.local_clock()
        return full

    def _watch(self) -> None:
        """Start looking for sources answering the query (in liblsl, no waiting)."""
        if self.recover and self._resolver is None:
            self._resolver = pylsl.ContinuousResolver(pred=self._predicate())

    def _candidates(self, wait: float) -> list[pylsl.StreamInfo]:
        found = self._resolver.results() if self._resolver is not None else []
        fresh = [i for i in found if i.uid() not in self._used and i.uid() not in self._refused]
        if not fresh and wait > 0:
            # Nothing known yet: wait (in liblsl, not spinning) for an answer.
            found = pylsl.resolve_bypred(self._predicate(), 0, wait)
            fresh = [i for i in found
                     if i.uid() not in self._used and i.uid() not in self._refused]
        return rank_candidates(fresh, self.description.source_id)

    def _mismatch(self, info: pylsl.StreamInfo, full: bool) -> str | None:
        """Why ``info`` cannot stand in for the stream (None: it can)."""
        d = self.description
        is_string = info.channel_format() == pylsl.cf_string
        if is_string != (d.channel_format == "string"):
            return "strings instead of numbers" if is_string else "numbers instead of strings"
        if info.channel_count() != d.n_channels or info.nominal_srate() != d.sfreq:
            return (f"{info.channel_count()} channels at {info.nominal_srate():g} Hz instead "
                    f"of {d.n_channels} at {d.sfreq:g} Hz")
        if full:
            new = StreamDescription.from_lsl(info)
            if new.speed != d.speed:
                return f"replay speed {new.speed:g} instead of {d.speed:g}"
            if new.ch_names != d.ch_names:
                changed = [f"{a}->{b}" for a, b in zip(d.ch_names, new.ch_names, strict=True)
                           if a != b]
                return "other channel labels (" + ", ".join(changed[:4]) + ")"
        return None

    def _refuse(self, info: pylsl.StreamInfo, problem: str) -> None:
        self._refused.add(info.uid())
        self.n_refused += 1
        self._event("source_refused",
                    f"{self.kind} {describe_source(info)} refused: {problem}; its data "
                    f"would be decoded wrongly, so it is ignored and the search for "
                    f"{self._query_text()} goes on",
                    uid=info.uid(), source_id=info.source_id(), problem=problem)

    def _reconnect(self, wait: float, newer_only: bool = False) -> bool:
        """Connect to the best source answering the query; False if none (yet)."""
        ranked = self._candidates(wait)
        if newer_only:
            ranked = [i for i in ranked if i.created_at() > self._created_at]
        for info in ranked:
            problem = self._mismatch(info, full=False)
            if problem is None:
                try:
                    inlet, full = self._open_inlet(info, min(self.timeout, RECONNECT_TIMEOUT))
                except StreamError:
                    continue  # gone again before it answered
                problem = self._mismatch(full, full=True)
                if problem is not None:
                    inlet.close_stream()
            if problem is not None:
                self._refuse(info, problem)
                continue
            old = self.description
            self._adopt(inlet, info)
            self.n_reconnects += 1
            others = [o for o in ranked if o is not info and o.uid() not in self._refused]
            if others:
                self._ambiguous(info, others)
            self._on_reconnect(old, full)
            return True
        return False

    def _ambiguous(self, chosen: pylsl.StreamInfo | None, others: list) -> None:
        which = describe_source(chosen) if chosen is not None else f"'{self.description.name}'"
        self._event("source_ambiguous",
                    f"{len(others) + 1} sources answer {self._query_text()}: using {which} "
                    "(rule: same source_id, else the newest), not "
                    + "; ".join(describe_source(o) for o in others),
                    others=[o.uid() for o in others])

    def _check_ambiguity(self, now: float) -> None:
        if (self._ambiguity_checked or self._resolver is None
                or now - self._opened_at < AMBIGUITY_CHECK):
            return
        self._ambiguity_checked = True
        others = [i for i in self._resolver.results()
                  if i.uid() not in self._used and i.uid() not in self._refused]
        if others:
            self._ambiguous(None, others)

    def _on_reconnect(self, old: StreamDescription, full: pylsl.StreamInfo) -> None:
        """Hook for subclasses: a new source is connected (its full info)."""

    def _lost(self, err: LostError) -> None:
        if not self.recover:
            raise StreamError(f"{self.kind} '{self.description.name}' was lost: restart "
                              "its source, then this program") from err
        self.lost = True
        silent = pylsl.local_clock() - self.last_receipt if self.last_receipt else 0.0
        self._event("source_lost",
                    f"{self.kind} '{self.description.name}' lost (its outlet was withdrawn; "
                    f"last data {silent:.1f} s ago): looking for {self._query_text()}",
                    uid=self._uid, source_id=self.description.source_id)

    def _check_replaced(self) -> None:
        now = pylsl.local_clock()
        self._check_ambiguity(now)
        if not self.recover or now - max(self.last_receipt, self._last_check) < REPLACED_CHECK:
            return
        self._last_check = now
        if self._reconnect(0.0, newer_only=True):
            self.lost = False

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
        if self._resolver is not None:
            # Freed now, not whenever the garbage collector gets to it (liblsl keeps
            # querying the network until then); pylsl's destructor is its only close.
            self._resolver.__del__()
            self._resolver.obj = ctypes.c_void_p()  # liblsl deletes a null one as a no-op
            self._resolver = None


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
        Reconnect to a source that withdrew its outlet and came back, under the same
        ``source_id`` or another one answering the query (else a lost source raises
        :class:`StreamError`). The samples missed meanwhile show as a gap.
    ring_seconds : float
        Keep the newest ``ring_seconds`` of signal in ``self.ring`` (0: no ring).

    Notes
    -----
    Timestamps are corrected to this machine's clock with LSL's clock synchronisation
    (``proc_clocksync``). LSL's dejitter (``proc_dejitter``) is *not* applied: its
    regression smooths a jump of the timestamps across an outage into a run of
    evenly spaced stamps, which hides the very gaps this class must report. Gaps are
    found on the clock-corrected stamps by :class:`GapDetector`.

    A jump of the source's clock (its stamps step while its samples keep arriving on
    time, by this machine's clock) is not a gap: :class:`ClockJumpWatch` finds it from
    the arrival times and re-bases the later stamps by the jump, so they stay
    continuous and latency stays measured on this machine's clock; ``clock`` says which
    time base is in use, ``clock_shift`` by how much. Connection and clock events are
    in :meth:`take_events` (see :mod:`bci.stream.events`).
    """

    kind = "stream"

    def __init__(self, name: str | None = None, *, stype: str | None = None,
                 source_id: str | None = None, info: pylsl.StreamInfo | None = None,
                 timeout: float = 10.0, max_chunk: int = 1024, max_buffered: int = 360,
                 recover: bool = True, ring_seconds: float = 0.0) -> None:
        _check_seconds("timeout", timeout)
        if not (isinstance(max_chunk, int) and 1 <= max_chunk <= MAX_CHUNK):
            raise StreamError(f"max_chunk must be a whole number of samples from 1 to "
                              f"{MAX_CHUNK}, got {max_chunk!r}")
        if not (isinstance(max_buffered, int) and max_buffered >= 1):
            raise StreamError(f"max_buffered must be a whole number of seconds >= 1, got "
                              f"{max_buffered!r}: liblsl would drop what it cannot buffer")
        if not (math.isfinite(ring_seconds) and 0 <= ring_seconds <= MAX_RING_SECONDS):
            raise StreamError(f"ring_seconds must be from 0 to {MAX_RING_SECONDS:g}, got "
                              f"{ring_seconds!r}")
        super().__init__({"name": name, "stype": stype, "source_id": source_id}, info,
                         timeout, recover, max_buffered)
        self.max_chunk = max_chunk
        self.ring_seconds = ring_seconds
        self.ring: RingBuffer | None = None
        self.gaps: list[Gap] = []
        self._gaps_taken = 0
        self.gap_detector: GapDetector | None = None
        self.clock_watch: ClockJumpWatch | None = None
        self.period = 0.0
        self.n_received = 0
        self.n_duplicates = 0  # samples a reconnection delivered twice, dropped
        self.n_outages = 0  # outages ended by a reconnection (each reported once)
        self.outage_seconds = 0.0  # their total length, from the timestamps either side
        self._last_time = -np.inf
        self._resent_guard = False
        self._replaced: dict | None = None  # a reconnection awaiting its first samples
        self._jump_run: dict | None = None  # the current run of clock jumps

    def open(self) -> Inlet:
        """Resolve the stream, connect and read its meta-data."""
        info = self._resolve()
        if info.channel_format() == pylsl.cf_string:
            raise StreamError(f"stream '{info.name()}' carries strings (markers), not "
                              "signals: pass it as the marker stream (--markers)")
        full = self._connect(info, self.timeout)
        try:
            self.description = d = StreamDescription.from_lsl(full)
            self._name_others_at_open(info)
            self._layout(full)
            self.gap_detector = GapDetector(self.period) if self.period else None
            self.clock_watch = ClockJumpWatch(self.period) if self.period else None
            if self.ring_seconds > 0 and d.sfreq > 0:
                capacity = max(int(round(self.ring_seconds * d.sfreq)), 1)
                self.ring = RingBuffer(d.n_channels, capacity)
            self._watch()
        except BaseException:
            self.close()
            raise
        return self

    def _layout(self, full: pylsl.StreamInfo) -> None:
        """Receive buffer, unit scales and period for the connected source."""
        d = StreamDescription.from_lsl(full)
        # Seconds between timestamps (a replay's run `speed` times faster); 0 for an
        # irregular stream (decisions, events), which has no gaps to find.
        self.period = 1.0 / (d.sfreq * d.speed) if d.sfreq > 0 else 0.0
        self._scales = wire_scales(d.units, d.ch_types)
        self._wire = np.empty((self.max_chunk, d.n_channels),
                              dtype=_DTYPES[full.channel_format()])

    @property
    def clock(self) -> str:
        """The time base of the stamps handed out.

        ``"source"``: the source's stamps, clock-corrected by LSL; ``"source, re-based"``:
        the same, moved by ``clock_shift`` seconds after clock jumps, so that they stay
        continuous on this machine's clock.
        """
        return "source, re-based" if self.clock_shift else "source"

    @property
    def clock_shift(self) -> float:
        """Seconds subtracted from the source's stamps since its clock jumped."""
        return self.clock_watch.shift if self.clock_watch is not None else 0.0

    def _on_reconnect(self, old: StreamDescription, full: pylsl.StreamInfo) -> None:
        new = StreamDescription.from_lsl(full)
        same_source = bool(old.source_id) and new.source_id == old.source_id
        # The same source may hand over samples the old connection already delivered
        # (liblsl reconnects by itself too); a new one has a clock of its own.
        self._resent_guard = same_source
        if not same_source and self.clock_watch is not None:
            self.clock_watch.reset()
        self._layout(full)
        self.description = new
        self._replaced = {"old": old, "new": new, "same_source": same_source}

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
            self._end_jump_run(pylsl.local_clock())
            return None
        self.last_receipt = arrival = pylsl.local_clock()
        data = from_wire(wire, self._scales)
        times = np.array(stamps, dtype=np.float64)
        if self._resent_guard:
            fresh = times > self._last_time
            if not fresh.all():
                self.n_duplicates += int(np.count_nonzero(~fresh))
                data, times = data[:, fresh], times[fresh]
                n = times.shape[0]
                if n == 0:
                    return None
            self._resent_guard = False
        if self.clock_watch is not None:
            times, jump = self.clock_watch.rebase(times, arrival)
            if jump is not None:
                self._on_jump(jump, arrival)
            else:
                self._end_jump_run(arrival)
        if self._replaced is not None:
            self._report_replaced(float(times[0]))
        self._last_time = float(times[-1])
        chunk = Chunk(data=data, times=times, first_index=self.n_received)
        self.n_received += n
        if self.gap_detector is not None:
            gaps, _ = self.gap_detector.update(times)
            self.gaps.extend(gaps)
        if self.ring is not None:
            self.ring.write(data, times)
        self._check_ambiguity(arrival)
        return chunk

    def take_gaps(self) -> list[Gap]:
        """The gaps found since the previous call (each is handed out once).

        The session loop calls this after every pull, so the gaps of a chunk reach the
        pipeline with that chunk; ``gaps`` keeps the whole record.
        """
        new = self.gaps[self._gaps_taken:]
        self._gaps_taken = len(self.gaps)
        return new

    def _report_replaced(self, first_time: float) -> None:
        replaced, self._replaced = self._replaced, None
        old, new = replaced["old"], replaced["new"]
        self.n_outages += 1
        details: dict = {"uid": new.uid, "source_id": new.source_id,
                         "old_source_id": old.source_id, "outage_s": None,
                         "n_missing": None}
        if np.isfinite(self._last_time):
            outage = max(first_time - self._last_time - self.period, 0.0)
            details["outage_s"] = round(outage, 6)
            self.outage_seconds += outage
            what = f"after {outage:.3f} s"
            if self.period:
                details["n_missing"] = int(round(outage / self.period))
                what += f", {details['n_missing']} samples missing"
        else:
            what = "before any data"
        who = ("the same source (source_id " + new.source_id + ")" if replaced["same_source"]
               else f"a new source (source_id {new.source_id or '-'}, uid {new.uid})")
        self._event("source_replaced",
                    f"stream '{old.name}' resumed {what}: {who}; filters restart at the gap",
                    **details)

    def _on_jump(self, jump, arrival: float) -> None:
        run = self._jump_run
        if run is None:
            self._jump_run = {"count": 1, "total": jump.size, "last": arrival,
                              "first": arrival}
            direction = "forward" if jump.size > 0 else "backward"
            self._event("clock_jump",
                        f"stream '{self.description.name}': its clock jumped {direction} by "
                        f"{abs(jump.size) * 1e3:.1f} ms while samples kept arriving on "
                        "time; later stamps are re-based by the jump (latency stays on "
                        "this machine's clock), no samples are missing",
                        jump_s=jump.size, time=jump.time, clock=self.clock,
                        clock_shift_s=self.clock_shift)
            return
        run["count"] += 1
        run["total"] += jump.size
        run["last"] = arrival

    def _end_jump_run(self, now: float) -> None:
        """Close a run of jumps once none came for :data:`JUMP_RUN_QUIET` seconds."""
        run = self._jump_run
        if run is None or now - run["last"] < JUMP_RUN_QUIET:
            return
        self._jump_run = None
        if run["count"] > 1:
            self._event("clock_jumps_ended",
                        f"stream '{self.description.name}': {run['count']} clock jumps in "
                        f"{run['last'] - run['first']:.1f} s, {run['total'] * 1e3:+.1f} ms "
                        "in all, are over",
                        count=run["count"], total_s=run["total"],
                        duration_s=run["last"] - run["first"], clock_shift_s=self.clock_shift)

    def __enter__(self) -> Inlet:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


class MarkerInlet(_Connection):
    """A string marker stream, pulled without blocking alongside a signal inlet.

    Reconnects to a restarted or replaced source as :class:`Inlet` does (same query,
    same rule, same events), so markers come back as soon as the signal does. A marker
    stream is silent most of the time, so a stall is no sign of trouble: only a newer
    source answering the query takes over from a silent one.

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
        _check_seconds("timeout", timeout)
        super().__init__({"name": name, "source_id": source_id}, info, timeout, recover,
                         360)
        # A replay's companion marker (bci.stream.file_clock) waiting for its marker,
        # which may come in the next pull: (stamp, number, file_time).
        self._cue: tuple[float, int, float] | None = None

    def open(self) -> MarkerInlet:
        """Resolve and connect."""
        info = self._resolve()
        full = self._connect(info, self.timeout)
        self.description = StreamDescription.from_lsl(full)
        self._name_others_at_open(info)
        self._watch()
        return self

    def _on_reconnect(self, old: StreamDescription, full: pylsl.StreamInfo) -> None:
        self.description = new = StreamDescription.from_lsl(full)
        same = bool(old.source_id) and new.source_id == old.source_id
        who = ("the same source" if same
               else f"a new source (source_id {new.source_id or '-'}, uid {new.uid})")
        self._event("source_replaced",
                    f"marker stream '{old.name}' resumed: {who}; markers sent meanwhile "
                    "are lost", uid=new.uid, source_id=new.source_id,
                    old_source_id=old.source_id)

    def pull(self, timeout: float = 0.0) -> list[Marker]:
        """Every marker available now (waiting up to ``timeout`` for the first)."""
        self._require()
        if self.lost:
            if not self._reconnect(timeout):
                return []
            self.lost = False
        try:
            values, stamps = self._inlet.pull_chunk(timeout=timeout, max_samples=1024)
        except LostError as err:
            self._lost(err)
            return []
        if stamps:
            self.last_receipt = pylsl.local_clock()
            self._check_ambiguity(self.last_receipt)
        else:
            self._check_replaced()
        markers = []
        for value, stamp in zip(values, stamps, strict=True):
            label = str(value[0] if isinstance(value, list | tuple) else value)
            cue = parse_cue(label)
            if cue is not None:  # a replay's companion: it numbers the marker that follows
                self._cue = (float(stamp), *cue)
                continue
            number = file_time = None
            if self._cue is not None and abs(self._cue[0] - float(stamp)) <= TOLERANCE:
                _, number, file_time = self._cue
            self._cue = None
            markers.append(Marker(label, float(stamp), number=number, file_time=file_time))
        return markers

    def __enter__(self) -> MarkerInlet:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

