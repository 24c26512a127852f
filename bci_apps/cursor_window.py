"""The subject-facing window of ``bci cursor``: targets, the cursor, and its trail.

Drawn with QPainter on a plain widget (no pyqtgraph needed for a few shapes). The
workspace ([-1, 1]², y up) fills the largest centred square. :meth:`CursorWindow.show_state`
is the one entry point that moves it; :func:`save_screenshot` renders the end of a
simulated run offscreen (``bci cursor --screenshot PNG``).

Live (``bci cursor MODEL --stream N``): :class:`CursorDisplaySink` is a sink of the
session; its ``write`` (on the session's thread) only appends the step's cursor updates
to a deque, which never blocks; the window's timer (on the Qt thread, ~60 Hz) takes
them, moves the cursor and repaints; each repaint that shows a new update records how
long after that decision's newest sample it finished (``screen_latency_ms``).
:func:`run_live` runs that window until the task ends.
"""

from __future__ import annotations

import collections
import itertools
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pylsl
from PySide6.QtCore import QEventLoop, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QApplication, QWidget

TRAIL = 50  # cursor positions kept for the trail (1 s at 50 Hz)


class CursorWindow(QWidget):
    """Targets (a grid or a centre-out circle), the cued target, the cursor and a trail.

    Parameters
    ----------
    task : CenterOutTask or GridTask
        What to draw (``grid`` and ``cell``, or ``positions`` and ``target_radius``).
    """

    def __init__(self, task: object, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task = task
        self.setWindowTitle("bci cursor")
        self.resize(600, 600)
        self.cursor_xy = np.zeros(2)
        self.target_xy = np.zeros(2)
        self.trail: list[np.ndarray] = []
        self.shown_window_end: float | None = None  # of the update not yet painted
        self.screen_latencies: list[float] = []

    def show_state(self, position: np.ndarray, target: np.ndarray, events: list = ()
                   ) -> None:
        """The cursor is at ``position`` and ``target`` is cued: repaint."""
        self.cursor_xy = np.asarray(position, dtype=float).copy()
        self.target_xy = np.asarray(target, dtype=float).copy()
        self.trail = [*self.trail, self.cursor_xy][-TRAIL:]
        self.update()

    def _square(self) -> QRectF:
        side = min(self.width(), self.height()) - 20
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def _to_px(self, xy: np.ndarray, square: QRectF) -> QPointF:
        return QPointF(square.left() + (xy[0] + 1) / 2 * square.width(),
                       square.top() + (1 - xy[1]) / 2 * square.height())

    def paintEvent(self, event: object) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(20, 20, 24))
        square = self._square()
        scale = square.width() / 2
        painter.setPen(QPen(QColor(70, 70, 80), 1))
        grid = getattr(self.task, "grid", None)
        if grid is not None:
            cell = square.width() / grid
            for k in range(grid + 1):
                painter.drawLine(QPointF(square.left() + k * cell, square.top()),
                                 QPointF(square.left() + k * cell, square.bottom()))
                painter.drawLine(QPointF(square.left(), square.top() + k * cell),
                                 QPointF(square.right(), square.top() + k * cell))
            half = self.task.cell / 2 * scale
        else:
            half = self.task.target_radius * scale
            painter.setBrush(QBrush(QColor(60, 60, 70)))
            for xy in self.task.positions:
                painter.drawEllipse(self._to_px(xy, square), half, half)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(QColor(40, 170, 90)))
        centre = self._to_px(self.target_xy, square)
        if grid is not None:
            painter.drawRect(QRectF(centre.x() - half, centre.y() - half, 2 * half, 2 * half))
        else:
            painter.drawEllipse(centre, half, half)
        painter.setPen(QPen(QColor(120, 160, 255, 120), 2))
        for a, b in itertools.pairwise(self.trail):
            painter.drawLine(self._to_px(a, square), self._to_px(b, square))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(QColor(250, 250, 250)))
        painter.drawEllipse(self._to_px(self.cursor_xy, square), 6, 6)
        painter.end()
        if self.shown_window_end is not None:
            self.screen_latencies.append((pylsl.local_clock() - self.shown_window_end) * 1e3)
            self.shown_window_end = None

    def show_updates(self, updates: list) -> None:
        """Live: move through ``updates`` (``CursorUpdate``, oldest first) and repaint;
        the repaint measures the screen latency of the newest."""
        for u in updates:
            self.show_state(u.position, u.target_xy, u.events)
        if updates:
            self.shown_window_end = updates[-1].window_end


