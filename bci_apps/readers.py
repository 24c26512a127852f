"""Background reader threads for the monitor: LSL -> ring buffers, never on the Qt thread.

Every LSL call (resolve, open, pull) and every pipeline filter runs here, on plain
Python threads that block in liblsl (``pull_chunk(min_samples=1)``, a marker pull with a
timeout, a resolve with a timeout) and never spin: on two cores a spinning reader starves
liblsl's own I/O threads. The Qt thread only reads *snapshots*: ring buffers through
their seqlock, and plain attributes that one thread writes and others read (an attribute
assignment is atomic in CPython).

This module imports no Qt, so the benchmark and scripts can use the readers headless.

Every reader is a :class:`bci.worker.Worker`, started, stopped and joined like the live
session, the replay and the recorder. A reader that loses its stream (the source
stopped: a :class:`~bci.errors.BciError` such as a lost or unanswering stream) closes the
inlet and resolves the stream again by name, so a restarted ``bci replay`` or ``bci
live`` is picked up; that is what a monitor is for, and its ``status`` says so. Any other
exception is a bug: it ends the reader, and ``stop()`` re-raises it. Each (re)connection
bumps :attr:`SignalReader.state`'s ``generation``, which tells the window to rebuild its
channel lists.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pylsl

from bci.dsp import FilterChain, Picks
from bci.errors import BciError, StreamError
from bci.pipeline.config import PipelineConfig
from bci.pipeline.spec import config_of, load_spec
from bci.stream import Gap, Inlet, Marker, MarkerInlet, RingBuffer, StreamDescription
from bci.stream.discovery import list_streams, resolve_stream
from bci.worker import Worker

from .channel_names import montage_note, standard_names

log = logging.getLogger("bci.monitor")

#: Seconds of signal kept per stream: the longest time window (30 s) plus room for the
#: spectrum, which may look further back than the traces.
RING_SECONDS = 32.0

#: Decisions kept for the decision and health panels (at 20 Hz: 500 s).
DECISION_CAPACITY = 10_000

#: How often (s) a reader waiting for its stream asks the network again.
RESOLVE_EVERY = 1.0


@dataclass(frozen=True)
class SignalState:
    """What a :class:`SignalReader` is connected to; replaced whole on each (re)connect.

    Attributes
    ----------
    generation : int
        Bumped on every new connection (0: never connected).
    description : StreamDescription or None
        The stream's full description (channels, rate, meta-data).
    ring : RingBuffer or None
        Raw samples in SI units, exactly as :class:`~bci.stream.Inlet` hands them out.
    filtered : RingBuffer or None
        The same samples through the configured pipeline's filters (picked channels
        only), or None without a configuration.
    filtered_names : tuple of str
        Channels of ``filtered``, in row order.
    filter_note : str
        What the filtered view shows, or why there is none.
    speed : float
        Replay speed announced by the stream (1 for hardware).
    montage : str
        Whether the standard 10-05 montage knows the EEG channels, as shown (``"montage:
        colin27_1005, 64/64 channels found"``; empty without EEG channels).
    stream_names : tuple of str
        The channel names on the wire; ``description.ch_names`` are the names shown,
        which differ when names are standardised.
    """

    generation: int = 0
    description: StreamDescription | None = None
    ring: RingBuffer | None = None
    filtered: RingBuffer | None = None
    filtered_names: tuple[str, ...] = ()
    filter_note: str = ""
    speed: float = 1.0
    montage: str = ""
    stream_names: tuple[str, ...] = ()


def _build_filters(config: PipelineConfig, description: StreamDescription
                   ) -> tuple[Picks, FilterChain, str]:
    picks = Picks(description.ch_names, description.ch_types, config.picks)
    chain = FilterChain.from_config(config.filters, description.sfreq, picks.ch_names_out)
    kinds = []
    for spec in config.filters:
        kind = spec.get("kind")
        if kind == "bandpass":
            kinds.append(f"bandpass {spec['l_freq']:g}–{spec['h_freq']:g} Hz")
        elif kind == "highpass":
            kinds.append(f"highpass {spec['l_freq']:g} Hz")
        elif kind == "lowpass":
            kinds.append(f"lowpass {spec['h_freq']:g} Hz")
        elif kind == "notch":
            kinds.append(f"notch {spec.get('freq', 50.0):g} Hz")
        else:
            kinds.append(str(kind))
    note = (f"{', '.join(kinds) or 'no filters'} on {len(chain.ch_names_out)} of "
            f"{description.n_channels} channels (picks={config.picks!r})")
    return picks, chain, note


class _Reader(Worker):
    """A worker with a status line and the last (expected) connection problem.

    Attributes
    ----------
    status : str
        What the reader is doing, for the status bar.
    problem : str
        The last connection problem it recovers from (a lost stream...), or "".
    """

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.status = "starting"
        self.problem = ""

    #: What the reader reads, for messages ("stream", "marker stream", ...).
    what = "stream"

    def _loop(self) -> None:
        # Resolve, read until the stream goes away (a BciError), resolve again: the same
        # for every reader; each says how it reads in `_read`.
        try:
            while not self.stopping:
                info = self._resolve(self.stream_name, self.source_id)
                if info is None:
                    break
                try:
                    self._read(info)
                except BciError as err:
                    self._retry_after(err, f"{self.what} '{info.name()}'")
        finally:
            self.status = "stopped"

    def _read(self, info: pylsl.StreamInfo) -> None:  # pragma: no cover - subclasses
        raise NotImplementedError

    def _retry_after(self, err: BciError, what: str) -> None:
        """A lost or unanswering stream: say so, wait a little, then look again."""
        self.problem = str(err)
        log.warning("monitor: %s: %s; resolving again", what, err)
        self._stop.wait(0.5)

    def _resolve(self, name: str | None, source_id: str | None) -> pylsl.StreamInfo | None:
        """Wait (interruptibly) until the stream appears; None when asked to stop."""
        what = f"'{name}'" if name else f"source_id {source_id}"
        self.status = f"waiting for stream {what}"
        while not self.stopping:
            try:
                return resolve_stream(name, source_id=source_id, timeout=RESOLVE_EVERY)
            except BciError:
                continue
        return None


class SignalReader(_Reader):
    """Pulls a signal stream into ring buffers, and through the pipeline's filters.

    Parameters
    ----------
    name, source_id : str or None
        Which stream to read (by name, by source id, or both).
    config : PipelineConfig or None
        The pipeline whose ``[signal].picks`` and ``[[filters]]`` make the "filtered"
        view; its filters run here, on every chunk, with state carried across chunks.
    ring_seconds : float
        Seconds of signal kept.
    standardize_names : bool
        Show the channels under standardised names (``Fc5.`` -> ``FC5``, as
        :func:`mne.datasets.eegbci.standardize` renames them). The pipeline's picks
        still match the names on the wire.

    Attributes
    ----------
    state : SignalState
        The current connection (swapped whole, so a reader of it sees one consistent
        connection).
    n_received : int
        Samples received on the current connection.
    measured_rate : float
        Samples per second of wall-clock time over the last few seconds (0 until known).
    n_gaps, n_missing : int
        Gaps found by the inlet's :class:`~bci.stream.GapDetector` and samples missing.
    last_gap : Gap or None
        The most recent gap.
    last_receipt : float
        ``time.monotonic()`` when data last arrived (0: never).
    """

    def __init__(self, name: str | None = None, *, source_id: str | None = None,
                 config: PipelineConfig | None = None,
                 ring_seconds: float = RING_SECONDS,
                 standardize_names: bool = False) -> None:
        super().__init__(f"bci-monitor-signal-{name or source_id}")
        self.standardize_names = standardize_names
        if name is None and source_id is None:
            raise ValueError("SignalReader needs a stream name or a source_id")
        self.stream_name = name
        self.source_id = source_id
        self.config = config
        self.ring_seconds = ring_seconds
        self.state = SignalState()
        self.n_received = 0
        self.measured_rate = 0.0
        self.n_gaps = 0
        self.n_missing = 0
        self.last_gap: Gap | None = None
        self.last_receipt = 0.0
        self.n_connections = 0


    def _connect(self, inlet: Inlet) -> None:
        d = inlet.description
        if d.sfreq <= 0:
            raise StreamError(f"stream '{d.name}' has an irregular rate (decisions or "
                              "events?): show it with --decisions, or pick a signal stream")
        capacity = max(int(round(self.ring_seconds * d.sfreq)), 1)
        ring = RingBuffer(d.n_channels, capacity)
        filtered, names, note = None, (), ""
        self._picks = self._chain = None
        if self.config is not None:
            try:
                self._picks, self._chain, note = _build_filters(self.config, d)
                names = tuple(self._chain.ch_names_out)
                filtered = RingBuffer(len(names), capacity)
            except (BciError, ValueError) as err:
                note = f"no filtered view: {err}"
        stream_names = d.ch_names
        if self.standardize_names:
            # After the filters are built: the pipeline picks by the names on the wire.
            renamed = standard_names(d.ch_names)
            if renamed is None:
                note = (note + "; " if note else "") + ("names kept: standardised, two "
                                                        "channels would share a name")
            else:
                rename = dict(zip(d.ch_names, renamed, strict=True))
                d = dataclasses.replace(d, ch_names=renamed)
                names = tuple(rename.get(n, n) for n in names)
        montage = montage_note(d.ch_names, d.ch_types)
        self.n_received = 0
        self.n_gaps = self.n_missing = 0
        self.last_gap = None
        self.measured_rate = 0.0
        self.n_connections += 1
        log.info("monitor: showing '%s' (%d ch, %g Hz, source_id %s)%s", d.name, d.n_channels,
                 d.sfreq, d.source_id or "-",
                 "" if self.n_connections == 1 else f", connection {self.n_connections}")
        self.state = SignalState(generation=self.n_connections, description=d, ring=ring,
                                 filtered=filtered, filtered_names=names, filter_note=note,
                                 speed=d.speed, montage=montage, stream_names=stream_names)

    def _read(self, info: pylsl.StreamInfo) -> None:
        # recover=False: a lost source raises, and we resolve again by name, which also
        # finds a restarted source with a new source_id (liblsl's recovery would not).
        inlet = Inlet(info=info, timeout=5.0, recover=False, max_chunk=4096)
        inlet.open()
        try:
            self._connect(inlet)
            state = self.state
            self.status = "receiving"
            history: collections.deque[tuple[float, int]] = collections.deque(maxlen=12)
            next_rate = time.monotonic()
            self.problem = ""
            while not self.stopping:
                chunk = inlet.pull(timeout=0.2)  # blocks in liblsl; no spinning
                now = time.monotonic()
                if chunk is not None:
                    state.ring.write(chunk.data, chunk.times)
                    if state.filtered is not None:
                        state.filtered.write(self._chain(chunk.data[self._picks.indices]),
                                             chunk.times)
                    self.n_received = inlet.n_received
                    self.last_receipt = now
                    detector = inlet.gap_detector
                    if detector is not None and detector.n_gaps != self.n_gaps:
                        self.n_missing = detector.n_missing
                        self.last_gap = inlet.gaps[-1]
                        self.n_gaps = detector.n_gaps
                if now >= next_rate:  # rate over the last ~3 s of wall-clock time
                    history.append((now, inlet.n_received))
                    t_old, n_old = history[0]
                    if now - t_old > 0.9:
                        self.measured_rate = (inlet.n_received - n_old) / (now - t_old)
                    next_rate = now + 0.25
        finally:
            inlet.close()
            self.status = "stream lost; resolving again"


class MarkerReader(_Reader):
    """Collects the markers of a string stream (``<stream>-markers`` by default).

    Attributes
    ----------
    n_markers : int
        Markers received since the reader started.
    """

    what = "marker stream"

    def __init__(self, name: str | None = None, *, source_id: str | None = None,
                 keep: int = 5000) -> None:
        super().__init__(f"bci-monitor-markers-{name or source_id}")
        self.stream_name = name
        self.source_id = source_id
        self._markers: collections.deque[Marker] = collections.deque(maxlen=keep)
        self._lock = threading.Lock()
        self.n_markers = 0

    def markers(self) -> list[Marker]:
        """Copy of the kept markers, oldest first."""
        with self._lock:
            return list(self._markers)


    def _read(self, info: pylsl.StreamInfo) -> None:
        inlet = MarkerInlet(info=info, timeout=5.0, recover=False)
        try:
            inlet.open()
            self.status = "receiving"
            self.problem = ""
            while not self.stopping:
                # A string pull waits for the whole timeout unless 1024 markers arrive:
                # a marker shows up at most 50 ms late (it is drawn at its own
                # timestamp), and the thread sleeps meanwhile (20 wake-ups/s).
                received = inlet.pull(timeout=0.05)
                if received:
                    with self._lock:
                        self._markers.extend(received)
                    self.n_markers += len(received)
        finally:
            inlet.close()


def _json_field(metadata: dict, key: str, default: object) -> object:
    value = metadata.get(key)
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


@dataclass(frozen=True)
class DecisionState:
    """What a :class:`DecisionReader` is connected to.

    Attributes
    ----------
    generation : int
        Bumped on every new connection (0: never connected).
    description : StreamDescription or None
    ring : RingBuffer or None
        One column per decision: the stream's channels, stamped with the push time.
    classes : list of str
        Class names in index order (empty for a continuous output).
    continuous : bool
        Whether ``class`` carries a continuous value (band power, neurofeedback).
    score_names : list of str
        Names of the ``score_<name>`` channels.
    budget_ms : float or None
        End-to-end latency budget from ``desc/bci/budget_ms``.
    columns : dict of str to int
        Row of ``class``, ``window_end``, ``latency_ms`` (and ``feedback``...) in ``ring``.
    events : dict of str to list of str
        The pipeline's ``[epochs].events`` (class -> marker labels) from
        ``desc/bci/events``, which ``bci live`` publishes; empty when not given.
    """

    generation: int = 0
    description: StreamDescription | None = None
    ring: RingBuffer | None = None
    classes: list[str] = field(default_factory=list)
    continuous: bool = False
    score_names: list[str] = field(default_factory=list)
    score_rows: list[int] = field(default_factory=list)
    budget_ms: float | None = None
    columns: dict[str, int] = field(default_factory=dict)
    events: dict[str, list[str]] = field(default_factory=dict)


def _events_field(metadata: dict) -> dict[str, list[str]]:
    # Another program's stream may carry anything there: keep only class -> labels.
    events = _json_field(metadata, "events", {})
    if not isinstance(events, dict):
        return {}
    out: dict[str, list[str]] = {}
    for name, labels in events.items():
        if isinstance(labels, str):
            labels = [labels]
        if isinstance(labels, list):
            out[str(name)] = [str(v) for v in labels]
    return out


class DecisionReader(_Reader):
    """Reads a decision stream (``bci live``'s ``bci-decisions`` by default).

    Parameters
    ----------
    name : str
        Stream name.
    sliding_step : float or None
        The pipeline's ``[online].step`` when known to be a sliding pipeline: windows the
        pipeline skipped (it keeps only the freshest when it falls behind) are then
        counted from jumps in ``window_end``.

    Attributes
    ----------
    state : DecisionState
    n_decisions, n_overruns : int
        Decisions received, and those whose ``latency_ms`` exceeded the budget.
    n_skipped : int or None
        Skipped windows: from a ``skipped_windows`` channel when the stream has one,
        inferred from ``window_end`` spacing for a sliding pipeline, else None.
    """

    what = "decision stream"

    def __init__(self, name: str | None = None, *, source_id: str | None = None,
                 sliding_step: float | None = None,
                 capacity: int = DECISION_CAPACITY) -> None:
        super().__init__(f"bci-monitor-decisions-{name or source_id}")
        self.stream_name = name
        self.source_id = source_id
        self.sliding_step = sliding_step
        self.capacity = capacity
        self.state = DecisionState()
        self.n_decisions = 0
        self.n_overruns = 0
        self.n_skipped: int | None = None
        self._generation = 0


    def _connect(self, d: StreamDescription) -> DecisionState:
        meta = d.metadata
        names = list(d.ch_names)
        columns = {label: i for i, label in enumerate(names)}
        classes = [str(c) for c in (_json_field(meta, "classes", []) or [])]
        output = str(_json_field(meta, "output", "class" if classes else "continuous"))
        budget = _json_field(meta, "budget_ms", None)
        if isinstance(budget, dict):
            budget = budget.get("end_to_end")
        try:
            budget_ms = float(budget) if budget is not None else None
        except (TypeError, ValueError):
            budget_ms = None
        score_rows = [i for i, label in enumerate(names) if label.startswith("score_")]
        score_names = [names[i][len("score_"):] for i in score_rows]
        if not score_rows:  # e.g. a feedback stream: feedback, reward, value, artifact
            score_rows = [i for i, label in enumerate(names)
                          if label not in ("class", "window_end", "latency_ms")]
            score_names = [names[i] for i in score_rows]
        self._generation += 1
        self.n_decisions = self.n_overruns = 0
        self.n_skipped = 0 if ("skipped_windows" in columns or self._sliding(meta)) else None
        return DecisionState(
            generation=self._generation, description=d,
            ring=RingBuffer(len(names), self.capacity), classes=classes,
            continuous=output == "continuous" or "class" not in columns,
            score_rows=score_rows, score_names=score_names,
            budget_ms=budget_ms, columns=columns, events=_events_field(meta))

    def _sliding(self, meta: dict) -> bool:
        return self.sliding_step is not None or str(meta.get("mode", "")) == "sliding"

    def _read(self, info: pylsl.StreamInfo) -> None:
        inlet = Inlet(info=info, timeout=5.0, recover=False, max_chunk=1024)
        inlet.open()
        try:
            state = self._connect(inlet.description)
            self.state = state
            self.status = "receiving"
            self.problem = ""
            latency_row = state.columns.get("latency_ms")
            end_row = state.columns.get("window_end")
            skipped_row = state.columns.get("skipped_windows")
            sliding = self._sliding(inlet.description.metadata)
            recent_steps: collections.deque[float] = collections.deque(maxlen=200)
            last_end: float | None = None
            while not self.stopping:
                chunk = inlet.pull(timeout=0.2)
                if chunk is None:
                    continue
                state.ring.write(chunk.data, chunk.times)
                self.n_decisions += chunk.n_times
                if latency_row is not None and state.budget_ms is not None:
                    self.n_overruns += int(np.count_nonzero(
                        chunk.data[latency_row] > state.budget_ms))
                if skipped_row is not None:
                    self.n_skipped = int(chunk.data[skipped_row, -1])
                elif sliding and end_row is not None:
                    last_end = self._count_skipped(chunk.data[end_row], last_end,
                                                   recent_steps)
        finally:
            inlet.close()
            self.status = "decision stream lost; resolving again"

    def _count_skipped(self, ends: np.ndarray, last_end: float | None,
                       recent_steps: collections.deque[float]) -> float:
        # The step in LSL seconds is the median spacing of window ends (a replay at
        # speed X runs X times faster than [online].step says); a jump of k steps means
        # k - 1 windows were dropped as stale.
        if last_end is not None:
            ends = np.concatenate([[last_end], ends])
        steps = np.diff(ends)
        recent_steps.extend(steps.tolist())
        if len(recent_steps) >= 5:
            step = float(np.median(recent_steps))
            if step > 0:
                jumps = np.round(steps / step) - 1
                self.n_skipped = (self.n_skipped or 0) + int(jumps[jumps > 0].sum())
        return float(ends[-1])


class StreamDiscovery(_Reader):
    """Asks the network which streams exist, every ``interval`` seconds.

    Attributes
    ----------
    streams : list of StreamDescription
        The latest answer (replaced whole), sorted by name.
    version : int
        Bumped on the first answer (even an empty network) and whenever the set of
        streams changed.
    """

    def __init__(self, interval: float = 3.0, wait: float = 1.0) -> None:
        super().__init__("bci-monitor-discovery")
        self.interval = interval
        self.wait = wait
        self.streams: list[StreamDescription] = []
        self.version = 0

    def _loop(self) -> None:
        seen: set[tuple[str, str]] | None = None  # the first answer always counts
        while not self.stopping:
            try:
                found = sorted(list_streams(self.wait), key=lambda d: (d.name, d.source_id))
            except BciError as err:  # a network hiccup must not end discovery
                self.problem = str(err)
                found = self.streams
            keys = {(d.name, d.source_id) for d in found}
            if keys != seen:
                self.streams = found
                self.version += 1
                seen = keys
            self.status = f"{len(found)} streams"
            self._stop.wait(self.interval)
        self.status = "stopped"


def check_config_path(path: str | Path) -> PipelineConfig:
    """The pipeline configuration of ``--config`` (a ``.toml`` or a model file), with a
    one-line error for a missing or invalid file."""
    return config_of(load_spec(path))
