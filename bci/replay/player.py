"""Replaying recordings as live LSL sources, paced in real time (or faster)."""

from __future__ import annotations

import math
import uuid

import numpy as np
import pylsl

from bci.errors import ConfigError
from bci.replay.faults import Fault
from bci.replay.schedule import MarkerItem, SignalItem, schedule
from bci.replay.source import ReplaySource
from bci.replay.virtual import WIRE_DTYPES, describe
from bci.stream.description import StreamDescription
from bci.stream.file_clock import cue_label
from bci.stream.outlet import Outlet
from bci.stream.units import to_wire, wire_scales
from bci.worker import Worker


class Player(Worker):
    """Replays recordings over LSL in real time (or ``speed`` times faster).

    Each source gets a signal outlet; the first source's annotations go to a string
    marker outlet ``<name>-markers``. Every sample is stamped with the time it is due,
    ``t0 + k / sfreq`` (divided by ``speed``), and is pushed only once that time has
    come: a receiver never sees a timestamp from the future (a forward ``shift`` fault
    is the one exception, on purpose: it is a source clock that stepped ahead while the
    samples still go out on schedule). Due times come from the
    start time and the sample index, so the replay does not drift.

    Parameters
    ----------
    sources : list of ReplaySource
        The streams to replay (several for a multi-stream XDF file).
    name : str or None
        Stream name of the first source (others keep theirs); default: its own name.
    speed : float
        Time compression for soak tests and quick looks.
    chunk : int or None
        Samples per chunk (default: about 10 ms of signal).
    loop : bool
        Start again at the end; each wrap is flagged by a ``bci:loop`` marker.
    source_id : str or None
        Base ``source_id`` (a fresh random one by default); source ``i`` gets
        ``<source_id>-<i>`` and the markers ``<source_id>-markers``.
    channel_format : str
        ``"float32"`` (what amplifiers send) or ``"double64"``.
    lead : float
        Seconds between ``start()`` and the first sample's due time, for inlets to
        connect.
    faults : list of Fault or None
        Faults to inject (see :mod:`bci.replay.faults`); they act on the main stream's
        samples, and ``pause``/``restart`` on every outlet.
    seed : int
        Seed of the ``jitter`` fault's random numbers.
    """

    def __init__(self, sources: list[ReplaySource], *, name: str | None = None,
                 speed: float = 1.0, chunk: int | None = None, loop: bool = False,
                 source_id: str | None = None, channel_format: str = "float32",
                 lead: float = 0.0, faults: list[Fault] | None = None, seed: int = 0
                 ) -> None:
        if not sources:
            raise ConfigError("nothing to replay: the recording has no signal stream")
        if not (math.isfinite(speed) and speed > 0):
            raise ConfigError(f"--speed must be a positive, finite factor, got {speed}: "
                              "use e.g. --speed 40 for a fast replay")
        if chunk is not None:
            shortest = min(s.n_times for s in sources)
            if chunk < 1:
                raise ConfigError(f"--chunk must be at least one sample, got {chunk}")
            if chunk > shortest:
                # One chunk longer than the file is due only after its last sample: a
                # replay stopped before that (or --duration) would push nothing at all.
                raise ConfigError(f"--chunk {chunk} is longer than the recording "
                                  f"({shortest} samples): use at most {shortest}, or "
                                  "leave --chunk out for about 10 ms per chunk")
        if channel_format not in WIRE_DTYPES:
            raise ConfigError(f"channel format '{channel_format}' cannot be replayed: use "
                              + " or ".join(WIRE_DTYPES))
        if not (math.isfinite(lead) and lead >= 0):
            raise ConfigError(f"lead must be a non-negative, finite number of seconds, "
                              f"got {lead}")
        super().__init__(f"bci-replay-{name or sources[0].name}")
        self.sources = sources
        self.speed = speed
        self.chunk = chunk
        self.loop = loop
        self.lead = lead
        self.channel_format = channel_format
        base = source_id or uuid.uuid4().hex
        names = [name or sources[0].name] + [s.name for s in sources[1:]]
        self.descriptions = [
            describe(s, name=n, source_id=f"{base}-{i}", speed=speed,
                     channel_format=channel_format)
            for i, (s, n) in enumerate(zip(sources, names, strict=True))]
        self.marker_description = StreamDescription.for_markers(
            f"{names[0]}-markers", source_id=f"{base}-markers")
        self.t0: float | None = None
        self.n_pushed = [0] * len(sources)
        self.n_markers = 0
        self.lateness: list[float] = []  # push time - due time, seconds, if recorded
        self.record_lateness = False
        self._outlets: list[Outlet] = []
        self._marker_outlet: Outlet | None = None
        self.faults = list(faults or [])
        self._rng = np.random.default_rng(seed)
        self.n_restarts = 0
        self.lost_samples: list[int] = []  # main-stream samples lost per restart

    @property
    def name(self) -> str:
        """Name of the main signal stream."""
        return self.descriptions[0].name

    def open_outlets(self) -> None:
        """Create the outlets (``start`` does it too), so inlets can connect first."""
        if not self._outlets:
            self._outlets = [Outlet(d) for d in self.descriptions]
            self._marker_outlet = Outlet(self.marker_description)

    def wait_for_consumers(self, timeout: float) -> bool:
        """Open the outlets and wait until an inlet connects to the main stream."""
        self.open_outlets()
        return self._outlets[0].wait_for_consumers(timeout)

    def start(self) -> Player:
        """Open the outlets and start replaying on the worker thread."""
        self.open_outlets()
        self.t0 = pylsl.local_clock() + self.lead
        return super().start()

    def _loop(self) -> None:
        # The outlets stay open after the last sample until stop(): withdrawing an
        # outlet drops what receivers have not taken yet.
        self._play()

    def _play(self) -> None:
        dtype = WIRE_DTYPES[self.channel_format]
        scales = [wire_scales(d.units, d.ch_types) for d in self.descriptions]
        faults = _FaultPlan(self.faults, self.sources[0], self.t0, self.speed)
        items = schedule(self.sources, chunk=self.chunk, speed=self.speed, t0=self.t0,
                         loop=self.loop)
        for item in items:
            times = item.times if isinstance(item, SignalItem) else None
            due = item.due
            if isinstance(item, SignalItem) and item.source == 0:
                times, shift = faults.stamp(item, self._rng)
                # Jittered stamps are late, so the chunk waits for its latest one. A
                # shifted clock does not change when the samples are due: they go out on
                # schedule with stamps jumped (forward: stamped ahead of the push), as a
                # source whose clock steps while it keeps sampling at the nominal rate.
                due = max(due, float(times[-1]) - shift)
            due = faults.hold(due)
            # Sleep until due; never push early. The wait is computed from the absolute
            # due time each time, so sleeping late never accumulates into drift.
            while True:
                wait = due - pylsl.local_clock()
                if wait <= 0:
                    break
                if self._stop.wait(wait):
                    return
            if self._stop.is_set():
                return
            outage = faults.outage(item.due)
            if outage == "begin":
                self._close_outlets()
                self.lost_samples.append(0)
            if outage in ("begin", "during"):
                if isinstance(item, SignalItem) and item.source == 0:
                    self.lost_samples[-1] += item.stop - item.start
                continue  # the source is off: these samples are lost
            if outage == "end":
                self.open_outlets()
                self.n_restarts += 1
            if isinstance(item, MarkerItem):
                if item.number is not None:
                    # Its companion first, stamped alike: receivers learn the marker's
                    # number and time in the file (bci.stream.file_clock).
                    self._marker_outlet.push_marker(cue_label(item.number, item.file_time),
                                                    item.due)
                self._marker_outlet.push_marker(item.label, item.due)
                self.n_markers += 1
                continue
            source = self.sources[item.source]
            wire = to_wire(source.data[:, item.start:item.stop], scales[item.source], dtype)
            if item.source == 0 and faults.affects(item):
                wire, times = faults.corrupt(item, wire, times)
            self._outlets[item.source].push_wire(wire, times)
            if self.record_lateness:
                self.lateness.append(pylsl.local_clock() - item.due)
            self.n_pushed[item.source] += wire.shape[0]

    def _close_outlets(self) -> None:
        for outlet in self._outlets:
            outlet.close()
        if self._marker_outlet is not None:
            self._marker_outlet.close()
        self._outlets, self._marker_outlet = [], None

    def stop(self) -> None:
        """Stop pushing and withdraw the outlets; re-raise an error of the replay thread."""
        try:
            super().stop()
        finally:
            self._close_outlets()


