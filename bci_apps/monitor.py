"""``bci monitor``: the desktop monitor (traces, spectrum, decisions, health).

Threads: every LSL call runs on the reader threads of :mod:`.readers` (signal, markers,
decisions, discovery); the Qt thread reads snapshots of their ring buffers on a timer
(60 frames per second by default) and never blocks on the network or runs the
pipeline. Closing the window stops and joins every reader, which close their inlets.

Run ``bci monitor --help``; the keys are in ``docs/monitor.md`` and behind F1.
"""

from __future__ import annotations

import argparse
import collections
import json
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from bci.errors import BciError, StreamError
from bci.pipeline.config import PipelineConfig

from .decisions import DecisionsPanel
from .health import HealthPanel
from .readers import (
    DecisionReader,
    MarkerReader,
    SignalReader,
    StreamDiscovery,
    check_config_path,
)
from .spectrum import SpectrumPanel
from .trace_items import TimedPlotWidget
from .trace_math import event_classes
from .traces import TracesPanel

DEFAULT_DECISIONS = "bci-decisions"

KEYS_HELP = """\
Space          pause / resume
F              raw / filtered (needs --config)
Up, +          larger traces (all channels)
Down, -        smaller traces
Shift+Up/Down  larger / smaller: the selected channel (click a trace to select)
A              auto-scale (one scale for all channels)
Shift+A        auto-scale each channel on its own
R              reset per-channel scales
[  ]           shorter / longer time window (1–30 s)
PageUp/Down    previous / next page of channels
Wheel          scale all channels; Shift+wheel: the channel under the pointer
Ctrl+Q         quit"""


