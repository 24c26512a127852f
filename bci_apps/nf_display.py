"""``bci neurofeedback --display``: the subject-facing training window (Qt).

:class:`DisplaySink` is a sink of the neurofeedback session: its ``write`` (on the
session's thread) only appends the step's feedback samples to a deque, which never
blocks; the window's timer (on the Qt thread) takes them, feeds the headless
:class:`bci.attention.display.TrainingDisplay` and draws what it says. The session never
waits for the screen, and the screen never waits for the session.

Wiring (``bci/cli/neurofeedback.py``)::

    display = import_module("bci_apps.nf_display").open_display(args.display, protocol, sfreq)
    session.sinks.append(display.sink)      # before session.start()
    display.run(session.is_running, duration=args.duration)   # instead of wait_while
"""

from __future__ import annotations

import collections
import math
import signal
import threading
import time
from collections.abc import Callable

from PySide6 import QtCore, QtGui

from bci.attention.display import DisplaySettings, TrainingDisplay, load_display_settings
from bci.cli.supervisor import note_signal

__all__ = ["DisplaySink", "TrainingWindow", "open_display"]

_BG = QtGui.QColor(12, 20, 40)
_TRACK = QtGui.QColor(50, 60, 90)
_GO = QtGui.QColor(80, 220, 120)
_IDLE = QtGui.QColor(150, 150, 170)
_STAR = QtGui.QColor(255, 210, 60)
_TEXT = QtGui.QColor(230, 230, 240)


class DisplaySink:
    """Hands the session's feedback samples to the window (a session sink)."""

    def __init__(self) -> None:
        self.queue: collections.deque = collections.deque(maxlen=100_000)
        self.closed = False

    def open(self, info) -> None:
        """Nothing to prepare."""

    def write(self, step) -> None:
        """Queue the step's feedback samples (deque.extend: atomic, never blocks)."""
        samples = step.outputs.get("feedback", ())
        if samples:
            self.queue.extend(samples)

    def close(self) -> None:
        """The session ended: the window may close."""
        self.closed = True


class TrainingWindow(QtGui.QRasterWindow):
    """Draws a :class:`TrainingDisplay`; a timer drains the sink 60 times a second."""

    def __init__(self, state: TrainingDisplay, sink: DisplaySink) -> None:
        super().__init__()
        self.state, self.sink = state, sink
        self.setTitle("bci neurofeedback")
        self.flash_until = 0.0
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(16)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def tick(self) -> None:
        """Take every waiting sample (the state needs them all, in order); redraw."""
        queue, state = self.sink.queue, self.state
        while queue:
            state.update(queue.popleft())
            if state.new_reward:
                self.flash_until = time.monotonic() + 0.6
                if state.settings.sound:
                    _beep()
        self.update()

    def grab_image(self) -> QtGui.QImage:
        """The window as drawn now (for screenshots and tests)."""
        return self.screen().grabWindow(self.winId()).toImage()

    def object_rect(self) -> QtCore.QRectF:
        """Where the rocket is drawn (tests read its position)."""
        w, h = self.width(), self.height()
        size = min(w, h) * 0.12
        x = w * 0.08 + self.state.position * (w * 0.84 - size)
        return QtCore.QRectF(x, h * 0.5 - size / 2, size, size)

    def paintEvent(self, event) -> None:
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, _BG)
        s = self.state
        font = p.font()
        font.setPixelSize(max(10, int(h * 0.05)))
        p.setFont(font)
        p.setPen(_TEXT)
        top = QtCore.QRectF(0, h * 0.03, w, h * 0.1)
        label = {"baseline": "getting ready... sit still and relax",
                 "rest": f"rest - block {s.block + 2} of {s.settings.blocks} comes next",
                 "paused": "paused - sit still", "done": "all done - well played!",
                 }.get(s.phase, f"block {s.block + 1} of {s.settings.blocks}")
        p.drawText(top, QtCore.Qt.AlignmentFlag.AlignCenter, label)
        p.drawText(QtCore.QRectF(0, h * 0.86, w, h * 0.1),
                   QtCore.Qt.AlignmentFlag.AlignCenter, f"\u2605 {s.rewards}")
        active = s.phase == "block" and s.level >= s.threshold
        if s.settings.object == "thermometer":
            self._thermometer(p, w, h, active)
        else:
            self._rocket(p, w, h, active)
        if time.monotonic() < self.flash_until:
            p.setPen(QtCore.Qt.PenStyle.NoPen)
            p.setBrush(_STAR)
            self._star(p, w * 0.5, h * 0.22, h * 0.07)
        if s.phase in ("paused", "rest", "baseline"):
            p.fillRect(0, 0, w, h, QtGui.QColor(0, 0, 0, 110))
        p.end()

    def _rocket(self, p, w, h, active: bool) -> None:
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setBrush(_TRACK)
        p.drawRoundedRect(QtCore.QRectF(w * 0.06, h * 0.5 - 4, w * 0.88, 8), 4, 4)
        r = self.object_rect()
        p.setBrush(_GO if active else _IDLE)
        body = QtGui.QPolygonF([QtCore.QPointF(r.right(), r.center().y()),
                                QtCore.QPointF(r.left(), r.top()),
                                QtCore.QPointF(r.left() + r.width() * 0.25, r.center().y()),
                                QtCore.QPointF(r.left(), r.bottom())])
        p.drawPolygon(body)
        if active:  # the flame: it only burns while the feedback is above threshold
            p.setBrush(_STAR)
            p.drawEllipse(QtCore.QPointF(r.left() - r.width() * 0.15, r.center().y()),
                          r.width() * 0.18, r.height() * 0.12)

    def _thermometer(self, p, w, h, active: bool) -> None:
        x, top, height, width = w * 0.46, h * 0.18, h * 0.62, w * 0.08
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setBrush(_TRACK)
        p.drawRoundedRect(QtCore.QRectF(x, top, width, height), 10, 10)
        level = max(0.0, min(1.0, self.state.level))
        p.setBrush(_GO if active else _IDLE)
        p.drawRoundedRect(QtCore.QRectF(x, top + height * (1 - level), width,
                                        height * level), 10, 10)
        y = top + height * (1 - self.state.threshold)
        p.setPen(QtGui.QPen(_STAR, 3))
        p.drawLine(QtCore.QPointF(x - 12, y), QtCore.QPointF(x + width + 12, y))

    @staticmethod
    def _star(p, cx, cy, r) -> None:
        points = [QtCore.QPointF(cx + (r if k % 2 == 0 else r * 0.45) * math.sin(k * math.pi / 5),
                                 cy - (r if k % 2 == 0 else r * 0.45) * math.cos(k * math.pi / 5))
                  for k in range(10)]
        p.drawPolygon(QtGui.QPolygonF(points))