class _FaultPlan:
    """Applies a list of faults while a :class:`Player` plays (live only)."""

    def __init__(self, faults: list[Fault], main: ReplaySource, t0: float, speed: float
                 ) -> None:
        self.sfreq = main.sfreq
        self.offset = main.offset  # the main stream may start after another one
        self.t0 = t0
        self.speed = speed
        self.sample_faults = [f for f in faults if f.kind in ("drop", "nan", "jitter",
                                                              "shift")]
        # Pauses and restarts are windows of wall-clock (LSL) time.
        self.pauses = [(self._due(f), self._due(f) + f.value)
                       for f in faults if f.kind == "pause"]
        self.restarts = [(self._due(f), self._due(f) + f.value)
                         for f in faults if f.kind == "restart"]
        self._off: tuple[float, float] | None = None

    def _due(self, fault: Fault) -> float:
        return self.t0 + (self.offset + fault.first_sample(self.sfreq) / self.sfreq) / self.speed

    def stamp(self, item: SignalItem, rng: np.random.Generator) -> tuple[np.ndarray, float]:
        """Timestamps of a main-stream chunk after clock shifts and jitter, and the clock
        shift (seconds) of its last sample, which changes its stamp but not its push time."""
        times = item.times
        shift = 0.0
        if not self.sample_faults:
            return times, shift
        index = item.sample + np.arange(item.stop - item.start)
        for fault in self.sample_faults:
            first = fault.first_sample(self.sfreq)
            if fault.kind == "shift" and index[-1] >= first:
                times = np.where(index >= first, times + fault.value / 1e3, times)
                shift += fault.value / 1e3
            elif fault.kind == "jitter" and index[-1] >= first:
                late = rng.uniform(0.0, fault.value / 1e3, size=times.shape)
                times = np.where(index >= first, times + late, times)
        return times, shift

    def affects(self, item: SignalItem) -> bool:
        """Whether a drop or NaN fault touches this chunk."""
        stop = item.sample + item.stop - item.start
        return any(f.kind in ("drop", "nan") and f.first_sample(self.sfreq) < stop
                   and f.first_sample(self.sfreq) + f.value > item.sample
                   for f in self.sample_faults)

    def corrupt(self, item: SignalItem, wire: np.ndarray, times: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
        """Apply drop and NaN faults to a chunk in wire layout (n_times, n_channels)."""
        index = item.sample + np.arange(item.stop - item.start)
        keep = np.ones(index.size, dtype=bool)
        wire = wire.copy()
        for fault in self.sample_faults:
            first = fault.first_sample(self.sfreq)
            inside = (index >= first) & (index < first + int(fault.value))
            if fault.kind == "drop":
                keep &= ~inside
            elif fault.kind == "nan":
                wire[inside] = np.nan
        return np.ascontiguousarray(wire[keep]), times[keep]

    def hold(self, due: float) -> float:
        """When an item due at ``due`` may go out, after any pause covering it."""
        for begin, end in self.pauses:
            if begin <= due < end:
                return end
        return due

    def outage(self, due: float) -> str | None:
        """``begin``/``during``/``end`` of a restart at ``due``, or None."""
        for window in self.restarts:
            begin, end = window
            if begin <= due < end:
                if self._off != window:
                    self._off = window
                    return "begin"
                return "during"
        if self._off is not None:
            self._off = None
            return "end"
        return None
