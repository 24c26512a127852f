"""The traces panel: stacked channels on a shared time axis, with markers.

Drawing 64 channels x 10 000 samples at 30 frames per second on two cores, in under half
of one core, is the hard part of the monitor, so the panel does its own *peak*
decimation and painting:

* min/max per bin of ``ds`` samples, one bin per two pixel columns, with bins aligned to
  the absolute sample index (:class:`Envelope`): a complete bin never changes, so each
  frame reads and bins only the samples that arrived since the last frame, and the
  envelope does not shimmer as it scrolls;
* only the channels on screen are read from the ring (``RingBuffer.span_rows``);
* each row is a preallocated ``QPolygonF`` whose memory numpy writes into directly,
  drawn with one ``drawPolyline`` per row by a single :class:`TraceItem`; markers are
  painted by one :class:`MarkerItem`; axes are cached as pixmaps.

Measured offscreen at 64 channels x 1 kHz x 10 s, 1400 px wide: pyqtgraph's own
per-curve ``setDownsampling(auto=True, method="peak")`` + ``setClipToView(True)``
reached 7-11 frames per second at about 60 ms of CPU per frame (``PlotDataItem.setData``
recomputes bounds with ``nanmin``/``nanmax`` per curve, ``drawPath`` strokes each
curve), one item with a ``connect`` array 11-20; this panel draws 30 frames per second
at about 12 ms per frame, painting included (``bench/bench_monitor.py``). A min/max pair
per column is what peak downsampling draws.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from pyqtgraph import functions as fn
from PySide6 import QtCore, QtGui, QtWidgets

from bci.stream import Marker, StreamDescription
from bci.stream.ring import RingBuffer
from bci.stream.units import VOLTAGE_TYPES

from .readers import SignalState

#: Trace colours per channel type (two shades, alternating row by row, so neighbouring
#: rows are told apart at 256 channels).
TYPE_COLOURS = {
    "eeg": ((120, 190, 255), (80, 150, 230)),
    "emg": ((255, 170, 90), (230, 130, 60)),
    "eog": ((130, 230, 130), (90, 200, 90)),
    "ecg": ((255, 110, 110), (220, 80, 80)),
    "stim": ((200, 150, 255), (170, 120, 230)),
}
OTHER_COLOURS = ((200, 200, 200), (160, 160, 160))
SELECTED_COLOUR = (255, 235, 80)

#: Factor per key press or wheel notch when scaling.
SCALE_STEP = 1.25


def format_si(value: float, unit: str) -> str:
    """``5e-05, 'V'`` -> ``'50 µV'``."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g} {unit}".strip()
    for factor, prefix in ((1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, ""), (1e3, "k")):
        if abs(value) < factor * 1000:
            return f"{value / factor:.3g} {prefix}{unit}".strip()
    return f"{value:.3g} {unit}".strip()


def channel_unit(ch_type: str) -> str:
    """Display unit of a channel type: volts for voltages, none otherwise."""
    return "V" if ch_type in VOLTAGE_TYPES else ""


