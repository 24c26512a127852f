"""The spectrum panel: Welch power spectral density of the last seconds, per channel.

Welch's method over the newest few seconds of the channels on screen, updated twice per
second (a spectrum changes slowly) by :class:`~.running_welch.RunningWelch`, which
computes each segment's periodogram once (1 ms per update at 64 channels x 1 kHz,
against 11 ms for :func:`scipy.signal.welch` from scratch), drawn on a log power axis. With a
pipeline loaded, the band it cares about is shaded: the decoder's bands (band power,
filter-bank CSP), its band-ratio numerator and denominator, or SSVEP target frequencies,
else the pass band of its band-pass filter.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from bci.pipeline.config import PipelineConfig
from bci.stream.units import VOLTAGE_TYPES

from .readers import SignalState
from .running_welch import RunningWelch
from .trace_items import TimedPlotWidget, TraceItem

#: Seconds between two spectrum updates.
UPDATE_EVERY = 0.5


def bands_of_interest(config: PipelineConfig | None
                      ) -> tuple[list[tuple[str, float, float]], list[tuple[str, float]]]:
    """The frequency bands and single frequencies a pipeline is about.

    Returns
    -------
    bands : list of (label, low, high)
        The decoder's bands if it has some, else the band-pass filter's pass band.
    lines : list of (label, frequency)
        SSVEP target frequencies (``cca``, ``fbcca``, ``trca``).
    """
    if config is None:
        return [], []
    bands: list[tuple[str, float, float]] = []
    lines: list[tuple[str, float]] = []
    decoder = config.decoder or {}
    kind = decoder.get("kind", "")

    def add(label: str, band: object) -> None:
        try:
            low, high = (float(v) for v in band)
        except (TypeError, ValueError):
            return
        bands.append((label, low, high))

    if isinstance(decoder.get("bands"), dict):
        for label, band in decoder["bands"].items():
            add(str(label), band)
    elif isinstance(decoder.get("bands"), list):
        for band in decoder["bands"]:
            add("", band)
    elif kind == "band-power":
        add("alpha", (8.0, 12.0))  # the decoder's documented default
    if kind == "band-ratio":
        add("numerator", decoder.get("numerator", (4.0, 8.0)))
        add("denominator", decoder.get("denominator", (13.0, 30.0)))
    frequencies = decoder.get("frequencies")
    if isinstance(frequencies, dict):
        for label, freq in frequencies.items():
            try:
                lines.append((str(label), float(freq)))
            except (TypeError, ValueError):
                continue
    if not bands:
        for spec in config.filters:
            if spec.get("kind") == "bandpass":
                add("pass band", (spec["l_freq"], spec["h_freq"]))
    return bands, lines


def log_range(low: float, high: float, current: tuple[float, float] | None
              ) -> tuple[float, float]:
    """The power axis's range (log10) for curves from ``low`` to ``high``.

    In half decades, and ``current`` kept while it holds the curves and is at most a
    decade and a half wider than they are; widened to hold them when they leave it.
    A range that moved with every update re-drew the axis, its ticks and its grid
    (about 10 ms of painting, the monitor's longest frame) and made the curves hard to
    read; this one changes only when the spectrum does.
    """
    fitted = math.floor(low * 2.0) / 2.0, math.ceil(high * 2.0) / 2.0
    if current is None:
        return fitted
    wider = min(current[0], fitted[0]), max(current[1], fitted[1])
    if (wider[1] - wider[0]) - (high - low) <= 1.5:
        return wider  # equal to current while the curves stay inside it
    return fitted


class SpectrumPanel(QtWidgets.QWidget):
    """Welch PSD of the channels on the traces panel, log scale, optional average."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._names: list[str] = []
        self._freqs = np.empty(0)
        self._psd = np.empty((0, 0))
        self._next_update = 0.0
        self._regions: list[pg.LinearRegionItem] = []
        self._lines: list[pg.InfiniteLine] = []
        self._sfreq = 0.0
        self._voltage = True
        self._welch: RunningWelch | None = None
        self._y_range: tuple[float, float] | None = None  # log10 power on screen
        self._y_set: tuple[float, float] | None = None
        self._y_label = ""
        self._pens_for: tuple[int, bool] | None = None  # (curves, average) of the pens
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        bar = QtWidgets.QHBoxLayout()
        self.title = QtWidgets.QLabel("<b>Spectrum</b>")
        self.average_check = QtWidgets.QCheckBox("average")
        self.average_check.setChecked(True)  # 64 curves read better behind their mean
        self.average_check.setToolTip("Draw the mean over the channels shown on top")
        self.average_check.toggled.connect(self._restyle)
        self.seconds_spin = QtWidgets.QDoubleSpinBox()
        self.seconds_spin.setRange(1.0, 30.0)
        self.seconds_spin.setValue(4.0)
        self.seconds_spin.setDecimals(0)
        self.seconds_spin.setSuffix(" s")
        self.seconds_spin.setToolTip("Seconds of signal the spectrum is computed over")
        self.fmax_spin = QtWidgets.QDoubleSpinBox()
        self.fmax_spin.setRange(5.0, 5000.0)
        self.fmax_spin.setValue(60.0)
        self.fmax_spin.setDecimals(0)
        self.fmax_spin.setPrefix("≤ ")
        self.fmax_spin.setSuffix(" Hz")
        self.fmax_spin.setToolTip("Highest frequency shown")
        self.fmax_spin.valueChanged.connect(self._set_range)
        self.fmax_spin.valueChanged.connect(self._restyle)
        self.peak_label = QtWidgets.QLabel("")
        # Welch's estimate from few segments is bumpy (about ±1.7 dB per bin for white
        # noise from 7 segments, bumps a few bins apart): its resolution and segment
        # count are written on the frequency axis (a label in this bar would widen the
        # window's minimum), so a bump is not read as a rhythm.
        self.resolution = ""
        for widget in (self.title, self.average_check, self.seconds_spin, self.fmax_spin):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.peak_label)
        layout.addLayout(bar)
        self.plot = TimedPlotWidget()
        self.plot.setBackground((12, 12, 16))
        item = self.plot.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        item.getAxis("left").setLogMode(False, True)  # we plot log10(PSD) ourselves
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setLabel("bottom", "frequency (Hz)")
        item.setLabel("left", "PSD (µV²/Hz)")
        self.curves = TraceItem()
        item.addItem(self.curves)
        self.average_curve = pg.PlotDataItem(pen=pg.mkPen((255, 255, 255), width=2.5))
        self.average_curve.setZValue(10)
        item.addItem(self.average_curve)
        layout.addWidget(self.plot, 1)

    def set_pipeline(self, config: PipelineConfig | None) -> None:
        """Shade the pipeline's bands of interest (None: no shading)."""
        item = self.plot.getPlotItem()
        for region in self._regions:
            item.removeItem(region)
        for line in self._lines:
            item.removeItem(line)
        self._regions, self._lines = [], []
        bands, lines = bands_of_interest(config)
        for label, low, high in bands:
            region = pg.LinearRegionItem((low, high), movable=False,
                                         brush=pg.mkBrush(255, 200, 60, 45),
                                         pen=pg.mkPen(255, 200, 60, 120))
            region.setZValue(-10)
            if label:
                pg.InfLineLabel(region.lines[0], f"{label} {low:g}–{high:g} Hz",
                                position=0.92, anchors=[(0, 0), (0, 0)],
                                color=(255, 220, 120))
            item.addItem(region)
            self._regions.append(region)
        for label, freq in lines:
            line = pg.InfiniteLine(freq, angle=90, label=label,
                                   pen=pg.mkPen(255, 200, 60, 160, width=1,
                                                style=QtCore.Qt.PenStyle.DotLine),
                                   labelOpts={"position": 0.92, "color": (255, 220, 120)})
            item.addItem(line)
            self._lines.append(line)

    @property
    def bands(self) -> list[tuple[float, float]]:
        """The shaded bands, (low, high) in Hz."""
        return [tuple(float(v) for v in r.getRegion()) for r in self._regions]

    def _set_range(self) -> None:
        if self._sfreq:
            self.plot.getPlotItem().setXRange(0.0, min(self.fmax_spin.value(),
                                                       self._sfreq / 2), padding=0.01)

    def _restyle(self) -> None:
        self._draw()

    def refresh(self, state: SignalState, names: Sequence[str], mode: str,
                force: bool = False) -> bool:
        """Recompute the spectrum of ``names`` from the ring (at most twice a second)."""
        d = state.description
        if d is None:
            return False
        now = time.monotonic()
        if now < self._next_update and not force:
            return False
        self._next_update = now + UPDATE_EVERY
        ring = state.filtered if mode == "filtered" else state.ring
        source = state.filtered_names if mode == "filtered" else d.ch_names
        index = {n: i for i, n in enumerate(source)}
        names = [n for n in names if n in index]
        if ring is None or not names:
            return False
        if d.sfreq != self._sfreq:
            self._sfreq = d.sfreq
            self.fmax_spin.setMaximum(d.sfreq / 2)
            self._set_range()
        types = dict(zip(d.ch_names, d.ch_types, strict=True))
        self._voltage = all(types.get(n) in VOLTAGE_TYPES for n in names)
        label = "PSD (µV²/Hz)" if self._voltage else "PSD (unit²/Hz)"
        if label != self._y_label:  # a label change re-lays the plot out: only on change
            self._y_label = label
            self.plot.getPlotItem().setLabel("left", label)
        n = int(round(self.seconds_spin.value() * d.sfreq))
        held = min(n, ring.n_written, ring.capacity)
        if held < max(int(d.sfreq * 0.5), 8):
            return False  # under half a second: no meaningful spectrum yet
        # Segments of a quarter of the span, 1 to 4 s (1 to 0.25 Hz resolution), half
        # overlapping: 4 s gives 7 averaged segments, a steady curve at 1 Hz resolution.
        seconds = min(max(held / d.sfreq / 4.0, 1.0), 4.0)
        nperseg = min(held, int(round(seconds * d.sfreq)))
        key = (id(ring), tuple(names), nperseg, d.sfreq)
        if self._welch is None or self._welch.key != key:
            self._welch = RunningWelch(d.sfreq, nperseg, key)
        rows = np.array([index[name] for name in names], dtype=np.intp)
        psd = self._welch.update(ring, rows, held)
        if psd is None:
            return False
        freqs = self._welch.freqs
        text = f"{freqs[1]:.2g} Hz bins, {len(self._welch.starts)} segments"
        if text != self.resolution:  # a label change re-lays the plot out: on change
            self.resolution = text
            self.plot.getPlotItem().setLabel("bottom", f"frequency (Hz; {text})")
        if self._voltage:
            psd = psd * 1e12  # V²/Hz -> µV²/Hz
        self._names, self._freqs, self._psd = list(names), freqs, psd
        self._draw()
        return True

    def spectrum(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The last computed spectrum: channel names, frequencies (Hz), PSD per channel.

        The PSD is in µV²/Hz for voltage channels (squared SI units otherwise).
        """
        return list(self._names), self._freqs.copy(), self._psd.copy()

    def _draw(self) -> None:
        if self._psd.size == 0:
            return
        # The curves are polylines of log10(PSD) in one item (64 PlotDataItems cost
        # 25 ms per update in bounds and auto-range bookkeeping); the axis labels 10^k.
        fmax = min(self.fmax_spin.value(), self._sfreq / 2)
        shown = self._freqs <= fmax
        freqs = self._freqs[shown]
        floor = np.finfo(float).tiny  # a flat channel has zero power: keep log finite
        logs = np.log10(np.maximum(self._psd[:, shown], floor))
        mean = np.log10(np.maximum(self._psd[:, shown].mean(axis=0), floor))
        average = self.average_check.isChecked()
        n = logs.shape[0]
        if self._pens_for != (n, average):
            pens = []
            for k in range(n):
                colour = pg.intColor(k, hues=max(n, 1), values=1, minValue=180,
                                     alpha=60 if average else 220)
                pen = pg.mkPen(colour, width=1)
                pen.setCosmetic(True)
                pens.append(pen)
            self.curves.set_pens(pens)
            self._pens_for = (n, average)
        for view, row in zip(self.curves.allocate(n, freqs.size), logs, strict=True):
            view[:, 0] = freqs
            view[:, 1] = row
        self.average_curve.setData(freqs, mean)
        self.average_curve.setVisible(average)
        low, high = self._y_range = log_range(float(np.percentile(logs, 1)) - 0.3,
                                              float(logs.max()) + 0.3, self._y_range)
        self.curves.set_bounds(QtCore.QRectF(0.0, low, fmax, high - low))
        self.curves.update()
        if self._y_set != self._y_range:
            self._y_set = self._y_range
            self.plot.getPlotItem().setYRange(low, high, padding=0.0)
        self.peak_label.setText(self._peak_text(freqs, mean))

    def _peak_text(self, freqs: np.ndarray, log_mean: np.ndarray) -> str:
        """The dominant rhythm: the largest excess over the 1/f trend of the average.

        EEG power falls roughly as 1/f, so the plain maximum is nearly always the lowest
        frequency shown; a straight line fitted in log-log coordinates from 2 Hz up is
        the trend, and the frequency furthest above it is the rhythm (10 Hz for eyes
        closed, the stimulation frequency for SSVEP).
        """
        usable = freqs >= 2.0
        if np.count_nonzero(usable) < 4:
            return ""
        log_f = np.log10(freqs[usable])
        slope, intercept = np.polyfit(log_f, log_mean[usable], 1)
        excess = log_mean[usable] - (slope * log_f + intercept)
        k = int(np.argmax(excess))
        return f"rhythm {freqs[usable][k]:.1f} Hz (+{10 * excess[k]:.0f} dB over 1/f)"

    def rhythm(self) -> float | None:
        """Frequency (Hz) of the dominant rhythm of the average spectrum, if any."""
        if self._psd.size == 0:
            return None
        text = self._peak_text(self._freqs, np.log10(np.maximum(self._psd.mean(axis=0),
                                                                np.finfo(float).tiny)))
        return float(text.split()[1]) if text else None
