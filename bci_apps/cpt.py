"""The assessment's window: instructions, resting fixation, the CPT letters (Qt).

The frames come from :class:`bci.present.Presenter` (markers stamped at their flips);
this module draws them and takes the responses. A response is stamped with
``pylsl.local_clock()`` in the key handler itself and pushed at once, so its time is
the key event's, not the next frame's (a frame can be 16 ms away; the handler runs as
soon as Qt delivers the event). Auto-repeat is ignored: a held key is one press.

Keys: the response key (Space by default), P pauses and resumes, Esc or Q stops (the
session is kept as interrupted).
"""

from __future__ import annotations

from collections.abc import Callable

import pylsl
from PySide6 import QtCore, QtGui

from bci.attention.task import PRESS
from bci.present.presenter import Frame
from bci_apps.present import (
    GLPresentationWindow,
    PresentationView,
    RasterPresentationWindow,
    _opengl_available,
)

__all__ = ["CptView", "make_cpt_window"]

_WHITE = QtGui.QColor(255, 255, 255)
_DIM = QtGui.QColor(110, 110, 120)
_CUE = QtGui.QColor(255, 210, 60)

_TEXT = {
    "instruct-open": "Relax and keep your eyes open on the cross",
    "instruct-closed": "Close your eyes now and keep them closed until you are told",
    "instruct-cpt": "Press SPACE for every letter except X",
    "rest": "short break",
}


class CptView(PresentationView):
    """Draws the assessment's frames and takes its key presses.

    ``presses`` holds (stamp, pushed) pairs: the LSL time taken in the key handler and
    the time after the marker was pushed (the bench's latency).
    """

    def __init__(self, presenter, outlet=None) -> None:
        super().__init__(presenter, outlet)
        self.presses: list[tuple[float, float]] = []
        self.on_stimulus: Callable[[str, float], None] | None = None

    def press(self, stamp: float) -> None:
        """A response at LSL ``stamp``: pushed now, with that stamp."""
        if self.outlet is not None:
            self.outlet.push_marker(PRESS, stamp)
        self.pushed.append((PRESS, stamp))
        self.presses.append((stamp, pylsl.local_clock()))

    def flipped(self, stamp: float) -> None:
        super().flipped(stamp)
        if self.on_stimulus is not None and self.frame is not None:
            for label in self.frame.markers:
                if label.startswith(("cpt:go:", "cpt:nogo:")):
                    self.on_stimulus(label, stamp)

    def paint(self, painter: QtGui.QPainter, width: int, height: int) -> None:
        painter.fillRect(0, 0, width, height, QtGui.QColor(0, 0, 0))
        frame: Frame | None = self.frame
        if frame is None or frame.finished:
            return
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        if frame.paused:
            self._text(painter, width, height, "paused - P resumes", 0.05, _DIM)
            return
        segment = frame.segment
        if segment is None:
            return
        kind = segment.kind
        if kind in _TEXT:
            self._text(painter, width, height, _TEXT[kind], 0.045, _CUE)
        elif kind in ("eyes-open", "eyes-closed"):
            s = min(width, height)
            painter.setPen(QtGui.QPen(_WHITE if kind == "eyes-open" else _DIM,
                                      max(2.0, s * 0.01)))
            cx, cy, arm = width / 2, height / 2, s * 0.04
            painter.drawLine(QtCore.QPointF(cx - arm, cy), QtCore.QPointF(cx + arm, cy))
            painter.drawLine(QtCore.QPointF(cx, cy - arm), QtCore.QPointF(cx, cy + arm))
        elif kind == "letter":
            self._text(painter, width, height, segment.target, 0.22, _WHITE)


class _CptKeys:
    """Key handling of the assessment window (replaces the presentation window's)."""

    response_key = QtCore.Qt.Key.Key_Space

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        stamp = pylsl.local_clock()  # first: the press's time is the event's
        if event.isAutoRepeat():
            return
        key = event.key()
        if key == self.response_key:
            self.view.press(stamp)
        elif key == QtCore.Qt.Key.Key_P:
            self.view.presenter.toggle_pause(stamp)
        elif key in (QtCore.Qt.Key.Key_Escape, QtCore.Qt.Key.Key_Q):
            self.view.presenter.stop()


    def _flip_and_schedule(self, stamp: float) -> None:
        frame = self.view.frame
        super()._flip_and_schedule(stamp)  # the next frame is only scheduled: still ours
        if self.screenshot_path is not None and not self.screenshot_taken and frame \
                and frame.segment is not None and frame.segment.kind == "letter":
            self.save_screenshot(self.screenshot_path)


class CptGLWindow(_CptKeys, GLPresentationWindow):
    """OpenGL assessment window."""


class CptRasterWindow(_CptKeys, RasterPresentationWindow):
    """Raster assessment window (no OpenGL, the offscreen platform)."""


def make_cpt_window(view: CptView, *, backend: str = "auto"):
    """An OpenGL assessment window where a context can be made, else a raster one."""
    if backend == "opengl" or (backend == "auto" and _opengl_available()):
        window = CptGLWindow(view)
    else:
        window = CptRasterWindow(view)
    window.setTitle("bci assess")
    return window


def press_event() -> QtGui.QKeyEvent:
    """A response key press, as the simulated responder injects it."""
    return QtGui.QKeyEvent(QtCore.QEvent.Type.KeyPress, QtCore.Qt.Key.Key_Space,
                           QtCore.Qt.KeyboardModifier.NoModifier, " ")