class Envelope:
    """Min/max of fixed bins of ``ds`` samples, kept up to date incrementally.

    Bin ``b`` holds samples ``b * ds`` to ``(b + 1) * ds`` (absolute indices), so a bin's
    content never changes once complete and each frame only bins the samples that
    arrived since the last one (a few bins at 30 frames per second) instead of the whole
    window: reading, binning and centring 64 x 10 000 samples every frame cost 5-6 ms.
    Samples after the last complete bin (fewer than ``ds``) are kept as they are and
    drawn sample by sample, so the newest sample is always on screen.

    Attributes
    ----------
    lows, highs, sums : ndarray, shape (n_rows, capacity)
        Per bin (slot ``b % capacity``): minimum, maximum and sum of its samples.
    starts, middles : ndarray, shape (capacity,)
        Time of each bin's first and middle sample (where the min and max are drawn).
    first_bin, next_bin : int
        Bins ``first_bin`` to ``next_bin - 1`` are complete and inside the window.
    tail, tail_times : ndarray
        The samples after the last complete bin.
    stop : int
        Absolute index one past the newest sample seen.
    newest_time : float
        Timestamp of that sample.
    """

    def __init__(self, n_rows: int, ds: int, n_window: int, key: tuple) -> None:
        self.key = key
        self.ds = ds
        self.n_window = n_window
        self.capacity = n_window // ds + 2
        self.lows = np.zeros((n_rows, self.capacity))
        self.highs = np.zeros((n_rows, self.capacity))
        self.sums = np.zeros((n_rows, self.capacity))
        self.starts = np.zeros(self.capacity)
        self.middles = np.zeros(self.capacity)
        self.first_bin = self.next_bin = 0
        self.tail = np.empty((n_rows, 0))
        self.tail_times = np.empty(0)
        self.stop = 0
        self.newest_time = 0.0

    def update(self, ring: RingBuffer, rows: np.ndarray, stop: int) -> bool:
        """Bin the samples up to ``stop``; False when nothing was held yet."""
        ds = self.ds
        first_bin = max(-(-(stop - self.n_window) // ds), 0)  # ceil division
        if stop < self.stop or self.next_bin < first_bin:
            self.next_bin = first_bin  # jumped ahead (or back): start from the window
        start = self.next_bin * ds
        data, times, first = ring.span_rows(rows, start, stop)
        if times.size == 0:
            return self.stop > 0
        if first > start:  # those samples are gone (a long pause): skip to what is held
            self.next_bin = -(-first // ds)
            skip = self.next_bin * ds - first
            data, times = data[:, skip:], times[skip:]
        n_bins = times.size // ds
        if n_bins:
            body = data[:, :n_bins * ds].reshape(data.shape[0], n_bins, ds)
            if n_bins > 64:
                # Reducing over a short last axis is slow in numpy (13 ms for 64 x 10 000
                # at ds = 7); over the first axis of a transposed copy it is 5x faster.
                body = np.ascontiguousarray(body.transpose(2, 0, 1))
                lows, highs, sums = body.min(axis=0), body.max(axis=0), body.sum(axis=0)
            else:
                lows, highs, sums = body.min(axis=2), body.max(axis=2), body.sum(axis=2)
            slots = np.arange(self.next_bin, self.next_bin + n_bins) % self.capacity
            if n_bins > self.capacity:  # only the newest capacity bins fit
                slots, lows, highs, sums = (slots[-self.capacity:], lows[:, -self.capacity:],
                                            highs[:, -self.capacity:],
                                            sums[:, -self.capacity:])
                binned_times = times[(n_bins - self.capacity) * ds:n_bins * ds]
            else:
                binned_times = times[:n_bins * ds]
            self.lows[:, slots] = lows
            self.highs[:, slots] = highs
            self.sums[:, slots] = sums
            self.starts[slots] = binned_times[::ds]
            self.middles[slots] = binned_times[ds // 2::ds]
            self.next_bin += n_bins
        self.tail = data[:, n_bins * ds:]
        self.tail_times = times[n_bins * ds:]
        # The window's bins, as far as the slots still hold them.
        self.first_bin = min(max(first_bin, self.next_bin - self.capacity), self.next_bin)
        self.stop = stop
        self.newest_time = float(times[-1])
        return True

    def slots(self) -> np.ndarray:
        """Slots of the bins on screen, oldest first."""
        return np.arange(self.first_bin, self.next_bin) % self.capacity


class TraceItem(pg.GraphicsObject):
    """Paints one polyline per row from preallocated ``QPolygonF`` buffers.

    ``views[k]`` is an ``(n_points, 2)`` float64 numpy view of row ``k``'s polygon
    memory: writing into it changes what is painted, with no copy and no Python loop
    over points.
    """

    def __init__(self) -> None:
        super().__init__()
        self._polys: list[QtGui.QPolygonF] = []
        self.views: list[np.ndarray] = []
        self._pens: list[QtGui.QPen] = []
        self._rect = QtCore.QRectF(0, 0, 1, 1)
        self.n_points = 0

    def allocate(self, n_rows: int, n_points: int) -> list[np.ndarray]:
        """Polylines of exactly ``n_points`` for ``n_rows`` rows; returns numpy views.

        The buffers are reused while the size stays put; the number of points changes
        from frame to frame only while the ring fills up or the window is resized.
        """
        if n_rows != len(self._polys) or n_points != self.n_points:
            self._polys = [fn.create_qpolygonf(n_points) for _ in range(n_rows)]
            self.views = [fn.ndarray_from_qpolygonf(p) for p in self._polys]
            self.n_points = n_points
        return self.views

    def set_pens(self, pens: list[QtGui.QPen]) -> None:
        """One pen per row."""
        self._pens = pens

    def set_bounds(self, rect: QtCore.QRectF) -> None:
        """The area the rows are drawn in (data coordinates)."""
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect

    def boundingRect(self) -> QtCore.QRectF:
        """Where the item paints (data coordinates)."""
        return self._rect

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        """Draw every row."""
        if not self._polys:
            return
        for poly, pen in zip(self._polys, self._pens, strict=False):
            painter.setPen(pen)
            painter.drawPolyline(poly)


class MarkerItem(pg.GraphicsObject):
    """Labelled vertical lines at marker times, painted in one pass.

    One ``InfiniteLine`` per marker costs about half a millisecond per line per frame to
    move (bounds, signals); this item draws every line and label itself, with the labels
    in device pixels so they keep their size whatever the scale.
    """

    def __init__(self) -> None:
        super().__init__()
        self._markers: list[tuple[float, str, QtGui.QColor]] = []
        self._rect = QtCore.QRectF(0, 0, 1, 1)
        self._font = QtGui.QFont()
        self._font.setPointSize(8)
        self._font.setBold(True)

    def set_markers(self, markers: list[tuple[float, str, QtGui.QColor]],
                    rect: QtCore.QRectF) -> None:
        """Lines at x (data coordinates) with their labels and colours, inside ``rect``."""
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self._markers = markers
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        """The plot area (data coordinates)."""
        return self._rect

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        """Dashed lines from top to bottom, labels at the top."""
        if not self._markers:
            return
        transform = painter.transform()
        top, bottom = self._rect.top(), self._rect.bottom()
        painter.resetTransform()
        painter.setFont(self._font)
        metrics = QtGui.QFontMetrics(self._font)
        y_top = min(transform.map(QtCore.QPointF(0, top)).y(),
                    transform.map(QtCore.QPointF(0, bottom)).y())
        y_bottom = max(transform.map(QtCore.QPointF(0, top)).y(),
                       transform.map(QtCore.QPointF(0, bottom)).y())
        for x, label, colour in self._markers:
            px = transform.map(QtCore.QPointF(x, 0)).x()
            pen = QtGui.QPen(colour)
            pen.setStyle(QtCore.Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawLine(QtCore.QPointF(px, y_top), QtCore.QPointF(px, y_bottom))
            width = metrics.horizontalAdvance(label) + 6
            box = QtCore.QRectF(px + 2, y_top + 2, width, metrics.height() + 2)
            painter.fillRect(box, QtGui.QColor(30, 30, 45, 220))
            painter.setPen(colour)
            painter.drawText(box, QtCore.Qt.AlignmentFlag.AlignCenter, label)


class TraceViewBox(pg.ViewBox):
    """A view box whose wheel and clicks scale and select channels instead of zooming."""

    wheeled = QtCore.Signal(float, float, object)  # notches, y (data), modifiers
    clicked = QtCore.Signal(float)  # y (data)

    def __init__(self) -> None:
        super().__init__(enableMenu=False)
        self.setMouseEnabled(x=False, y=False)

    def wheelEvent(self, ev: QtWidgets.QGraphicsSceneWheelEvent,
                   axis: int | None = None) -> None:
        """Wheel: global scale; Shift+wheel: the channel under the pointer."""
        y = self.mapSceneToView(ev.scenePos()).y()
        self.wheeled.emit(ev.delta() / 120.0, y, ev.modifiers())
        ev.accept()

    def mouseClickEvent(self, ev: object) -> None:
        """A click selects the channel under the pointer."""
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            self.clicked.emit(self.mapSceneToView(ev.scenePos()).y())
            ev.accept()

    def mouseDragEvent(self, ev: object, axis: int | None = None) -> None:
        """Dragging does nothing (the time axis follows the stream)."""
        ev.ignore()


class TimedPlotWidget(pg.PlotWidget):
    """A ``PlotWidget`` that adds the time spent painting it to ``paint_seconds``."""

    paint_seconds = 0.0
    paints = 0

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Axes (and the grid they draw) change only when the range or the ticks do;
        # caching them as pixmaps saves replaying 64 tick labels on every frame.
        for axis in self.getPlotItem().axes.values():
            axis["item"].setCacheMode(
                QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def paintEvent(self, ev: QtGui.QPaintEvent) -> None:
        """Paint, and account the time (the monitor's per-frame statistics)."""
        import time

        start = time.perf_counter()
        super().paintEvent(ev)
        TimedPlotWidget.paint_seconds += time.perf_counter() - start
        self.paints += 1


class TracesPanel(QtWidgets.QWidget):
    """Stacked traces of one stream, raw or filtered, with markers.

    Keys (also listed in ``docs/monitor.md``): Up/Down or +/- global scale, Shift+Up/Down
    the selected channel's scale, A auto-scale, Shift+A auto-scale each channel,
    R reset channel scales, Space pause, F raw/filtered, [ ] time window, PageUp/PageDown
    channel pages. Mouse: wheel scales all channels, Shift+wheel the channel under the
    pointer, a click selects a channel.
    """

    #: Emitted when the channels on screen or the view mode change.
    view_changed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._desc: StreamDescription | None = None
        self._generation = -1
        self._mode = "raw"
        self._window = 10.0
        self._page_size = 64
        self._first = 0
        self._scale = 50e-6  # signal per row spacing (V for voltages)
        self._ch_scale: dict[str, float] = {}
        self._selected: str | None = None
        self._paused = False
        self._remove_dc = True
        self._auto_pending = True  # auto-scale once the first second has arrived
        self.bin_pixels = 2.0  # pixel columns per min/max pair
        self.wanted_mode = "raw"  # switch to it once the stream allows (--view)
        self._filtered_names: tuple[str, ...] = ()
        self._checked: set[str] = set()
        self._type_filter = "all"
        self._visible: list[str] = []  # selected channels, in stream order
        self._rows_on_screen: list[str] = []
        self._envelope: Envelope | None = None
        self._frozen_stop: int | None = None
        self._force = False
        self._ring: RingBuffer | None = None
        self._rows = np.empty(0, dtype=np.intp)
        self._names_drawn: list[str] = []
        self._offsets = self._centres = self._gains = np.empty(0)
        self._markers: list[Marker] = []
        self._marker_colours: dict[str, QtGui.QColor] = {}
        self._view_range: tuple[float, float] | None = None
        self._marker_positions: list[tuple[float, str]] = []
        self._build()

    # -- layout ------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        bar = QtWidgets.QHBoxLayout()
        bar.setSpacing(4)
        self.pause_button = QtWidgets.QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Freeze the display (Space); data keeps arriving")
        self.pause_button.toggled.connect(self.set_paused)
        self.mode_combo = QtWidgets.QComboBox()
        self.mode_combo.addItems(["raw", "filtered"])
        self.mode_combo.setToolTip("Raw samples, or through the pipeline's filters (F)")
        self.mode_combo.currentTextChanged.connect(self.set_mode)
        self.window_spin = QtWidgets.QDoubleSpinBox()
        self.window_spin.setRange(1.0, 30.0)
        self.window_spin.setSingleStep(1.0)
        self.window_spin.setDecimals(0)
        self.window_spin.setSuffix(" s")
        self.window_spin.setValue(self._window)
        self.window_spin.setToolTip("Time window ([ and ])")
        self.window_spin.valueChanged.connect(self.set_window)
        self.type_combo = QtWidgets.QComboBox()
        self.type_combo.addItem("all types")
        self.type_combo.setToolTip("Show channels of one type")
        self.type_combo.currentTextChanged.connect(self._type_changed)
        self.channels_button = QtWidgets.QPushButton("Channels…")
        self.channels_button.setCheckable(True)
        self.channels_button.setToolTip("Choose channels")
        self.page_combo = QtWidgets.QComboBox()
        for n in (8, 16, 32, 64, 128):
            self.page_combo.addItem(f"{n} per page", n)
        self.page_combo.setCurrentIndex(3)
        self.page_combo.setToolTip("Channels on screen at once (PageUp/PageDown to page)")
        self.page_combo.currentIndexChanged.connect(
            lambda _: self.set_page_size(self.page_combo.currentData()))
        self.page_label = QtWidgets.QLabel("")
        self.page_label.setToolTip("Channels on screen (PageUp/PageDown, scroll bar)")
        self.auto_button = QtWidgets.QPushButton("Auto-scale")
        self.auto_button.setToolTip("Fit the amplitude to the rows (A; Shift+A per channel)")
        self.auto_button.clicked.connect(lambda: self.auto_scale(per_channel=False))
        self.dc_check = QtWidgets.QCheckBox("remove DC")
        self.dc_check.setChecked(True)
        self.dc_check.setToolTip("Subtract each channel's mean over the window")
        self.dc_check.toggled.connect(self._dc_toggled)
        self.scale_label = QtWidgets.QLabel()
        self.scale_label.setMinimumWidth(120)
        for widget in (self.pause_button, self.mode_combo, self.window_spin, self.type_combo,
                       self.channels_button, self.page_combo, self.page_label,
                       self.auto_button,
                       self.dc_check):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.scale_label)
        layout.addLayout(bar)

        body = QtWidgets.QHBoxLayout()
        body.setSpacing(2)
        self.channel_panel = QtWidgets.QWidget()
        side = QtWidgets.QVBoxLayout(self.channel_panel)
        side.setContentsMargins(0, 0, 0, 0)
        self.channel_list = QtWidgets.QListWidget()
        self.channel_list.setMaximumWidth(140)
        self.channel_list.itemChanged.connect(self._channel_checked)
        buttons = QtWidgets.QHBoxLayout()
        all_button = QtWidgets.QPushButton("All")
        none_button = QtWidgets.QPushButton("None")
        all_button.clicked.connect(lambda: self._check_all(True))
        none_button.clicked.connect(lambda: self._check_all(False))
        buttons.addWidget(all_button)
        buttons.addWidget(none_button)
        side.addWidget(self.channel_list)
        side.addLayout(buttons)
        self.channel_panel.setVisible(False)
        self.channels_button.toggled.connect(self.channel_panel.setVisible)

        self.view_box = TraceViewBox()
        self.plot = TimedPlotWidget(viewBox=self.view_box)
        self.plot.setBackground((12, 12, 16))
        item = self.plot.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        item.enableAutoRange(False)
        item.showGrid(x=True, y=False, alpha=0.15)
        item.setLabel("bottom", "time (s, 0 = newest sample)")
        font = QtGui.QFont()
        font.setPointSize(7)
        self.left_axis = item.getAxis("left")
        self.left_axis.setStyle(tickFont=font, tickTextWidth=48, autoExpandTextSpace=False)
        self.left_axis.setWidth(56)
        self.traces = TraceItem()
        item.addItem(self.traces)
        self.marker_item = MarkerItem()
        self.marker_item.setZValue(5)
        item.addItem(self.marker_item)
        self.message = pg.TextItem("", color=(200, 200, 200), anchor=(0.5, 0.5))
        item.addItem(self.message)
        self.view_box.wheeled.connect(self._wheel)
        self.view_box.sigResized.connect(self._update_ticks)
        self.view_box.clicked.connect(self._click)
        self.scrollbar = QtWidgets.QScrollBar(QtCore.Qt.Orientation.Vertical)
        self.scrollbar.setToolTip("Scroll through the channels (PageUp/PageDown)")
        self.scrollbar.valueChanged.connect(self._scrolled)
        self.scrollbar.setVisible(False)  # until there are more channels than a page
        body.addWidget(self.channel_panel)
        body.addWidget(self.plot, 1)
        body.addWidget(self.scrollbar)
        layout.addLayout(body, 1)
        self.show_message("waiting for a stream…")
        self._update_scale_label()

    def show_message(self, text: str) -> None:
        """Show ``text`` in the middle of the plot instead of traces ("" hides it)."""
        if text == self.message.toPlainText() and self.message.isVisible() == bool(text):
            return
        self.message.setText(text)
        self.message.setVisible(bool(text))
        if text:
            self._view_range = None
            self.plot.getPlotItem().setXRange(-1, 1, padding=0)
            self.plot.getPlotItem().setYRange(-1, 1, padding=0)
            self.message.setPos(0, 0)

    # -- stream and channels -----------------------------------------------------------

    @property
    def mode(self) -> str:
        """``"raw"`` or ``"filtered"``."""
        return self._mode

    @property
    def window_seconds(self) -> float:
        """Seconds of signal on screen."""
        return self._window

    @property
    def paused(self) -> bool:
        """Whether the display is frozen."""
        return self._paused

    @property
    def rows_on_screen(self) -> list[str]:
        """Names of the channels drawn, top to bottom."""
        return list(self._rows_on_screen)

    def set_stream(self, state: SignalState) -> None:
        """Adopt a new connection: channel list, types, filtered channels."""
        d = state.description
        self._generation = state.generation
        same_layout = self._desc is not None and self._desc.ch_names == d.ch_names
        self._desc = d
        self._filtered_names = state.filtered_names
        if not same_layout:
            self._checked = set(d.ch_names)
            self._ch_scale = {}
            self._selected = None
            self._first = 0
            self._auto_pending = True
            self.type_combo.blockSignals(True)
            self.type_combo.clear()
            self.type_combo.addItem("all types")
            for ch_type in dict.fromkeys(d.ch_types):
                self.type_combo.addItem(ch_type)
            self._type_filter = "all"
            self.type_combo.blockSignals(False)
            self.channel_list.blockSignals(True)
            self.channel_list.clear()
            for name, ch_type in zip(d.ch_names, d.ch_types, strict=True):
                entry = QtWidgets.QListWidgetItem(f"{name}  ({ch_type})")
                entry.setData(QtCore.Qt.ItemDataRole.UserRole, name)
                entry.setFlags(entry.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
                entry.setCheckState(QtCore.Qt.CheckState.Checked)
                self.channel_list.addItem(entry)
            self.channel_list.blockSignals(False)
        can_filter = state.filtered is not None
        model = self.mode_combo.model()
        model.item(1).setEnabled(can_filter)
        self.mode_combo.setItemData(1, state.filter_note or "no --config given",
                                    QtCore.Qt.ItemDataRole.ToolTipRole)
        if not can_filter and self._mode == "filtered":
            self.mode_combo.setCurrentText("raw")
        if can_filter and self.wanted_mode == "filtered" and self._mode != "filtered":
            self.set_mode("filtered")
        self._update_visible()

    def _types(self) -> dict[str, str]:
        return dict(zip(self._desc.ch_names, self._desc.ch_types, strict=True))

    def _update_visible(self) -> None:
        if self._desc is None:
            return
        types = self._types()
        names = self._desc.ch_names
        if self._mode == "filtered":
            allowed = set(self._filtered_names)
            names = tuple(n for n in names if n in allowed)
        self._visible = [n for n in names if n in self._checked
                         and (self._type_filter == "all" or types[n] == self._type_filter)]
        maximum = max(len(self._visible) - self._page_size, 0)
        self._first = min(self._first, maximum)
        self.scrollbar.blockSignals(True)
        self.scrollbar.setRange(0, maximum)
        self.scrollbar.setPageStep(self._page_size)
        self.scrollbar.setSingleStep(1)
        self.scrollbar.setValue(self._first)
        self.scrollbar.setVisible(maximum > 0)
        self.scrollbar.blockSignals(False)
        self._layout_rows()

    def _layout_rows(self) -> None:
        rows = self._visible[self._first:self._first + self._page_size]
        self._rows_on_screen = rows
        types = self._types() if self._desc else {}
        pens = []
        for k, name in enumerate(rows):
            if name == self._selected:
                colour = SELECTED_COLOUR
            else:
                colour = TYPE_COLOURS.get(types.get(name, ""), OTHER_COLOURS)[k % 2]
            pen = QtGui.QPen(QtGui.QColor(*colour))
            pen.setCosmetic(True)
            pen.setWidthF(1.0)
            pens.append(pen)
        self.traces.set_pens(pens)
        self._update_ticks()
        total = len(self._visible)
        self.page_label.setText(
            f"{self._first + 1}–{self._first + len(rows)} of {total}" if rows else "none")
        self._force = True
        self.view_changed.emit()
        self._update_scale_label()

    def _update_ticks(self) -> None:
        rows = self._rows_on_screen
        ticks = [(-float(k), name) for k, name in enumerate(rows)]
        # When rows are shorter than a line of text, label every other (third...) one so
        # the names stay readable; recomputed when the plot is resized.
        height = max(self.view_box.height(), 1.0)
        stride = max(1, int(math.ceil(len(rows) * 9.0 / height)))
        self.left_axis.setTicks([[t for k, t in enumerate(ticks) if k % stride == 0], []])

    def _type_changed(self, text: str) -> None:
        self._type_filter = "all" if text in ("", "all types") else text
        self._first = 0
        self._update_visible()

    def _channel_checked(self, entry: QtWidgets.QListWidgetItem) -> None:
        name = entry.data(QtCore.Qt.ItemDataRole.UserRole)
        if entry.checkState() == QtCore.Qt.CheckState.Checked:
            self._checked.add(name)
        else:
            self._checked.discard(name)
        self._update_visible()

    def _check_all(self, checked: bool) -> None:
        state = QtCore.Qt.CheckState.Checked if checked else QtCore.Qt.CheckState.Unchecked
        self.channel_list.blockSignals(True)
        for i in range(self.channel_list.count()):
            self.channel_list.item(i).setCheckState(state)
        self.channel_list.blockSignals(False)
        self._checked = set(self._desc.ch_names) if (checked and self._desc) else set()
        self._update_visible()

    def select_channels(self, names: Sequence[str] | None = None,
                        ch_type: str | None = None) -> None:
        """Show only ``names`` (None: all) and/or only channels of ``ch_type``."""
        if self._desc is None:
            return
        self._checked = set(self._desc.ch_names if names is None else names)
        self.channel_list.blockSignals(True)
        for i in range(self.channel_list.count()):
            entry = self.channel_list.item(i)
            name = entry.data(QtCore.Qt.ItemDataRole.UserRole)
            entry.setCheckState(QtCore.Qt.CheckState.Checked if name in self._checked
                                else QtCore.Qt.CheckState.Unchecked)
        self.channel_list.blockSignals(False)
        if ch_type is not None:
            index = self.type_combo.findText(ch_type)
            self.type_combo.setCurrentIndex(max(index, 0))
        self._first = 0
        self._update_visible()

    def _scrolled(self, value: int) -> None:
        self._first = value
        self._layout_rows()

    def page(self, direction: int) -> None:
        """Show the next (+1) or previous (-1) page of channels."""
        self.scrollbar.setValue(self._first + direction * self._page_size)

    def set_page_size(self, n: int) -> None:
        """Channels on screen at once."""
        self._page_size = int(n)
        self._update_visible()

    # -- modes -------------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        """``"raw"`` or ``"filtered"`` (the pipeline's filters, picked channels only)."""
        if mode == self._mode:
            return
        self._mode = self.wanted_mode = mode
        if self.mode_combo.currentText() != mode:
            self.mode_combo.setCurrentText(mode)
        self._auto_pending = True  # filtered and raw amplitudes differ (DC, drift)
        self._update_visible()

    def toggle_mode(self) -> None:
        """Switch between raw and filtered (when a pipeline is loaded)."""
        target = "raw" if self._mode == "filtered" else "filtered"
        if self.mode_combo.model().item(1).isEnabled() or target == "raw":
            self.set_mode(target)

    def set_paused(self, paused: bool) -> None:
        """Freeze (True) or follow the stream again (False)."""
        self._paused = bool(paused)
        # Frozen at the newest sample drawn; the ring keeps filling (32 s), so changing
        # channels or the window while paused still redraws the same moment.
        self._frozen_stop = (self._envelope.stop if paused and self._envelope is not None
                             else None)
        if self.pause_button.isChecked() != self._paused:
            self.pause_button.setChecked(self._paused)
        self.pause_button.setText("Resume" if self._paused else "Pause")
        self._force = True

    def set_window(self, seconds: float) -> None:
        """Seconds of signal on screen, 1 to 30."""
        self._window = float(min(max(seconds, 1.0), 30.0))
        if self.window_spin.value() != self._window:
            self.window_spin.setValue(self._window)
        self._force = True

    def _dc_toggled(self, on: bool) -> None:
        self._remove_dc = on
        self._redraw_snapshot()

    # -- scaling -----------------------------------------------------------------------

    def _main_unit(self) -> str:
        if self._desc is None:
            return "V"
        types = [t for n, t in zip(self._desc.ch_names, self._desc.ch_types, strict=True)
                 if n in self._rows_on_screen] or list(self._desc.ch_types)
        main = max(set(types), key=types.count)
        return channel_unit(main)

    def _update_scale_label(self) -> None:
        text = f"{format_si(self._scale, self._main_unit())} / row"
        if self._selected is not None:
            factor = self._ch_scale.get(self._selected, 1.0)
            text += f"   {self._selected}: ×{1 / factor:.2g}"
        self.scale_label.setText(text)

    @property
    def scale(self) -> float:
        """Signal amplitude (SI units) per row spacing, for every channel."""
        return self._scale

    def channel_gain(self, name: str) -> float:
        """Display gain of one channel: rows per SI unit (what the traces multiply by)."""
        return 1.0 / (self._scale * self._ch_scale.get(name, 1.0))

    def zoom(self, notches: float, channel: str | None = None) -> None:
        """Enlarge (notches > 0) or shrink the traces, all or one channel's."""
        factor = SCALE_STEP ** (-notches)
        if channel is None:
            self._scale *= factor
        else:
            self._ch_scale[channel] = self._ch_scale.get(channel, 1.0) * factor
        self._update_scale_label()
        self._redraw_snapshot()

    def reset_channel_scales(self) -> None:
        """Every channel back to the global scale."""
        self._ch_scale = {}
        self._update_scale_label()
        self._redraw_snapshot()

    def auto_scale(self, per_channel: bool = False) -> None:
        """Fit amplitudes to the rows.

        Global: one scale from the median spread of the channels on screen of the main
        type (relative amplitudes stay comparable); channels of other types (a counter,
        an accelerometer) get their own factor. Per channel: every channel fitted alone.
        """
        envelope, names = self._envelope, self._names_drawn
        if envelope is None or self._desc is None or not names:
            return
        slots = envelope.slots()
        lows = np.concatenate([envelope.lows[:, slots], envelope.tail], axis=1)
        highs = np.concatenate([envelope.highs[:, slots], envelope.tail], axis=1)
        if lows.shape[1] < 2:
            return
        low = np.percentile(lows, 1, axis=1)
        high = np.percentile(highs, 99, axis=1)
        spread = (high - low) / 0.8  # the 1-99 % range fills 80 % of a row
        types = self._types()
        kinds = [types[n] for n in names]
        main = max(set(kinds), key=kinds.count)
        good = [s for s, k in zip(spread, kinds, strict=True) if k == main and s > 0]
        if good:
            self._scale = float(np.median(good))
        for name, s, kind in zip(names, spread, kinds, strict=True):
            if s <= 0:
                continue
            if per_channel or kind != main:
                self._ch_scale[name] = float(s / self._scale)
            elif not per_channel:
                self._ch_scale.pop(name, None)
        self._update_scale_label()
        self._redraw_snapshot()

    def _row_at(self, y: float) -> str | None:
        k = int(round(-y))
        if 0 <= k < len(self._rows_on_screen):
            return self._rows_on_screen[k]
        return None

    def _wheel(self, notches: float, y: float, modifiers: object) -> None:
        shift = bool(modifiers & QtCore.Qt.KeyboardModifier.ShiftModifier)
        self.zoom(notches, self._row_at(y) if shift else None)

    def _click(self, y: float) -> None:
        name = self._row_at(y)
        self._selected = None if name == self._selected else name
        self._layout_rows()
        self._redraw_snapshot()

    @property
    def selected_channel(self) -> str | None:
        """The channel picked with a click (its scale follows Shift+Up/Down)."""
        return self._selected

    # -- drawing -----------------------------------------------------------------------

    def set_markers(self, markers: list[Marker]) -> None:
        """Markers to draw (the panel keeps those inside the time window).

        A marker can arrive after the samples around it; it is drawn at once, also on a
        paused view.
        """
        self._markers = markers
        if self._envelope is not None and self._names_drawn:
            self._draw_markers(self._envelope.newest_time)

    def refresh(self, state: SignalState) -> bool:
        """Bin the newest samples and redraw; False when there was nothing new.

        Called by the monitor's timer on the Qt thread: it only copies from the ring
        (a seqlock read of the samples that arrived since the last frame) and never
        touches LSL.
        """
        if state.description is None:
            self.show_message("waiting for the stream…")
            return False
        if state.generation != self._generation:
            self.set_stream(state)
        ring: RingBuffer | None = state.filtered if self._mode == "filtered" else state.ring
        if ring is None or not self._rows_on_screen:
            self.show_message("no channels selected" if ring is not None else "")
            return False
        names = list(self._rows_on_screen)
        source = (state.filtered_names if self._mode == "filtered"
                  else self._desc.ch_names)
        index = {n: i for i, n in enumerate(source)}
        rows = np.array([index[n] for n in names], dtype=np.intp)
        n_window = max(int(round(self._window * state.description.sfreq)), 2)
        # One min/max pair per `bin_pixels` columns: 2 px halves the painting (which
        # costs in proportion to the points) for an envelope one can hardly tell apart.
        width = max(int(self.view_box.width() / self.bin_pixels), 50)
        ds = max(n_window // width, 1)
        key = (id(ring), tuple(names), ds, n_window)
        if self._paused and self._frozen_stop is not None:
            stop = self._frozen_stop
        else:
            stop = ring.n_written
        envelope = self._envelope
        if envelope is None or envelope.key != key:
            envelope = Envelope(len(rows), ds, n_window, key)
            self._envelope = envelope
        elif stop == envelope.stop and not self._force:
            return False  # nothing new: do not redraw
        self._force = False
        if not envelope.update(ring, rows, stop):
            self.show_message("waiting for samples…")
            return False
        self._ring, self._rows, self._names_drawn = ring, rows, names
        if self._auto_pending:
            held = (envelope.next_bin - envelope.first_bin) * ds + envelope.tail_times.size
            if held >= min(1.0, self._window * 0.5) * state.description.sfreq:
                self._auto_pending = False
                self.auto_scale()
                return True  # auto_scale drew
        self._draw()
        return True

    def _redraw_snapshot(self) -> None:
        if self._envelope is not None and self._names_drawn:
            self._draw()

    def plotted_data(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The samples behind the traces on screen, before display scaling.

        Returns
        -------
        names : list of str
            Channels on screen, top to bottom.
        times : ndarray, shape (n_times,)
            LSL timestamps of the samples.
        data : ndarray, shape (n_channels, n_times)
            The samples (SI units) exactly as received (or as filtered) that the drawn
            envelope was computed from: every sample of the window's complete bins and
            the newest samples after them. Read back from the ring now, so call it right
            after a frame (or while paused).
        """
        envelope = self._envelope
        if envelope is None or not self._names_drawn:
            return [], np.empty(0), np.empty((0, 0))
        data, times, _ = self._ring.span_rows(self._rows, envelope.first_bin * envelope.ds,
                                              envelope.stop)
        return list(self._names_drawn), times, data

    def drawn_curves(self) -> list[np.ndarray]:
        """Copies of the polylines painted, one ``(n_points, 2)`` (x, y) array per row.

        Rows are padded at the end by repeating the newest point.
        """
        return [v.copy() for v in self.traces.views]

    @property
    def bin_size(self) -> int:
        """Samples per min/max bin of the traces on screen (1: every sample drawn)."""
        return self._envelope.ds if self._envelope is not None else 1

    def display_transform(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row on screen: offset, centre and gain; y = offset + (x - centre) * gain."""
        return self._offsets.copy(), self._centres.copy(), self._gains.copy()

    def _draw(self) -> None:
        envelope, names = self._envelope, self._names_drawn
        n_rows, ds = len(names), envelope.ds
        self.show_message("")
        slots = envelope.slots()
        n_bins = slots.size
        tail, tail_times = envelope.tail, envelope.tail_times
        t_ref = envelope.newest_time
        lows = envelope.lows[:, slots]
        if ds == 1:  # every sample is its own bin: one point each
            x = np.concatenate([envelope.starts[slots], tail_times])
            y = np.concatenate([lows, tail], axis=1)
            size = envelope.capacity + 1
        else:
            n_points = 2 * n_bins + tail_times.size
            x = np.empty(n_points)
            x[:2 * n_bins:2] = envelope.starts[slots]
            x[1:2 * n_bins:2] = envelope.middles[slots]
            x[2 * n_bins:] = tail_times
            y = np.empty((n_rows, n_points))
            y[:, :2 * n_bins:2] = lows
            y[:, 1:2 * n_bins:2] = envelope.highs[:, slots]
            y[:, 2 * n_bins:] = tail
            size = 2 * envelope.capacity + ds
        x -= t_ref
        count = n_bins * ds + tail_times.size
        if self._remove_dc and count:
            centres = (envelope.sums[:, slots].sum(axis=1) + tail.sum(axis=1)) / count
        else:
            centres = np.zeros(n_rows)
        offsets = -np.arange(n_rows, dtype=np.float64)
        gains = np.array([self.channel_gain(name) for name in names])
        self._offsets, self._centres, self._gains = offsets, centres, gains
        y -= centres[:, np.newaxis]
        y *= gains[:, np.newaxis]
        y += offsets[:, np.newaxis]
        # Keep wild values near the plot: the raster engine slows down on huge lines.
        np.clip(y, -n_rows - 1.0, 2.0, out=y)
        # Pad to a size that depends only on the window and the width, repeating the
        # newest point (zero-length segments draw nothing), so the polygons are reused.
        n_points = x.shape[0]
        views = self.traces.allocate(n_rows, max(size, n_points))
        for row, view in enumerate(views):
            view[:n_points, 0] = x
            view[:n_points, 1] = y[row]
            view[n_points:] = view[n_points - 1]
        self.traces.set_bounds(QtCore.QRectF(-self._window, -n_rows - 1.0,
                                             self._window, n_rows + 3.0))
        self.traces.update()
        # Setting an unchanged range still costs ~1 ms of pyqtgraph signalling: only on
        # a change.
        if self._view_range != (self._window, n_rows):
            self._view_range = (self._window, n_rows)
            item = self.plot.getPlotItem()
            item.setXRange(-self._window, 0.0, padding=0.0)
            item.setYRange(-n_rows + 0.5, 0.5, padding=0.0)
        self._draw_markers(t_ref)

    def _draw_markers(self, t_ref: float) -> None:
        shown = [(m.time - t_ref, m.label) for m in self._markers
                 if -self._window <= m.time - t_ref <= 0.0]
        n_rows = max(len(self._rows_on_screen), 1)
        self.marker_item.set_markers(
            [(x, label, self._marker_colour(label)) for x, label in shown],
            QtCore.QRectF(-self._window, -n_rows + 0.5, self._window, n_rows))
        self._marker_positions = shown

    def _marker_colour(self, label: str) -> QtGui.QColor:
        colour = self._marker_colours.get(label)
        if colour is None:
            # A stable colour per label (crc32, not hash(): that changes per process).
            colour = pg.intColor(zlib.crc32(label.encode()) % 9, hues=9, minValue=220)
            self._marker_colours[label] = colour
        return colour

    def drawn_markers(self) -> list[tuple[float, str]]:
        """Markers on screen: (x in seconds relative to the newest sample, label)."""
        return list(self._marker_positions)