def _beep() -> None:
    from PySide6 import QtWidgets

    if isinstance(QtCore.QCoreApplication.instance(), QtWidgets.QApplication):
        QtWidgets.QApplication.beep()


class _Display:
    def __init__(self, settings: DisplaySettings, threshold: float, sfreq: float,
                 rate: float) -> None:
        self.sink = DisplaySink()
        self.state = TrainingDisplay(settings, threshold, sfreq, rate)
        self.window: TrainingWindow | None = None

    def run(self, running: Callable[[], bool], *, duration: float | None = None,
            fullscreen: bool = False, size: tuple[int, int] = (960, 600),
            on_shown: Callable[[TrainingWindow], None] | None = None) -> str:
        """The Qt loop on this (the main) thread until the session stops, ``duration``
        passes, the window closes, Ctrl-C, or the last block ends.

        Returns
        -------
        str
            Why it ended (as :func:`bci.cli.supervisor.wait_while` says it):
            ``"duration"``, ``"done"`` (the last block ended), ``"ended"`` (the
            session stopped) or ``"interrupted"`` (Ctrl-C, SIGTERM, the window
            closed).
        """
        from PySide6 import QtWidgets

        app = QtCore.QCoreApplication.instance() or QtWidgets.QApplication([])
        self.window = window = TrainingWindow(self.state, self.sink)
        loop = QtCore.QEventLoop()
        started = time.monotonic()
        stop = {"now": False}
        reason = {"why": "ended"}

        def check() -> None:
            why = None
            if stop["now"] or not window.isVisible():
                why = "interrupted"
            elif duration is not None and time.monotonic() - started >= duration:
                why = "duration"
            elif self.state.phase == "done" and not self.sink.queue:
                why = "done"
            elif not running():
                why = "ended"
            if why is not None:
                reason["why"] = why
                loop.quit()
        watch = QtCore.QTimer()
        watch.setInterval(50)
        watch.timeout.connect(check)
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                previous[sig] = signal.signal(
                    sig, lambda signum, _: (note_signal(signum), stop.update(now=True)))
        try:
            if fullscreen:
                window.showFullScreen()
            else:
                window.resize(*size)
                window.show()
            if on_shown is not None:
                on_shown(window)
            watch.start()
            loop.exec()
        finally:
            watch.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            window.timer.stop()
            window.tick()
            window.close()
            app.processEvents()
        return reason["why"]

    def block_summaries(self) -> list[dict]:
        """Per block: mean feedback and reward rate (for the session's history)."""
        return self.state.block_summaries()

    @property
    def complete(self) -> bool:
        """Every block the display protocol sets was shown to its end."""
        return self.state.phase == "done"


def open_display(path, protocol, sfreq: float) -> _Display:
    """The display of a neurofeedback ``protocol`` (its threshold and rate) on a stream of
    rate ``sfreq``; ``path`` is the display protocol (or None for the defaults)."""
    settings = load_display_settings(path)
    return _Display(settings, protocol.feedback.threshold, sfreq, protocol.feedback.rate)
