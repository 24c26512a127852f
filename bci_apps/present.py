"""The subject-facing window of ``bci present`` / ``bci calibrate`` (Qt).

Why Qt and not PsychoPy: ``pip install --dry-run psychopy`` on these machines resolves
to ~70 packages, among them PyQt6 beside our PySide6 and downgrades of numpy (2.4.6 ->
2.3.5) and pillow (13.0 -> 11.3). Qt is already a dependency and gives what frame-accurate
presentation needs: a :class:`QOpenGLWindow` whose ``frameSwapped`` signal fires when
each frame has been handed to the display, the moment the markers of that frame are
stamped with. Where no OpenGL context can be made (Qt's ``offscreen`` platform, used by
the tests), a :class:`QRasterWindow` stands in, stamped when its backing store has been
flushed; ``--stats`` says which one ran.

All decisions (what to draw, which markers a flip shows, dropped frames) are made by
:class:`bci.present.Presenter`; this module only draws its frames and reports flips.
"""

from __future__ import annotations

import json
import logging
import math
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pylsl
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtOpenGL import QOpenGLWindow

from bci.cli.supervisor import note_signal
from bci.errors import BciError, ConfigError, StreamError
from bci.present import (
    DEFAULT_MARKERS,
    DecisionFeedback,
    Frame,
    Presenter,
    Protocol,
    build_timeline,
    cue_description,
)
from bci.stream.outlet import Outlet

logger = logging.getLogger(__name__)

__all__ = ["PresentationView", "make_window", "pick_screen", "run_presentation"]

#: Flips before deciding whether swaps wait for vertical sync (else a timer paces them).
VSYNC_PROBE_FRAMES = 20
#: A display that swaps faster than this share of its refresh interval has no vsync.
VSYNC_MIN_SHARE = 0.8

_BLACK = QtGui.QColor(0, 0, 0)
_WHITE = QtGui.QColor(255, 255, 255)
_DIM = QtGui.QColor(70, 70, 80)
_CUE = QtGui.QColor(255, 210, 60)
_HIT = QtGui.QColor(60, 220, 110)


def pick_screen(index: int | None) -> QtGui.QScreen:
    """The screen ``--screen K`` names (the primary one for None).

    Raises
    ------
    bci.errors.ConfigError
        When there is no screen ``K``, naming how many there are.
    """
    screens = QtGui.QGuiApplication.screens()
    if index is None:
        return QtGui.QGuiApplication.primaryScreen()
    if not 0 <= index < len(screens):
        names = ", ".join(f"{k}: {s.name() or 'unnamed'}" for k, s in enumerate(screens))
        raise ConfigError(f"--screen {index}: there is no such screen; this display has "
                          f"{len(screens)} ({names}): choose one of those")
    return screens[index]


