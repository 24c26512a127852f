"""The traces panel: stacked channels on a shared time axis, with markers.

The widget: its controls (pause, raw/filtered, window, channel types, pages, scales),
its keys and mouse, and the frame loop's :meth:`TracesPanel.refresh`. What it draws is
computed by :mod:`.trace_math` (the incremental min/max envelope, the stacking and
scaling of rows, ticks, colours), without Qt; :mod:`.trace_items` paints it:

* only the channels on screen are read from the ring (``RingBuffer.span_rows``), and only
  the samples that arrived since the last frame;
* each frame is one :class:`~.trace_math.TraceFrame` (public as :attr:`TracesPanel.frame`:
  the monitor's statistics report from it), written into preallocated polygons.

Measured offscreen at 64 channels x 1 kHz x 10 s, 1600 x 1000: pyqtgraph's own
per-curve ``setDownsampling(auto=True, method="peak")`` + ``setClipToView(True)``
reached 7-11 frames per second at about 60 ms of CPU per frame, one item with a
``connect`` array 11-20; this panel draws 60 frames per second at about 5 ms per frame,
painting included (``bench/bench_monitor.py``).
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from bci.stream import Marker, StreamDescription
from bci.stream.ring import RingBuffer

from .readers import SignalState
from .trace_items import MarkerItem, TimedPlotWidget, TraceItem, TraceViewBox
from .trace_math import (
    SCALE_STEP,
    Envelope,
    TraceFrame,
    bin_size,
    channel_unit,
    compose_frame,
    fit_scales,
    format_si,
    label_stride,
    main_type,
    marker_text,
    markers_in_window,
    row_at,
    row_colours,
)


def time_label(speed: float) -> str:
    """The time axis's title (a sped-up replay says so: x is in its recording's time)."""
    if speed == 1.0:
        return "time (s, 0 = newest sample)"
    return f"time (s of the recording, replayed ×{speed:g}; 0 = newest sample)"


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
        self._rows_key: tuple | None = None  # what self._rows was looked up for
        self._rows = np.empty(0, dtype=np.intp)
        self._names_drawn: list[str] = []
        self._frame: TraceFrame | None = None
        self._markers: list[Marker] = []
        self._event_classes: dict[str, str] = {}  # marker label -> class name
        self._marker_colours: dict[str, QtGui.QColor] = {}
        self._view_range: tuple[float, float] | None = None
        self._markers_shown = False
        self._speed = 1.0  # a sped-up replay's: x in seconds of the recording
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
        item.setLabel("bottom", time_label(1.0))
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
        for colour in row_colours(rows, types, self._selected):
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
        stride = label_stride(len(rows), self.view_box.height())
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
        return channel_unit(main_type(types))

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
        types = self._types()
        self._scale, factors = fit_scales(lows, highs, [types[n] for n in names],
                                          self._scale, per_channel)
        for name, factor in zip(names, factors, strict=True):
            if factor is None:
                self._ch_scale.pop(name, None)
            elif factor == factor:  # NaN: a flat channel keeps its factor
                self._ch_scale[name] = factor
        self._update_scale_label()
        self._redraw_snapshot()

    def _row_at(self, y: float) -> str | None:
        k = row_at(y, len(self._rows_on_screen))
        return None if k is None else self._rows_on_screen[k]

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
        self._repaint_markers()

    def set_event_classes(self, classes: dict[str, str]) -> None:
        """Name markers after the classes they stand for: ``{"T1": "left"}`` labels a
        ``T1`` marker ``left (T1)``; labels not in ``classes`` are shown as they are."""
        if classes != self._event_classes:
            self._event_classes = dict(classes)
            self._repaint_markers()

    @property
    def event_classes(self) -> dict[str, str]:
        """Marker label -> class name used to label the markers."""
        return dict(self._event_classes)

    def _marker_pairs(self) -> list[tuple[float, str]]:
        return [(m.time, marker_text(m.label, self._event_classes)) for m in self._markers]

    def _repaint_markers(self) -> None:
        if self._frame is not None:
            frame = self._frame
            self._frame = dataclasses.replace(frame, markers=tuple(markers_in_window(
                self._marker_pairs(), frame.newest_time, frame.window, frame.speed)))
            self._paint_markers()

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
        names = self._rows_on_screen
        rows_key = (self._generation, self._mode, tuple(names))
        if rows_key != self._rows_key:  # looked up once, not on every frame
            source = (state.filtered_names if self._mode == "filtered"
                      else self._desc.ch_names)
            index = {n: i for i, n in enumerate(source)}
            self._rows = np.array([index[n] for n in names], dtype=np.intp)
            self._rows_key = rows_key
        rows = self._rows
        n_window = max(int(round(self._window * state.description.sfreq)), 2)
        ds = bin_size(n_window, self.view_box.width(), self.bin_pixels)
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
        self._names_drawn = list(names)
        if state.speed != self._speed:
            self._speed = state.speed
            self.plot.getPlotItem().setLabel("bottom", time_label(state.speed))
        if self._auto_pending:
            if envelope.n_samples >= min(1.0, self._window * 0.5) * state.description.sfreq:
                self._auto_pending = False
                self.auto_scale()
                return True  # auto_scale drew
        self._draw()
        return True

    def _redraw_snapshot(self) -> None:
        if self._envelope is not None and self._names_drawn:
            self._draw()

    @property
    def frame(self) -> TraceFrame | None:
        """The frame on screen: its points, display transform, sample span and markers.

        None until the first frame is drawn. Replaced (never modified) by every frame.
        """
        return self._frame

    def _draw(self) -> None:
        envelope, names = self._envelope, self._names_drawn
        n_rows = len(names)
        self.show_message("")
        gains = np.array([self.channel_gain(name) for name in names])
        frame = compose_frame(envelope, names, gains, self._window, self._remove_dc,
                              self._marker_pairs(), self._speed)
        self._frame = frame
        self.traces.allocate(n_rows, max(envelope.max_points(), frame.x.size))
        self.traces.write_rows(frame.x, frame.y)
        self.traces.set_bounds(QtCore.QRectF(-self._window, -n_rows - 1.0,
                                             self._window, n_rows + 3.0))
        # Setting an unchanged range still costs ~1 ms of pyqtgraph signalling: only on
        # a change.
        if self._view_range != (self._window, n_rows):
            self._view_range = (self._window, n_rows)
            item = self.plot.getPlotItem()
            item.setXRange(-self._window, 0.0, padding=0.0)
            item.setYRange(-n_rows + 0.5, 0.5, padding=0.0)
        self._paint_markers()

    def _paint_markers(self) -> None:
        frame = self._frame
        n_rows = max(len(frame.names), 1)
        shown = [(x, label, self._marker_colour(label)) for x, label in frame.markers]
        if shown or self._markers_shown:
            self.marker_item.set_markers(
                shown, QtCore.QRectF(-frame.window, -n_rows + 0.5, frame.window, n_rows))
        self._markers_shown = bool(shown)

    def _marker_colour(self, label: str) -> QtGui.QColor:
        colour = self._marker_colours.get(label)
        if colour is None:
            # A stable colour per label (crc32, not hash(): that changes per process).
            colour = pg.intColor(zlib.crc32(label.encode()) % 9, hues=9, minValue=220)
            self._marker_colours[label] = colour
        return colour
