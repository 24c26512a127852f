"""The traces panel's graphics items: polylines, markers, a view box, a timed plot.

Painting is where the monitor's frame time goes (about 4 ms of a 6 ms frame at 64
channels x 960 columns), so the items paint with as little per-frame work as possible:

* :class:`TraceItem` paints one preallocated ``QPolygonF`` per row, whose memory numpy
  writes into directly (no copy, no Python loop over points), with one ``drawPolyline``
  per row; pyqtgraph's ``PlotDataItem`` per curve costs 60 ms per frame at 64 curves
  (bounds with ``nanmin``/``nanmax``, ``drawPath``);
* :class:`MarkerItem` paints every marker line and label in one pass (one
  ``InfiniteLine`` per marker costs about half a millisecond per frame);
* :class:`TimedPlotWidget` caches its axes as pixmaps and accounts its painting time
  (the monitor's frame statistics).

The maths behind what they paint is in :mod:`.trace_math`.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from pyqtgraph import functions as fn
from PySide6 import QtCore, QtGui, QtWidgets


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

    def write_rows(self, x: np.ndarray, y: np.ndarray) -> None:
        """Set the rows' points: ``x`` shared, ``y`` one row per polyline.

        Each polyline is padded to the buffers' size by repeating its last point
        (zero-length segments draw nothing), so that the buffers are reused.
        """
        n_points = x.shape[0]
        for row, view in zip(y, self.views, strict=True):
            view[:n_points, 0] = x
            view[:n_points, 1] = row
            view[n_points:] = view[n_points - 1]
        self.update()

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
        start = time.perf_counter()
        super().paintEvent(ev)
        TimedPlotWidget.paint_seconds += time.perf_counter() - start
        self.paints += 1