class PresentationView:
    """Draws a :class:`Presenter`'s frames and reports their flips (no Qt window).

    Parameters
    ----------
    presenter : Presenter
    outlet : Outlet or None
        The cue marker stream; every marker is pushed stamped with its flip time.
    feedback : DecisionFeedback or None
        With ``--decisions``: what the decoder says, drawn over the protocol.
    decisions : pylsl.StreamInlet or None
        The decision stream feeding ``feedback`` (pulled once per frame, never blocking).
    """

    def __init__(self, presenter: Presenter, outlet: Outlet | None = None, *,
                 feedback: DecisionFeedback | None = None,
                 decisions: pylsl.StreamInlet | None = None) -> None:
        self.presenter = presenter
        self.protocol: Protocol = presenter.protocol
        self.outlet = outlet
        self.feedback = feedback
        self.decisions = decisions
        self.frame: Frame | None = None
        self.requested_at = 0.0
        self.pushed: list[tuple[str, float]] = []
        self.on_flip: Callable[[Frame, float], None] | None = None
        self._flash_queue: list[str] = []  # P300: flashes awaiting their decision
        self._sequence_open = False
        self._matrix_cache: tuple[tuple[int, int], QtGui.QImage] | None = None

    # -- frames ------------------------------------------------------------------------

    def next_frame(self, expected_flip: float) -> Frame:
        """Ask the presenter for the frame due at ``expected_flip`` (LSL time)."""
        self._pull_decisions()
        self.requested_at = pylsl.local_clock()
        self.frame = self.presenter.prepare(expected_flip, requested=self.requested_at)
        return self.frame

    def flipped(self, stamp: float) -> None:
        """The frame is on its way to the screen: push its markers stamped ``stamp``."""
        events = self.presenter.flipped(stamp)
        for label, when in events:
            if self.outlet is not None:
                self.outlet.push_marker(label, when)
        self.pushed.extend(events)
        if self.feedback is not None and self.frame is not None and self.protocol.paradigm \
                == "p300":
            self._p300_feedback(events)
        if self.on_flip is not None and self.frame is not None:
            self.on_flip(self.frame, stamp)

    def _pull_decisions(self) -> None:
        if self.decisions is None or self.feedback is None:
            return
        try:
            samples, stamps = self.decisions.pull_chunk(timeout=0.0)
        except pylsl.util.LostError:
            return
        for values, stamp in zip(samples, stamps, strict=True):
            self.feedback.update(values, stamp)
            if self.protocol.paradigm == "p300" and self._flash_queue:
                flash = self._flash_queue.pop(0)
                i = self.feedback.channels.index("score_target") if "score_target" in \
                    self.feedback.channels else -1
                if i >= 0:
                    self.feedback.flash_score(flash, values[i])
        self.feedback.advance(pylsl.local_clock())
        if self.protocol.paradigm == "p300":
            self._end_sequence_when_scored()

    def _p300_feedback(self, events: list[tuple[str, float]]) -> None:
        for label, _ in events:
            if label.startswith("flash:"):
                self._flash_queue.append(label[len("flash:"):])
                self._sequence_open = True

    def _end_sequence_when_scored(self) -> None:
        """P300: once every flash of a sequence has its decision, spell the character."""
        segment = self.frame.segment if self.frame is not None else None
        if self._sequence_open and not self._flash_queue and (
                segment is None or segment.kind not in ("flash", "isi")):
            self.feedback.end_sequence()
            self._sequence_open = False

    # -- drawing -----------------------------------------------------------------------

    def paint(self, painter: QtGui.QPainter, width: int, height: int) -> None:
        """Draw the current frame."""
        painter.fillRect(0, 0, width, height, _BLACK)
        frame = self.frame
        if frame is None or frame.finished:
            return
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        if frame.paused:
            self._text(painter, width, height, "paused - Space resumes", 0.05, _DIM)
            return
        segment = frame.segment
        paradigm = self.protocol.paradigm
        if paradigm == "motor-imagery":
            self._paint_mi(painter, width, height, segment)
        elif paradigm == "ssvep":
            self._paint_ssvep(painter, width, height, frame)
        elif paradigm == "p300":
            self._paint_p300(painter, width, height, segment)
        else:
            self._paint_emg(painter, width, height, segment)

    def _text(self, painter: QtGui.QPainter, width: int, height: int, text: str,
              size: float, color: QtGui.QColor, y: float = 0.5) -> None:
        font = painter.font()
        font.setPixelSize(max(8, int(size * height)))
        painter.setFont(font)
        painter.setPen(color)
        rect = QtCore.QRectF(0, y * height - size * height, width, 2 * size * height)
        painter.drawText(rect, QtCore.Qt.AlignmentFlag.AlignCenter, text)

    def _paint_mi(self, painter, width, height, segment) -> None:
        cx, cy, s = width / 2, height / 2, min(width, height)
        if segment is None or segment.kind in ("blank", "rest"):
            return
        pen = QtGui.QPen(_WHITE, max(2.0, s * 0.012))
        painter.setPen(pen)
        arm = s * 0.06
        painter.drawLine(QtCore.QPointF(cx - arm, cy), QtCore.QPointF(cx + arm, cy))
        painter.drawLine(QtCore.QPointF(cx, cy - arm), QtCore.QPointF(cx, cy + arm))
        if segment.kind != "imagery":
            return
        cue = self.protocol.cues[segment.cue]
        if cue.arrow:
            direction = {"left": (-1, 0), "right": (1, 0), "up": (0, -1),
                         "down": (0, 1)}[cue.arrow]
            length, head = s * 0.25, s * 0.07
            dx, dy = direction
            tip = QtCore.QPointF(cx + dx * length, cy + dy * length)
            base = QtCore.QPointF(cx + dx * (length - head), cy + dy * (length - head))
            painter.setPen(QtGui.QPen(_CUE, max(3.0, s * 0.02)))
            painter.drawLine(QtCore.QPointF(cx, cy), base)
            normal = QtCore.QPointF(-dy * head * 0.6, dx * head * 0.6)
            painter.setPen(QtCore.Qt.PenStyle.NoPen)
            painter.setBrush(_CUE)
            painter.drawPolygon(QtGui.QPolygonF([tip, base + normal, base - normal]))
        self._text(painter, width, height, cue.text, 0.045, _CUE, y=0.8)
        if self.feedback is not None:
            # The decoder's continuous output: a bar from the centre toward the side it
            # favours (right = +1).
            bar = self.feedback.bar
            h = s * 0.05
            y = cy + s * 0.2
            painter.setPen(QtCore.Qt.PenStyle.NoPen)
            painter.setBrush(_DIM)
            painter.drawRect(QtCore.QRectF(cx - s * 0.4, y, s * 0.8, h))
            painter.setBrush(_HIT)
            painter.drawRect(QtCore.QRectF(min(cx, cx + bar * s * 0.4), y,
                                           abs(bar) * s * 0.4, h))

    def target_rects(self, width: int, height: int) -> list[QtCore.QRectF]:
        """Where the SSVEP targets are drawn (also what a read-back test samples)."""
        n = len(self.protocol.cues)
        size = min(width / (n * 1.6), height * 0.35)
        gap = (width - n * size) / (n + 1)
        y = height / 2 - size / 2
        return [QtCore.QRectF(gap + k * (size + gap), y, size, size) for k in range(n)]

    def _paint_ssvep(self, painter, width, height, frame: Frame) -> None:
        segment = frame.segment
        if segment is None or segment.kind == "blank":
            return
        rects = self.target_rects(width, height)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        for k, rect in enumerate(rects):
            level = frame.luminance[k] if frame.luminance else 0.5
            gray = int(round(255 * level))
            painter.setBrush(QtGui.QColor(gray, gray, gray))
            painter.drawRect(rect)
        outline = -1
        color = _CUE
        if segment.kind == "cue":
            outline = segment.cue
        elif self.feedback is not None and self.feedback.selected >= 0:
            outline, color = self.feedback.selected, _HIT
        if outline >= 0:
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            painter.setPen(QtGui.QPen(color, max(4.0, rects[0].width() * 0.06)))
            painter.drawRect(rects[outline].adjusted(-12, -12, 12, 12))

    def _paint_p300(self, painter, width, height, segment) -> None:
        if segment is None or segment.kind == "blank":
            return
        if self.protocol.p300_mode == "oddball":
            if segment.kind == "flash":
                target = segment.cells[0][1] == 0
                self._text(painter, width, height, "X" if target else "O", 0.2,
                           _WHITE)
            elif segment.kind == "cue":
                self._text(painter, width, height, "count the X", 0.06, _CUE)
            return
        matrix = self.protocol.matrix
        n_rows, n_cols = len(matrix), len(matrix[0])
        cell = min(width / (n_cols + 1), height * 0.85 / (n_rows + 1))
        x0 = (width - n_cols * cell) / 2
        y0 = height * 0.15 + (height * 0.85 - n_rows * cell) / 2
        # The dim matrix is the same on every frame: drawn once per window size, then
        # copied (text drawing is the costly part of a frame on a software renderer).
        if self._matrix_cache is None or self._matrix_cache[0] != (width, height):
            image = QtGui.QImage(width, height, QtGui.QImage.Format.Format_RGB32)
            image.fill(_BLACK)
            p = QtGui.QPainter(image)
            p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
            self._draw_cells(p, matrix, cell, x0, y0, _DIM, None)
            p.end()
            self._matrix_cache = ((width, height), image)
        painter.drawImage(0, 0, self._matrix_cache[1])
        if self.feedback is not None:
            self._text(painter, width, height, self.feedback.spelled or " ", 0.05, _HIT,
                       y=0.07)
        if segment.kind == "flash":
            self._draw_cells(painter, matrix, cell, x0, y0, _WHITE, set(segment.cells))
        elif segment.kind == "cue":
            cells = {(r, c) for r, row in enumerate(matrix) for c, ch in enumerate(row)
                     if ch == segment.target}
            self._draw_cells(painter, matrix, cell, x0, y0, _CUE, cells, outline=True)

    def _draw_cells(self, painter, matrix, cell, x0, y0, color, only, *,
                    outline: bool = False) -> None:
        font = painter.font()
        font.setPixelSize(max(8, int(cell * 0.6)))
        painter.setFont(font)
        for r, row in enumerate(matrix):
            for c, char in enumerate(row):
                if only is not None and (r, c) not in only:
                    continue
                rect = QtCore.QRectF(x0 + c * cell, y0 + r * cell, cell, cell)
                if only is not None:  # cover the dim character underneath
                    painter.fillRect(rect, _BLACK)
                if outline:
                    painter.setPen(QtGui.QPen(color, 3))
                    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
                    painter.drawRect(rect.adjusted(4, 4, -4, -4))
                painter.setPen(color)
                painter.drawText(rect, QtCore.Qt.AlignmentFlag.AlignCenter, char)

    def _paint_emg(self, painter, width, height, segment) -> None:
        if segment is None or segment.kind == "blank":
            return
        if segment.kind == "rest":
            self._text(painter, width, height, "rest", 0.06, _DIM)
            return
        cue = self.protocol.cues[segment.cue]
        if segment.kind == "cue":
            self._text(painter, width, height, f"next: {cue.text}", 0.06, _CUE)
        else:
            self._text(painter, width, height, cue.text, 0.08, _WHITE, y=0.45)
            self._text(painter, width, height, "hold", 0.04, _HIT, y=0.62)
        if self.feedback is not None and self.feedback.selected >= 0:
            chosen = self.protocol.cues[self.feedback.selected].text
            self._text(painter, width, height, f"decoded: {chosen}", 0.035, _HIT, y=0.85)