class MonitorWindow(QtWidgets.QMainWindow):
    """The monitor window.

    Parameters
    ----------
    stream : str or None
        Signal stream to show; None to pick one from the streams on the network.
    source_id : str or None
        Resolve the signal stream by source id (with or without a name).
    markers : str or None
        Marker stream (default ``<stream>-markers``).
    decisions : str or None
        Decision stream (``bci-decisions`` by default on the command line; None: none).
    config : PipelineConfig or None
        The pipeline whose filters make the "filtered" view and whose bands are shaded;
        its ``[epochs].events`` name the markers (``left (T1)``). Without one, the
        decision stream's ``desc/bci/events`` (published by ``bci live``) do.
    fps : float
        Frames per second the timer aims at (at least: its period is rounded down to
        whole milliseconds, 16 ms for 60).
    window_seconds : float
        Initial time window of the traces.
    discover : bool
        List the streams on the network in the stream picker (a background resolve every
        few seconds).
    discovery_interval : float
        Seconds between two looks at the network.
    view : str
        ``"raw"`` or ``"filtered"`` (once the stream is there, if ``config`` is given).
    screenshot : str or Path or None
        Save the window there just before it closes.
    standardize_names : bool
        Show channels under standardised names (PhysioNet's ``Fc5.`` as ``FC5``, as
        :func:`mne.datasets.eegbci.standardize` renames them).
    """

    #: Emitted once the window has closed and every reader thread has been joined.
    closed = QtCore.Signal()

    def __init__(self, stream: str | None = None, *, source_id: str | None = None,
                 markers: str | None = None, decisions: str | None = DEFAULT_DECISIONS,
                 config: PipelineConfig | None = None, fps: float = 60.0,
                 window_seconds: float = 10.0, discover: bool = True,
                 discovery_interval: float = 3.0, view: str = "raw",
                 screenshot: str | Path | None = None,
                 standardize_names: bool = False) -> None:
        super().__init__()
        self.setWindowTitle("bci monitor")
        self.config = config
        self.standardize_names = standardize_names
        self._decision_generation = -1
        self._montage_generation = -1
        self.screenshot_path = Path(screenshot) if screenshot else None
        self.fps_target = float(fps)
        self.signal_reader: SignalReader | None = None
        self.marker_reader: MarkerReader | None = None
        self.decision_reader: DecisionReader | None = None
        self.discovery: StreamDiscovery | None = (
            StreamDiscovery(interval=discovery_interval) if discover else None)
        self._markers_name = markers
        self._discovery_version = -1
        self._picker_generation = 0
        self._retired: list[threading.Thread] = []
        self._marker_count = -1
        self._closing = False
        self._closed = False
        self.ever_connected = False
        self.reader_error: BaseException | None = None  # what a reader thread died of
        # Frame statistics: a frame is a tick that redrew the traces; its time is the
        # tick's own work plus the painting Qt did for it afterwards.
        self.frame_ms: list[float] = []
        self._tick_prep = 0.0
        self._tick_drew = False
        self._paint_mark = TimedPlotWidget.paint_seconds
        self._started = time.perf_counter()
        self._cpu_started = time.process_time()
        self.frames = 0
        self._frame_times: collections.deque[float] = collections.deque(maxlen=120)
        if view not in ("raw", "filtered"):
            raise BciError(f"--view must be raw or filtered, got {view!r}")
        if view == "filtered" and config is None:
            raise BciError("--view filtered needs a pipeline: pass --config CONFIG.toml "
                           "or a MODEL")
        self._build(window_seconds, view)
        if config is not None and config.events:
            self.traces.set_event_classes(event_classes(config.events))
        if self.discovery is not None:
            self.discovery.start()
        if stream is not None or source_id is not None:
            self.connect_stream(stream, source_id=source_id)
        else:
            self.traces.show_message("pick a stream above (streams on the network are "
                                      "listed as they appear)")
        self.connect_decisions(decisions)
        self.timer = QtCore.QTimer(self)
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.tick)
        # Rounded down: a 17 ms period would cap 60 fps at 58.8.
        self.timer.start(max(int(1000.0 / self.fps_target), 1))

    # -- layout ------------------------------------------------------------------------

    def _build(self, window_seconds: float, view: str) -> None:
        toolbar = QtWidgets.QToolBar("streams")
        toolbar.setMovable(False)
        self.addToolBar(toolbar)
        toolbar.addWidget(QtWidgets.QLabel(" Stream: "))
        self.stream_combo = QtWidgets.QComboBox()
        self.stream_combo.setObjectName("streams")
        self.stream_combo.setMinimumWidth(320)
        self.stream_combo.setToolTip("Signal streams on the network (refreshed every 3 s)")
        self.stream_combo.addItem("— pick a stream —", None)
        self.stream_combo.activated.connect(self._stream_picked)
        toolbar.addWidget(self.stream_combo)
        toolbar.addWidget(QtWidgets.QLabel("   Decisions: "))
        self.decision_combo = QtWidgets.QComboBox()
        self.decision_combo.setMinimumWidth(200)
        self.decision_combo.setToolTip("Decision stream of 'bci live' (or none)")
        self.decision_combo.addItem("none", None)
        self.decision_combo.activated.connect(self._decisions_picked)
        toolbar.addWidget(self.decision_combo)
        toolbar.addWidget(QtWidgets.QLabel("   "))
        self.pipeline_label = QtWidgets.QLabel(
            f"pipeline: {self.config.name or Path(self.config.origin).name}"
            if self.config else "no pipeline (--config) loaded")
        toolbar.addWidget(self.pipeline_label)
        toolbar.addWidget(QtWidgets.QLabel("   "))
        self.montage_label = QtWidgets.QLabel("")
        self.montage_label.setToolTip(
            "Whether MNE's standard 10-05 montage knows the EEG channels by name "
            "(--standardize-names renames PhysioNet's Fc5. to FC5)")
        toolbar.addWidget(self.montage_label)

        self.traces = TracesPanel()
        self.traces.set_window(window_seconds)
        self.traces.wanted_mode = view
        self.spectrum = SpectrumPanel()
        self.spectrum.set_pipeline(self.config)
        self.decisions = DecisionsPanel()
        self.health = HealthPanel()
        right = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        right.addWidget(self.spectrum)
        right.addWidget(self.decisions)
        right.addWidget(self.health)
        right.setSizes([380, 330, 260])
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        split.addWidget(self.traces)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([960, 640])
        self.setCentralWidget(split)
        self.status = QtWidgets.QLabel("")
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().addPermanentWidget(QtWidgets.QLabel("F1: keys "))
        self._shortcuts()
        self.traces.view_changed.connect(lambda: setattr(self.spectrum, "_next_update", 0.0))
        self.resize(1600, 1000)

    def _shortcuts(self) -> None:
        traces = self.traces
        bindings = [
            ("Space", lambda: traces.set_paused(not traces.paused)),
            ("F", traces.toggle_mode),
            ("Up", lambda: traces.zoom(1)), ("+", lambda: traces.zoom(1)),
            ("=", lambda: traces.zoom(1)),
            ("Down", lambda: traces.zoom(-1)), ("-", lambda: traces.zoom(-1)),
            ("Shift+Up", lambda: traces.zoom(1, traces.selected_channel)),
            ("Shift+Down", lambda: traces.zoom(-1, traces.selected_channel)),
            ("A", lambda: traces.auto_scale(per_channel=False)),
            ("Shift+A", lambda: traces.auto_scale(per_channel=True)),
            ("R", traces.reset_channel_scales),
            ("[", lambda: traces.set_window(traces.window_seconds - 1)),
            ("]", lambda: traces.set_window(traces.window_seconds + 1)),
            ("PgUp", lambda: traces.page(-1)), ("PgDown", lambda: traces.page(1)),
            ("F1", self._show_keys), ("Ctrl+Q", self.close),
        ]
        for key, slot in bindings:
            shortcut = QtGui.QShortcut(QtGui.QKeySequence(key), self)
            shortcut.setContext(QtCore.Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)

    def _show_keys(self) -> None:
        box = QtWidgets.QMessageBox(self)
        box.setWindowTitle("bci monitor: keys")
        box.setText(f"<pre>{KEYS_HELP}</pre>")
        box.setModal(False)
        box.show()

    # -- streams -----------------------------------------------------------------------

    def connect_stream(self, name: str | None, *, source_id: str | None = None,
                       markers: str | None = None) -> None:
        """Show another signal stream (stops the current readers first)."""
        self._stop_reader("signal_reader")
        self._stop_reader("marker_reader")
        self.signal_reader = SignalReader(name, source_id=source_id, config=self.config,
                                          standardize_names=self.standardize_names)
        self.signal_reader.start()
        marker_name = markers or self._markers_name or (f"{name}-markers" if name else None)
        if marker_name:
            self.marker_reader = MarkerReader(marker_name)
            self.marker_reader.start()
        self._marker_count = -1
        self._update_stream_lists(force=True)

    def connect_decisions(self, name: str | None) -> None:
        """Watch another decision stream (None: none)."""
        self._stop_reader("decision_reader")
        if not name:
            self.decisions.set_waiting("no decision stream watched (--decisions NAME)")
            self._update_stream_lists(force=True)
            return
        step = None
        if self.config is not None and self.config.mode == "sliding":
            step = self.config.step
        self.decision_reader = DecisionReader(name, sliding_step=step)
        self.decision_reader.start()
        self.decisions.set_waiting(f"waiting for decision stream '{name}' "
                                   "(start 'bci live ... --out-stream "
                                   f"{name}')")
        self._update_stream_lists(force=True)

    def _stream_picked(self, index: int) -> None:
        data = self.stream_combo.itemData(index)
        if data is None:
            return
        name, source_id = data
        current = self.signal_reader
        if current is not None and (current.stream_name, current.source_id) == (name,
                                                                                source_id):
            return
        self.connect_stream(name, source_id=source_id)

    def _decisions_picked(self, index: int) -> None:
        name = self.decision_combo.itemData(index)
        current = self.decision_reader.stream_name if self.decision_reader else None
        if name != current:
            self.connect_decisions(name)

    def _stop_reader(self, attribute: str) -> None:
        # Switching streams must not freeze the window while a reader finishes its
        # current resolve or pull (up to a second): it is told to stop now and joined
        # when the window closes.
        reader = getattr(self, attribute)
        if reader is not None:
            reader.request_stop()
            self._retired.append(reader)
            setattr(self, attribute, None)

    def _update_stream_lists(self, force: bool = False) -> None:
        discovery = self.discovery
        version = discovery.version if discovery is not None else 0
        if version == self._discovery_version and not force:
            return
        self._discovery_version = version
        streams = discovery.streams if discovery is not None else []
        signals = [d for d in streams if d.channel_format != "string" and d.sfreq > 0]
        outputs = [d for d in streams if d.sfreq == 0 and d.channel_format != "string"]
        self._fill_combo(self.stream_combo, "— pick a stream —",
                         [(f"{d.name} — {d.stype}, {d.n_channels} ch, {d.sfreq:g} Hz "
                           f"@ {d.hostname}", (d.name, d.source_id)) for d in signals],
                         self._watched_stream())
        watched = self.decision_reader.stream_name if self.decision_reader else None
        self._fill_combo(self.decision_combo, "none", [(d.name, d.name) for d in outputs],
                         (watched, None) if watched else None)
        if self.signal_reader is None and signals:
            names = ", ".join(d.name for d in signals[:6])
            self.traces.show_message(f"pick a stream above: {names}")

    def _watched_stream(self) -> tuple[str | None, str | None] | None:
        reader = self.signal_reader
        if reader is None:
            return None
        d = reader.state.description
        if d is not None:  # connected: the exact source
            return d.name, d.source_id
        return reader.stream_name, reader.source_id

    @staticmethod
    def _fill_combo(combo: QtWidgets.QComboBox, first: str, items: list[tuple[str, object]],
                    watched: tuple[str | None, str | None] | None) -> None:
        """Refill a picker, keeping the watched stream selected (listed even if gone)."""

        def matches(data: object) -> bool:
            if watched is None or data is None:
                return False
            name, source_id = data if isinstance(data, tuple) else (data, None)
            return ((watched[0] is None or watched[0] == name)
                    and (watched[1] is None or source_id is None or watched[1] == source_id))

        combo.blockSignals(True)
        combo.clear()
        combo.addItem(first, None)
        selected = 0
        for label, data in items:
            combo.addItem(label, data)
            if not selected and matches(data):
                selected = combo.count() - 1
        if watched is not None and not selected:
            label = watched[0] or watched[1]
            signal_picker = watched[1] is not None or combo.objectName() == "streams"
            combo.addItem(f"{label} (waiting…)", watched if signal_picker else watched[0])
            selected = combo.count() - 1
        combo.setCurrentIndex(selected)
        combo.blockSignals(False)

    # -- the frame loop ----------------------------------------------------------------

    def tick(self) -> None:
        """One frame: read snapshots, redraw what changed (the timer calls this)."""
        start = time.perf_counter()
        painted = TimedPlotWidget.paint_seconds - self._paint_mark
        self._paint_mark = TimedPlotWidget.paint_seconds
        if self._tick_drew:
            self.frame_ms.append((self._tick_prep + painted) * 1e3)
        self._tick_drew = False
        reader = self.signal_reader
        generation = reader.state.generation if reader is not None else 0
        self._update_stream_lists(force=generation != self._picker_generation)
        self._picker_generation = generation
        drew = False
        if reader is not None:
            state = reader.state
            if state.description is not None:
                self.ever_connected = True
            if state.generation != self._montage_generation:
                self._montage_generation = state.generation
                self.montage_label.setText(state.montage)
            if self.marker_reader is not None and (self.marker_reader.n_markers
                                                   != self._marker_count):
                self._marker_count = self.marker_reader.n_markers
                self.traces.set_markers(self.marker_reader.markers())
            drew = self.traces.refresh(state)
            if state.description is None:
                self.traces.show_message(reader.status + "…")
            self.spectrum.refresh(state, self.traces.rows_on_screen, self.traces.mode)
        if self.decision_reader is not None:
            dstate = self.decision_reader.state
            if dstate.ring is not None:
                self.decisions.refresh(dstate)
            if dstate.generation != self._decision_generation:
                self._decision_generation = dstate.generation
                # The pipeline given on the command line wins; else the one live runs.
                if (self.config is None or not self.config.events) and dstate.events:
                    self.traces.set_event_classes(event_classes(dstate.events))
        if drew:
            self._frame_times.append(start)
        if self.health.due():  # a few times a second, not on every frame
            # The rate of the last frames (up to 2 s of them), not since the window
            # opened: the seconds before the stream arrived drew nothing.
            times = self._frame_times
            fps = ((len(times) - 1) / (times[-1] - times[0])
                   if len(times) > 1 and times[-1] > times[0]
                   and start - times[-1] < 1.0 else 0.0)  # nothing drawn for 1 s: 0
            p99 = (float(np.percentile(self.frame_ms[-300:], 99)) if self.frame_ms
                   else None)
            self.health.refresh(reader, self.decision_reader,
                                self.marker_reader.n_markers if self.marker_reader else 0,
                                fps, p99)
            self._update_status()
        if drew:
            self.frames += 1
            self._tick_drew = True
        self._tick_prep = time.perf_counter() - start

    def _update_status(self) -> None:
        parts = []
        reader = self.signal_reader
        if reader is not None:
            parts.append(f"signal: {reader.status}")
            if reader.problem:
                parts.append(f"last problem: {reader.problem}")
            note = reader.state.filter_note
            if note:
                parts.append(f"filtered view: {note}")
        if self.marker_reader is not None:
            parts.append(f"markers ({self.marker_reader.stream_name}): "
                         f"{self.marker_reader.status}")
        if self.decision_reader is not None:
            parts.append(f"decisions: {self.decision_reader.status}")
        self.status.setText("   |   ".join(parts))

    # -- statistics and closing --------------------------------------------------------

    def stats(self) -> dict:
        """Frames drawn, frames per second and time per frame, for ``--stats``."""
        wall = time.perf_counter() - self._started
        cpu = time.process_time() - self._cpu_started
        frame = np.asarray(self.frame_ms)
        state = self.signal_reader.state if self.signal_reader else None
        d = state.description if state else None
        out = {
            "frames": self.frames,
            "seconds": wall,
            "fps": self.frames / wall if wall > 0 else 0.0,
            "fps_target": self.fps_target,
            "frame_ms": {
                "p50": float(np.percentile(frame, 50)) if frame.size else None,
                "p99": float(np.percentile(frame, 99)) if frame.size else None,
                "mean": float(frame.mean()) if frame.size else None,
                "max": float(frame.max()) if frame.size else None,
            },
            "cpu_fraction": cpu / wall if wall > 0 else 0.0,
            "stream": d.name if d else None,
            "sfreq": d.sfreq if d else None,
            "n_channels": d.n_channels if d else None,
            # Which source is on screen, and how often it (re)connected: a source
            # replaced under a new source_id shows as a second connection.
            "source_id": d.source_id if d else None,
            "connections": self.signal_reader.n_connections if self.signal_reader else 0,
            "samples_received": self.signal_reader.n_received if self.signal_reader else 0,
            "channels_on_screen": len(self.traces.rows_on_screen),
            "window_seconds": self.traces.window_seconds,
            "mode": self.traces.mode,
        }
        drawn = self.traces.frame
        if drawn is not None:  # what the last frame drew: how much painting it cost
            out["traces"] = {"samples_on_screen": drawn.stop - drawn.first,
                             "samples_per_bin": drawn.ds,
                             "points_per_channel": int(drawn.x.size)}
        if self.health.snapshot is not None:
            out["health"] = dict(self.health.snapshot.__dict__)
        return out

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        """Save the screenshot, stop the timer and join every reader thread."""
        if not self._closing:
            self._closing = True
            if self.screenshot_path is not None:
                self.save_screenshot(self.screenshot_path)
            self.timer.stop()
            try:
                self.shutdown()
            except Exception as err:  # raised again by run(), outside Qt's event loop
                self.reader_error = err
        super().closeEvent(event)
        if not self._closed:
            self._closed = True
            self.closed.emit()

    def save_screenshot(self, path: str | Path) -> Path:
        """Save the window as a PNG (``QWidget.grab``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self.grab().save(str(path)):
            raise BciError(f"{path}: could not write the screenshot: check the folder "
                           "is writable and the name ends in .png")
        return path

    def shutdown(self) -> None:
        """Stop every reader and join it (each closes its own inlet).

        Raises
        ------
        Exception
            The first error a reader thread died of (a bug: never swallowed).
        """
        readers = [r for r in (self.signal_reader, self.marker_reader, self.decision_reader,
                               self.discovery, *self._retired) if r is not None]
        for reader in readers:
            reader.request_stop()
        first: BaseException | None = None
        for reader in readers:
            try:
                reader.stop()
            except Exception as err:
                first = first or err
        self._retired.clear()
        if first is not None:
            raise first

    @property
    def threads_alive(self) -> list[str]:
        """Names of reader threads still running (empty after a clean close)."""
        readers = [self.signal_reader, self.marker_reader, self.decision_reader,
                   self.discovery, *self._retired]
        return [r.thread_name for r in readers if r is not None and r.is_running()]


# -- command line -----------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``bci monitor``'s flags to ``parser``."""
    parser.add_argument("--stream", default=None, metavar="N",
                        help="signal stream to show (default: pick from the streams on "
                             "the network)")
    parser.add_argument("--markers", default=None, metavar="M",
                        help="marker stream (default: N-markers)")
    parser.add_argument("--decisions", default=None, metavar="P",
                        help="decision stream of 'bci live' (default STREAM-decisions, as "
                             "bci live names it; bci-decisions without --stream; 'none')")
    parser.add_argument("--config", "--model", default=None, metavar="CONFIG.toml|MODEL",
                        help="pipeline whose filters make the 'filtered' view, whose "
                             "bands are shaded in the spectrum and whose [epochs].events "
                             "name the markers (left (T1))")
    parser.add_argument("--standardize-names", action="store_true",
                        help="show channels as mne.datasets.eegbci.standardize names them "
                             "(PhysioNet's Fc5. as FC5) and look them up in the standard "
                             "10-05 montage")
    parser.add_argument("--duration", type=float, default=None, metavar="S",
                        help="close after S seconds")
    parser.add_argument("--screenshot", default=None, metavar="PNG",
                        help="save the window to PNG just before closing")
    parser.add_argument("--stats", default=None, metavar="FILE.json",
                        help="write frames drawn, frames per second and time per frame")
    parser.add_argument("--view", choices=("raw", "filtered"), default="raw",
                        help="start with raw traces or through the pipeline's filters "
                             "(needs --config); F toggles")
    parser.add_argument("--window", type=float, default=10.0, metavar="S",
                        help="time window of the traces, 1-30 s (default 10)")
    parser.add_argument("--fps", type=float, default=60.0,
                        help="frames per second to aim at (default 60)")
    parser.add_argument("--size", default="1600x1000", metavar="WxH",
                        help="window size in pixels (default 1600x1000)")