def save_screenshot(path: str | Path, task: object, run: object) -> Path:
    """Render the last state of a closed-loop run (``ClosedLoopRun``) to a PNG."""
    app = QApplication.instance() or QApplication([])
    window = CursorWindow(task)
    for position, target in zip(run.positions[-TRAIL:], run.targets[-TRAIL:], strict=True):
        window.show_state(position, target)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path)):
        raise OSError(f"cannot write the screenshot {path}")
    app.processEvents()
    return path


class CursorDisplaySink:
    """Hands the session's cursor updates to the window (a session sink)."""

    def __init__(self) -> None:
        self.queue: collections.deque = collections.deque(maxlen=100_000)
        self.closed = False

    def open(self, info: object) -> None:
        """Nothing to prepare."""

    def write(self, step: object) -> None:
        """Queue the step's cursor updates (deque.extend: atomic, never blocks)."""
        updates = step.outputs.get("cursor", ())
        if updates:
            self.queue.extend(updates)

    def close(self) -> None:
        """The session ended."""
        self.closed = True


def run_live(live: object, sink: CursorDisplaySink, *, duration: float | None = None,
             idle: float | None = 2.0, screenshot: str | Path | None = None,
             size: tuple[int, int] = (720, 720), fullscreen: bool = False) -> dict:
    """Show the task of a started ``bci.cursor.live.LiveCursor`` until ``duration``, the
    stream's end (silent ``idle`` s), the window closing, Ctrl-C or SIGTERM.

    Returns
    -------
    dict
        ``ended_by``, ``frames``, ``screen_latency_ms`` and ``screen_latency_p99_ms``
        (a decision's newest sample -> the repaint that shows it), ``screenshot``.
    """
    app = QApplication.instance() or QApplication([])
    window = CursorWindow(live.stage.task)
    loop = QEventLoop()
    started = time.monotonic()
    why = {"now": None}

    def tick() -> None:
        updates = []
        while sink.queue:
            updates.append(sink.queue.popleft())
        window.show_updates(updates)
        if why["now"] is None:
            if not window.isVisible():
                why["now"] = "interrupted"
            elif duration is not None and time.monotonic() - started >= duration:
                why["now"] = "duration"
            elif not live.running(idle if duration is None else None):
                why["now"] = "ended"
        if why["now"] is not None:
            loop.quit()

    timer = QTimer()
    timer.setInterval(16)
    timer.timeout.connect(tick)
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: why.update(now="interrupted"))
    shot = None
    try:
        if fullscreen:
            window.showFullScreen()
        else:
            window.resize(*size)
            window.show()
        timer.start()
        loop.exec()
    finally:
        timer.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if screenshot is not None:
            shot = Path(screenshot)
            shot.parent.mkdir(parents=True, exist_ok=True)
            if not window.grab().save(str(shot)):
                raise OSError(f"cannot write the screenshot {shot}")
        window.close()
        window.deleteLater()
        app.processEvents()
    lat = np.asarray(window.screen_latencies)
    return {"ended_by": why["now"] or "ended", "frames": int(lat.size),
            "screen_latency_ms": float(np.median(lat)) if lat.size else None,
            "screen_latency_p99_ms": float(np.percentile(lat, 99)) if lat.size else None,
            "screenshot": None if shot is None else str(shot)}


__all__ = ["CursorDisplaySink", "CursorWindow", "run_live", "save_screenshot"]