class _Pacer:
    """Chooses when to ask for the next frame: at once under vsync, else by a timer."""

    def __init__(self, window: QtGui.QWindow, view: PresentationView,
                 can_vsync: bool) -> None:
        self.window, self.view = window, view
        self.mode = "probing" if can_vsync else "timer"
        self.grid0: float | None = None
        self.next_due: float | None = None  # the grid time the next frame is drawn for
        self.draw_times: list[float] = []
        self.timer = QtCore.QTimer()
        self.timer.setSingleShot(True)
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.frame_now)

    def frame_now(self) -> None:
        # requestUpdate() waits for the platform's own update timer (5 ms on xcb);
        # sending the event draws the frame now, at the time the timer chose.
        QtCore.QCoreApplication.sendEvent(
            self.window, QtCore.QEvent(QtCore.QEvent.Type.UpdateRequest))

    def schedule(self) -> None:
        presenter = self.view.presenter
        flips = presenter.stats.flips
        if self.mode == "probing" and len(flips) > VSYNC_PROBE_FRAMES:
            median = float(np.median(np.diff(flips[-VSYNC_PROBE_FRAMES:])))
            self.mode = "vsync" if median >= VSYNC_MIN_SHARE * presenter.interval else \
                "timer"
            logger.info("frames paced by %s (median swap interval %.2f ms)",
                        "vertical sync" if self.mode == "vsync" else "a timer (no vsync)",
                        median * 1000)
        if self.mode != "timer" or not flips:
            # Under vsync the swap itself waits for the next refresh.
            self.window.requestUpdate()
            return
        # A fixed grid of frame times from the first flip (no drift): aim the next flip
        # at the grid point after this one, starting the frame early by the time frames
        # have been taking to draw (median of the last ones).
        interval = presenter.interval
        if self.grid0 is None:
            self.grid0 = flips[0]
        self.draw_times.append(max(0.0, flips[-1] - self.view.requested_at))
        del self.draw_times[:-30]
        lead = float(np.median(self.draw_times)) if self.draw_times else 0.0
        k = math.ceil((flips[-1] + 0.5 * interval - self.grid0) / interval)
        due = self.grid0 + k * interval
        self.next_due = due
        wait_ms = (due - lead - pylsl.local_clock()) * 1000.0
        self.timer.start(max(0, int(round(wait_ms))))


