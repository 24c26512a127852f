"""The subject-facing window of ``bci cursor``: targets, the cursor, and its trail.

Drawn with QPainter on a plain widget (no pyqtgraph needed for a few shapes). The
workspace ([-1, 1]², y up) fills the largest centred square. :meth:`CursorWindow.show_state`
is the one entry point a session calls after each decision; :func:`save_screenshot`
renders the end of a run offscreen (``bci cursor --screenshot PNG``).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
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


__all__ = ["CursorWindow", "save_screenshot"]
