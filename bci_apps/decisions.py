"""The decisions panel: what ``bci live`` decided, over time.

For a classifier: the predicted class over time (one row per class) and each class's
score, with the newest decision written large. For a continuous output (band power,
neurofeedback; ``desc/bci/output = "continuous"``): a gauge of the current value against
its recent range, and the value over time.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from .readers import DecisionState
from .trace_items import TimedPlotWidget

#: Seconds of decision history on screen.
HISTORY_SECONDS = 30.0


class DecisionsPanel(QtWidgets.QWidget):
    """Predicted class and scores over time, or a gauge for a continuous output."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._generation = -1
        self._last_written = -1
        self._state: DecisionState | None = None
        self._score_curves: list[pg.PlotDataItem] = []
        self._history: tuple[np.ndarray, np.ndarray] = (np.empty(0), np.empty((0, 0)))
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        bar = QtWidgets.QHBoxLayout()
        self.title = QtWidgets.QLabel("<b>Decisions</b>")
        self.current = QtWidgets.QLabel("")
        self.current.setStyleSheet("font-size: 15pt; font-weight: bold; color: #ffe080;")
        bar.addWidget(self.title)
        bar.addStretch(1)
        bar.addWidget(self.current)
        layout.addLayout(bar)
        self.placeholder = QtWidgets.QLabel("")
        self.placeholder.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setStyleSheet("color: #999;")
        layout.addWidget(self.placeholder, 1)

        self.plot = TimedPlotWidget()
        self.plot.setBackground((12, 12, 16))
        item = self.plot.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setLabel("bottom", "time (s, 0 = newest decision)")
        item.addLegend(offset=(-5, 5), labelTextSize="8pt", brush=pg.mkBrush(20, 20, 30, 190))
        self.class_curve = pg.PlotDataItem(pen=None, symbol="s", symbolSize=5,
                                           symbolPen=None,
                                           symbolBrush=pg.mkBrush(255, 224, 128))
        self.class_plot = TimedPlotWidget()
        self.class_plot.setBackground((12, 12, 16))
        class_item = self.class_plot.getPlotItem()
        class_item.hideButtons()
        class_item.setMenuEnabled(False)
        class_item.setMouseEnabled(x=False, y=False)
        class_item.showGrid(x=True, y=True, alpha=0.2)
        class_item.setLabel("left", "class")
        class_item.addItem(self.class_curve)
        class_item.setXLink(item)
        self.gauge = QtWidgets.QProgressBar()
        self.gauge.setRange(0, 1000)
        self.gauge.setTextVisible(True)
        self.gauge.setMinimumHeight(26)
        self.gauge.setStyleSheet(
            "QProgressBar { border: 1px solid #555; border-radius: 3px; color: white; "
            "text-align: center; background: #1a1a22; }"
            "QProgressBar::chunk { background: #3c9; }")
        layout.addWidget(self.gauge)
        layout.addWidget(self.class_plot, 2)
        layout.addWidget(self.plot, 3)
        self.set_waiting("no decision stream")

    def set_waiting(self, text: str) -> None:
        """Show ``text`` instead of the plots (no decision stream yet)."""
        self.placeholder.setText(text)
        self.placeholder.setVisible(True)
        for widget in (self.plot, self.class_plot, self.gauge):
            widget.setVisible(False)
        self.current.setText("")

    def _configure(self, state: DecisionState) -> None:
        self._state = state
        self._generation = state.generation
        self._last_written = -1
        item = self.plot.getPlotItem()
        for curve in self._score_curves:
            item.removeItem(curve)
        self._score_curves = []
        for k, name in enumerate(state.score_names):
            colour = pg.intColor(k, hues=max(len(state.score_names), 1), values=1,
                                 minValue=200)
            curve = pg.PlotDataItem(pen=pg.mkPen(colour, width=1.5), name=name)
            item.addItem(curve)
            self._score_curves.append(curve)
        self.placeholder.setVisible(False)
        self.plot.setVisible(True)
        self.class_plot.setVisible(not state.continuous)
        self.gauge.setVisible(state.continuous)
        item.setLabel("left", "feature" if state.continuous else "score")
        # Set once: an unchanged range set again on every decision still costs ~1 ms of
        # pyqtgraph signalling (10 to 50 decisions a second).
        item.setXRange(-HISTORY_SECONDS, 0, padding=0.01)
        class_item = self.class_plot.getPlotItem()
        if not state.continuous:
            ticks = [(float(k), name) for k, name in enumerate(state.classes)]
            class_item.getAxis("left").setTicks([ticks, []])
            class_item.setYRange(-0.5, max(len(state.classes), 1) - 0.5, padding=0.05)
        name = state.description.name if state.description else "?"
        kind = "continuous output" if state.continuous else f"{len(state.classes)} classes"
        self.title.setText(f"<b>Decisions</b> — {name} ({kind})")

    def refresh(self, state: DecisionState) -> bool:
        """Redraw when new decisions arrived; False when nothing changed."""
        if state.ring is None:
            return False
        if state.generation != self._generation:
            self._configure(state)
        written = state.ring.n_written
        if written == self._last_written:
            return False
        self._last_written = written
        data, times, _ = state.ring.latest_rows(None, state.ring.capacity)
        if times.size == 0:
            return False
        keep = times >= times[-1] - HISTORY_SECONDS
        data, times = data[:, keep], times[keep]
        self._history = (times, data)
        x = times - times[-1]
        # The decision value; a feedback stream's is its normalised "feedback" channel.
        class_row = state.columns.get("class", state.columns.get("feedback", 0))
        values = data[class_row]
        for curve, row in zip(self._score_curves, state.score_rows, strict=False):
            curve.setData(x, data[row])
        newest = float(values[-1])
        if state.continuous:
            low, high = float(values.min()), float(values.max())
            span = high - low
            fraction = 0.5 if span <= 0 else (newest - low) / span
            self.gauge.setValue(int(round(fraction * 1000)))
            self.gauge.setFormat(f"{newest:.4g}   (range {low:.3g} … {high:.3g})")
            self.current.setText(f"{newest:.4g}")
        else:
            index = int(round(newest))
            label = (state.classes[index] if 0 <= index < len(state.classes)
                     else f"{newest:g}")
            score = ""
            if 0 <= index < len(state.score_rows):
                score = f" ({data[state.score_rows[index], -1]:.2f})"
            gesture_row = state.columns.get("gesture")
            if gesture_row is None:
                self.class_curve.setData(x, values)
                self.current.setText(f"{label}{score}")
            else:
                # A [postprocess] pipeline: plot and name the stable gesture, which is
                # what an application acts on; the raw window class stays in the text.
                stable = data[gesture_row]
                self.class_curve.setData(x, stable)
                g = int(round(float(stable[-1])))
                name = state.classes[g] if 0 <= g < len(state.classes) else "?"
                self.current.setText(f"gesture: {name}   (window: {label}{score})")
        return True

    def history(self) -> tuple[np.ndarray, np.ndarray]:
        """Decisions on screen: push times and the decision samples (channels x n)."""
        times, data = self._history
        return times.copy(), data.copy()