class _Window:
    """What both window kinds share: keys, the end of the run, screenshots."""

    view: PresentationView
    finished: Callable[[], None]

    def _setup(self, view: PresentationView, can_vsync: bool) -> None:
        self.view = view
        self.pacer = _Pacer(self, view, can_vsync)
        self.screenshot_path: Path | None = None
        self.screenshot_taken = False
        self.on_finished: Callable[[], None] | None = None
        self.error: BaseException | None = None
        self.setTitle(f"bci present: {Path(view.protocol.origin).name}")

    def _expected_flip(self) -> float:
        """When the frame being drawn should reach the screen (LSL time)."""
        flips = self.view.presenter.stats.flips
        now = pylsl.local_clock()
        if self.pacer.next_due is not None and self.pacer.next_due > now:
            return self.pacer.next_due
        return max(now, flips[-1] + self.view.presenter.interval) if flips else now

    def _after_flip(self, stamp: float) -> None:
        # An exception escaping a Qt callback is printed and lost; keep it, end the run,
        # and let run_presentation raise it once the window is closed.
        try:
            self._flip_and_schedule(stamp)
        except BaseException as err:
            self.error = err
            if self.on_finished is not None:
                self.on_finished()

    def _flip_and_schedule(self, stamp: float) -> None:
        view = self.view
        frame = view.frame
        view.flipped(stamp)
        if self.screenshot_path is not None and not self.screenshot_taken and frame and \
                frame.segment is not None and frame.segment.kind in (
                    "imagery", "flicker", "flash", "hold") and frame.t >= \
                frame.segment.start + 0.4 * frame.segment.duration:
            self.save_screenshot(self.screenshot_path)
        if frame is not None and frame.finished:
            if self.on_finished is not None:
                self.on_finished()
            return
        self.pacer.schedule()

    def save_screenshot(self, path: Path) -> None:
        """The window as it is on screen now, as a PNG."""
        self.screenshot_taken = True
        image = self.grab_image()
        if image is None or not image.save(str(path)):
            raise BciError(f"{path}: could not write the screenshot: check the folder "
                           "exists and is writable")

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        key = event.key()
        if key == QtCore.Qt.Key.Key_Space:
            self.view.presenter.toggle_pause(pylsl.local_clock())
        elif key in (QtCore.Qt.Key.Key_Escape, QtCore.Qt.Key.Key_Q):
            self.view.presenter.stop()


