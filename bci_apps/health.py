"""The health panel: is the stream whole and on time, and is the decoder within budget?

Sample rate measured against nominal, gaps (from the inlet's gap detector), end-to-end
latency of the decisions (their ``latency_ms`` channel) as a histogram with its p99
against the budget (``desc/bci/budget_ms``), overruns, skipped windows when known, and
the monitor's own frame rate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from .readers import DecisionReader, SignalReader
from .trace_items import TimedPlotWidget

#: Seconds between two updates of the text and the histogram.
UPDATE_EVERY = 0.25

_OK, _WARN, _BAD = "#8fd18f", "#ffd166", "#ff6b6b"


@dataclass(frozen=True)
class HealthSnapshot:
    """The numbers the panel shows (for tests and ``--stats``)."""

    nominal_rate: float
    measured_rate: float
    n_received: int
    n_gaps: int
    n_missing: int
    last_gap_time: float | None
    last_gap_ms: float | None
    n_markers: int
    n_decisions: int
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    budget_ms: float | None
    n_overruns: int
    n_skipped: int | None


def _coloured(text: str, colour: str) -> str:
    return f'<span style="color:{colour}">{text}</span>'


class HealthPanel(QtWidgets.QWidget):
    """Numbers and a latency histogram, refreshed a few times per second."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._next_update = 0.0
        self.snapshot: HealthSnapshot | None = None
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        left = QtWidgets.QVBoxLayout()
        left.addWidget(QtWidgets.QLabel("<b>Health</b>"))
        form = QtWidgets.QFormLayout()
        form.setVerticalSpacing(1)
        form.setLabelAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
        self.fields: dict[str, QtWidgets.QLabel] = {}
        for key, label in (("stream", "stream"), ("rate", "sample rate"),
                           ("gaps", "gaps"), ("last_gap", "last gap"),
                           ("markers", "markers"), ("decisions", "decisions"),
                           ("latency", "latency"), ("overruns", "overruns"),
                           ("skipped", "skipped windows"), ("monitor", "monitor")):
            value = QtWidgets.QLabel("—")
            value.setTextFormat(QtCore.Qt.TextFormat.RichText)
            self.fields[key] = value
            form.addRow(f"{label}:", value)
        left.addLayout(form)
        left.addStretch(1)
        layout.addLayout(left, 0)
        self.plot = TimedPlotWidget()
        self.plot.setBackground((12, 12, 16))
        item = self.plot.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        item.setLabel("bottom", "end-to-end latency (ms)")
        item.setLabel("left", "decisions")
        item.setTitle("latency", size="9pt")
        self.histogram = pg.PlotDataItem(stepMode="center", fillLevel=0,
                                         brush=pg.mkBrush(90, 160, 255, 150),
                                         pen=pg.mkPen(120, 190, 255))
        item.addItem(self.histogram)
        self.budget_line = pg.InfiniteLine(angle=90, movable=False, label="budget",
                                           pen=pg.mkPen(255, 107, 107, width=2),
                                           labelOpts={"position": 0.9,
                                                      "color": (255, 107, 107)})
        self.p99_line = pg.InfiniteLine(angle=90, movable=False, label="p99",
                                        pen=pg.mkPen(255, 209, 102, width=1,
                                                     style=QtCore.Qt.PenStyle.DashLine),
                                        labelOpts={"position": 0.75,
                                                   "color": (255, 209, 102)})
        item.addItem(self.budget_line)
        item.addItem(self.p99_line)
        self.budget_line.setVisible(False)
        self.p99_line.setVisible(False)
        layout.addWidget(self.plot, 1)
        # Until a decision has arrived the histogram would be an empty 0-1 axis: say so.
        self.no_decisions = QtWidgets.QLabel("")
        self.no_decisions.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.no_decisions.setWordWrap(True)
        self.no_decisions.setStyleSheet("color: #999; background: #0c0c10;")
        layout.addWidget(self.no_decisions, 1)
        self._show_histogram(False, "no decisions yet")

    def _show_histogram(self, shown: bool, text: str = "") -> None:
        if text != self.no_decisions.text():
            self.no_decisions.setText(text)
        self.plot.setVisible(shown)  # no-ops when unchanged (Qt checks the flag)
        self.no_decisions.setVisible(not shown)

    def due(self) -> bool:
        """Whether :meth:`refresh` would update now (its numbers are worth computing)."""
        return time.monotonic() >= self._next_update

    def refresh(self, signal: SignalReader | None, decisions: DecisionReader | None,
                n_markers: int, fps: float, frame_p99_ms: float | None,
                force: bool = False) -> bool:
        """Update the numbers (at most 4 times a second unless ``force``)."""
        now = time.monotonic()
        if now < self._next_update and not force:
            return False
        self._next_update = now + UPDATE_EVERY
        f = self.fields
        nominal = measured = 0.0
        n_received = n_gaps = n_missing = 0
        last_gap_time = last_gap_ms = None
        if signal is not None and signal.state.description is not None:
            state = signal.state
            d = state.description
            nominal = d.sfreq * state.speed
            measured = signal.measured_rate
            n_received = signal.n_received
            f["stream"].setText(f"{d.name} ({d.stype}, {d.n_channels} ch)")
            expected = f"{d.sfreq:g} Hz" + (f" ×{state.speed:g} replay" if state.speed != 1
                                              else "")
            stalled = signal.last_receipt and now - signal.last_receipt > 1.0
            if measured <= 0:
                colour = _WARN
            elif stalled or abs(measured - nominal) > 0.05 * nominal:
                colour = _BAD
            else:
                colour = _OK
            text = "stalled" if stalled else f"{measured:.1f} Hz"
            f["rate"].setText(_coloured(text, colour) + f" / nominal {expected}")
            n_gaps, n_missing = signal.n_gaps, signal.n_missing
            f["gaps"].setText(_coloured(f"{n_gaps} ({n_missing} samples missing)",
                                        _BAD if n_gaps else _OK))
            gap = signal.last_gap
            if gap is not None:
                last_gap_time, last_gap_ms = gap.time, gap.duration * 1e3
                f["last_gap"].setText(f"{gap.n_missing} samples ({gap.duration * 1e3:.0f} ms)"
                                      f" at sample {gap.index}")
            else:
                f["last_gap"].setText("none")
        elif signal is not None:
            f["stream"].setText(_coloured(signal.status, _WARN))
        f["markers"].setText(str(n_markers))
        n_decisions = n_overruns = 0
        n_skipped = None
        p50 = p99 = budget = None
        if decisions is not None and decisions.state.ring is not None:
            dstate = decisions.state
            n_decisions, n_overruns = decisions.n_decisions, decisions.n_overruns
            n_skipped = decisions.n_skipped
            budget = dstate.budget_ms
            row = dstate.columns.get("latency_ms")
            latency = np.empty(0)
            if row is not None:
                data, _, _ = dstate.ring.latest_rows(np.array([row]), dstate.ring.capacity)
                latency = data[0]
            f["decisions"].setText(f"{n_decisions} from {dstate.description.name}")
            if latency.size:
                p50, p99 = (float(v) for v in np.percentile(latency, [50, 99]))
                colour = _OK if budget is None or p99 <= budget else _BAD
                against = f" / budget {budget:g} ms" if budget is not None else " (no budget)"
                f["latency"].setText(f"p50 {p50:.1f} ms, "
                                     + _coloured(f"p99 {p99:.1f} ms", colour) + against)
                self._draw_histogram(latency, p99, budget)
                self._show_histogram(True)
            else:
                self._show_histogram(False, "no decisions yet\n(the decision stream "
                                            "is connected)")
            share = f" ({100 * n_overruns / n_decisions:.1f} %)" if n_decisions else ""
            f["overruns"].setText(
                _coloured(f"{n_overruns}{share}", _BAD if n_overruns else _OK)
                if budget is not None else "no budget in the stream")
            f["skipped"].setText("not reported" if n_skipped is None else str(n_skipped))
        elif decisions is not None:
            f["decisions"].setText(_coloured(decisions.status, _WARN))
            self._show_histogram(False, "no decisions yet\n(no decision stream "
                                        f"'{decisions.stream_name or decisions.source_id}' yet: "
                                        "start bci live)")
        else:
            f["decisions"].setText("not watched")
            self._show_histogram(False, "no decisions yet\n(no decision stream "
                                        "watched: --decisions NAME)")
        frame = f", frame p99 {frame_p99_ms:.1f} ms" if frame_p99_ms is not None else ""
        f["monitor"].setText(f"{fps:.0f} fps{frame}")
        self.snapshot = HealthSnapshot(
            nominal_rate=nominal, measured_rate=measured, n_received=n_received,
            n_gaps=n_gaps, n_missing=n_missing, last_gap_time=last_gap_time,
            last_gap_ms=last_gap_ms, n_markers=n_markers, n_decisions=n_decisions,
            latency_p50_ms=p50, latency_p99_ms=p99, budget_ms=budget,
            n_overruns=n_overruns, n_skipped=n_skipped)
        return True

    def _draw_histogram(self, latency: np.ndarray, p99: float, budget: float | None) -> None:
        # From 0 (or below, if a clock problem made latencies negative: shown, not hidden)
        # to past the budget, so the budget line is always on the plot.
        low = min(float(latency.min()), 0.0)
        high = max(float(latency.max()), budget or 0.0) * 1.05
        edges = np.linspace(low, max(high, low + 1e-3), 41)
        counts, edges = np.histogram(latency, bins=edges)
        self.histogram.setData(edges, counts)
        self.p99_line.setValue(p99)
        self.p99_line.setVisible(True)
        if budget is not None:
            self.budget_line.setValue(budget)
            self.budget_line.setVisible(True)