def _parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise BciError(f"--size {text!r}: write WIDTHxHEIGHT, e.g. 1600x1000") from None
    if width < 400 or height < 300:
        raise BciError(f"--size {text}: at least 400x300 pixels")
    return width, height


def _qt_messages(kind: QtCore.QtMsgType, context: QtCore.QMessageLogContext,
                 message: str) -> None:
    # The offscreen platform warns once per window that it "does not support
    # propagateSizeHints()": noise on the stderr that carries our one-line errors.
    if "propagateSizeHints" not in message:
        sys.stderr.write(f"qt: {message}\n")


def run(args: argparse.Namespace) -> int:
    """Open the monitor; return the exit status.

    Raises
    ------
    BciError
        For a bad flag, an unreadable ``--config``, or (with ``--duration``) a
        ``--stream`` that never appeared.
    """
    if args.duration is not None and args.duration <= 0:
        raise BciError(f"--duration must be positive, got {args.duration:g}")
    if not 1 <= args.fps <= 240:
        raise BciError(f"--fps must be between 1 and 240, got {args.fps:g}")
    if not 1 <= args.window <= 30:
        raise BciError(f"--window must be between 1 and 30 seconds, got {args.window:g}")
    if args.screenshot and not args.screenshot.lower().endswith(".png"):
        raise BciError(f"--screenshot {args.screenshot}: give a file name ending in .png")
    size = _parse_size(args.size)
    config = check_config_path(args.config) if args.config else None
    # `bci live --stream N` publishes N-decisions by default: watch that one.
    wanted = args.decisions or (f"{args.stream}-decisions" if args.stream else DEFAULT_DECISIONS)
    decisions = None if wanted.lower() == "none" else wanted
    if QtWidgets.QApplication.instance() is None:
        QtCore.qInstallMessageHandler(_qt_messages)
        pg.mkQApp("bci monitor")
    window = MonitorWindow(args.stream, markers=args.markers, decisions=decisions,
                           config=config, fps=args.fps, window_seconds=args.window,
                           view=args.view, screenshot=args.screenshot,
                           standardize_names=args.standardize_names)
    window.resize(*size)
    window.show()
    loop = QtCore.QEventLoop()
    window.closed.connect(loop.quit)
    if args.duration is not None:
        QtCore.QTimer.singleShot(int(args.duration * 1000), window.close)
    # Ctrl-C or SIGTERM closes the window as its close button does (stats and screenshot
    # written). Python runs signal handlers between bytecodes, not inside Qt's loop, so
    # the handler only raises a flag and a timer acts on it.
    stop = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    watch = QtCore.QTimer()
    watch.setInterval(100)
    watch.timeout.connect(lambda: window.close() if stop.is_set() else None)
    watch.start()
    try:
        loop.exec()
    finally:
        watch.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if window.reader_error is not None:
        raise window.reader_error
    if args.stats:
        path = Path(args.stats)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(window.stats(), indent=2) + "\n", encoding="utf-8")
    if args.duration is not None and args.stream and not window.ever_connected:
        raise StreamError(f"stream '{args.stream}' did not appear within {args.duration:g} s:"
                          " start the source, or check the name with 'bci streams'")
    return 0