class GLPresentationWindow(_Window, QOpenGLWindow):
    """OpenGL window: markers stamped when ``frameSwapped`` fires."""

    backend = "opengl"

    def __init__(self, view: PresentationView) -> None:
        QOpenGLWindow.__init__(self)
        fmt = QtGui.QSurfaceFormat()
        fmt.setSwapInterval(1)  # wait for vertical sync where the display has one
        fmt.setSwapBehavior(QtGui.QSurfaceFormat.SwapBehavior.DoubleBuffer)
        self.setFormat(fmt)
        self._setup(view, can_vsync=True)
        self.frameSwapped.connect(self._swapped)

    def paintGL(self) -> None:
        self.view.next_frame(self._expected_flip())
        painter = QtGui.QPainter(self)
        self.view.paint(painter, self.width(), self.height())
        painter.end()

    def _swapped(self) -> None:
        self._after_flip(pylsl.local_clock())

    def grab_image(self) -> QtGui.QImage | None:
        return self.grabFramebuffer()


class RasterPresentationWindow(_Window, QtGui.QWindow):
    """Fallback without OpenGL: a backing store, stamped right after it is flushed.

    Painted and flushed by hand (Qt's "raster window" pattern) rather than through
    QRasterWindow, so that a frame is drawn for every update request, exposed or not,
    and the stamp is taken right after the flush call returns.
    """

    backend = "raster"

    def __init__(self, view: PresentationView) -> None:
        QtGui.QWindow.__init__(self)
        self.store = QtGui.QBackingStore(self)
        self._setup(view, can_vsync=False)

    def event(self, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Type.UpdateRequest:
            self.render_now()
            return True
        return super().event(event)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        self.store.resize(event.size())

    def render_now(self) -> None:
        """Draw the next frame, flush it to the window, stamp its markers."""
        size = self.size()
        if self.store.size() != size:
            self.store.resize(size)
        region = QtGui.QRegion(0, 0, size.width(), size.height())
        self.view.next_frame(self._expected_flip())
        self.store.beginPaint(region)
        painter = QtGui.QPainter(self.store.paintDevice())
        self.view.paint(painter, size.width(), size.height())
        painter.end()
        self.store.endPaint()
        self.store.flush(region)
        self._after_flip(pylsl.local_clock())

    def grab_image(self) -> QtGui.QImage | None:
        return self.screen().grabWindow(self.winId()).toImage()


def _opengl_available() -> bool:
    context = QtGui.QOpenGLContext()
    return bool(context.create())


def make_window(view: PresentationView, *, backend: str = "auto") -> _Window:
    """An OpenGL window where a context can be made, else a raster one."""
    if backend == "opengl" or (backend == "auto" and _opengl_available()):
        return GLPresentationWindow(view)
    return RasterPresentationWindow(view)


def open_decisions(name: str, timeout: float) -> tuple[pylsl.StreamInlet, list[str]]:
    """An inlet on the decision stream and its channel labels."""
    from bci.stream.description import StreamDescription
    from bci.stream.discovery import resolve_stream

    info = resolve_stream(name, timeout=timeout)
    inlet = pylsl.StreamInlet(info, max_buflen=30, recover=True,
                              processing_flags=pylsl.proc_clocksync)
    try:
        full = inlet.info(timeout)
    except pylsl.util.TimeoutError as err:
        raise StreamError(f"decision stream '{name}' did not answer within {timeout:g} s: "
                          "is 'bci live' still running?") from err
    inlet.open_stream(timeout)
    return inlet, list(StreamDescription.from_lsl(full).ch_names)


def show_until_done(app: QtWidgets.QApplication, window, presenter: Presenter, *,
                    screen: QtGui.QScreen, fullscreen: bool, size: tuple[int, int],
                    on_ready=None, window_hook=None) -> tuple[BaseException | None, str, str]:
    """Show a presentation window and run it until its protocol ends, Esc, Ctrl-C or
    SIGTERM; then close and delete it. Returns ``(error, backend, pacing)``.

    Ctrl-C and SIGTERM end the run as Esc does (the recording stays valid); Python runs
    the handler at the next frame callback. The window is deleted in this event loop,
    not whenever Python collects the wrapper: a window freed at a random later point
    (inside another widget's constructor) crashed Qt.
    """
    loop = QtCore.QEventLoop()
    window.on_finished = loop.quit
    if window_hook is not None:
        window_hook(window)
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(
                sig, lambda signum, _: (note_signal(signum), presenter.stop()))
    try:
        if fullscreen:
            window.setGeometry(screen.geometry())
            window.showFullScreen()
        else:
            window.resize(*size)
            window.show()
        if on_ready is not None:
            on_ready()
        window.requestUpdate()
        loop.exec()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        window.close()
        outcome = window.error, window.backend, window.pacer.mode
        window.deleteLater()
        app.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
        app.processEvents()
    return outcome


def run_presentation(protocol: Protocol, *, markers: str = DEFAULT_MARKERS,
                     decisions: str | None = None, fullscreen: bool = False,
                     screen: int | None = None, seed: int = 0,
                     duration: float | None = None, screenshot: str | Path | None = None,
                     stats: str | Path | None = None, backend: str = "auto",
                     size: tuple[int, int] = (960, 600), timeout: float = 10.0,
                     outlet: Outlet | None = None,
                     on_ready: Callable[[], None] | None = None,
                     on_flip: Callable[[Frame, float], None] | None = None,
                     window_hook: Callable[[_Window], None] | None = None) -> dict:
    """Show a protocol in a window until it ends, Esc, or ``duration``; return stats.

    Parameters
    ----------
    protocol : Protocol
        What to show (``--trials`` already applied).
    markers : str
        Name of the cue marker stream to create (ignored when ``outlet`` is given).
    decisions : str or None
        Decision stream to show as feedback.
    outlet : Outlet or None
        An already open cue outlet (``bci calibrate`` opens it before the recorder).
    on_ready : callable or None
        Called once the window is up, before the first frame (for a recorder to start).
    on_flip, window_hook : callable or None
        For tests and benchmarks: called at every flip, and with the window.

    Returns
    -------
    dict
        The frame statistics (see :meth:`bci.present.FrameStats.summary`), ``backend``,
        ``pacing``, ``completed_trials`` and ``stopped`` (Esc).
    """
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    target_screen = pick_screen(screen)
    refresh = float(target_screen.refreshRate() or 60.0)
    protocol.check_refresh(refresh)
    if screenshot is not None and not str(screenshot).lower().endswith(".png"):
        raise ConfigError(f"--screenshot {screenshot}: give a file name ending in .png")
    feedback, inlet = None, None
    if decisions is not None:
        inlet, channels = open_decisions(decisions, timeout)
        feedback = DecisionFeedback(protocol, channels)
    presenter = Presenter(protocol, build_timeline(protocol, seed), refresh,
                          duration=duration)
    own_outlet = outlet is None
    if own_outlet:
        import uuid

        outlet = Outlet(cue_description(markers, protocol, source_id=uuid.uuid4().hex))
    view = PresentationView(presenter, outlet, feedback=feedback, decisions=inlet)
    view.on_flip = on_flip
    window = make_window(view, backend=backend)
    window.setScreen(target_screen)
    window.screenshot_path = Path(screenshot) if screenshot else None
    try:
        error, backend, pacing = show_until_done(
            app, window, presenter, screen=target_screen, fullscreen=fullscreen, size=size,
            on_ready=on_ready, window_hook=window_hook)
    finally:
        if inlet is not None:
            inlet.close_stream()
        if own_outlet:
            outlet.close()
    if error is not None:
        raise error
    result = presenter.stats.summary()
    result.update(backend=backend, pacing=pacing,
                  completed_trials=presenter.completed_trials,
                  n_trials=presenter.timeline.n_trials, stopped=presenter.stopped,
                  protocol=protocol.origin, seed=seed)
    if stats is not None:
        try:
            Path(stats).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        except OSError as err:
            raise BciError(f"{stats}: cannot write the statistics ({err.strerror}): choose "
                           "a writable location") from None
    return result
