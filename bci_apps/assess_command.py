"""The live part of ``bci assess``: the window, the recorder, and with ``--simulate
--window`` the simulated headset and responder (the program is
:mod:`bci.attention.command`)."""

from __future__ import annotations

import argparse
import time
import uuid
from pathlib import Path

import pylsl
from PySide6 import QtCore, QtWidgets

from bci.attention.cpt import Stimulus
from bci.attention.protocol import AssessProtocol
from bci.attention.session import SIMULATED_EEG, check_channels, responder_for
from bci.attention.simulate import FollowingEEG, SimulatedEEG
from bci.attention.task import build_assess_timeline
from bci.present.presenter import Presenter
from bci.stream.description import StreamDescription
from bci.stream.outlet import Outlet
from bci_apps.cpt import CptView, make_cpt_window, press_event
from bci_apps.present import pick_screen, show_until_done

__all__ = ["run_live", "run_window"]

#: Seconds to keep recording after the last frame, so in-flight samples land in the file.
SETTLE_SECONDS = 0.5


def _stream_channels(name: str, timeout: float) -> list[str]:
    from bci.errors import StreamError
    from bci.stream.discovery import resolve_stream

    info = resolve_stream(name, timeout=timeout)
    inlet = pylsl.StreamInlet(info)
    try:
        full = inlet.info(timeout)
    except pylsl.util.TimeoutError as err:
        raise StreamError(f"stream '{name}' did not answer within {timeout:g} s") from err
    finally:
        inlet.close_stream()
    return list(StreamDescription.from_lsl(full).ch_names)


def run_window(protocol: AssessProtocol, outlet: Outlet | None, *, seed: int = 0,
               duration: float | None = None, fullscreen: bool = False,
               screen: int | None = None, backend: str = "auto",
               screenshot: str | Path | None = None, simulate: bool = False,
               size: tuple[int, int] = (960, 600), resting: bool = True,
               window_hook=None) -> tuple[CptView, Presenter]:
    """Show the assessment until it ends, Esc or ``duration``; the view and presenter.

    With ``simulate``, the protocol's simulated responder answers each letter: its
    presses are posted to the window as key events at their due times, so they go the
    way a real key press goes (stamped in the key handler).
    """
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    target = pick_screen(screen)
    refresh = float(target.refreshRate() or 60.0)
    timeline = build_assess_timeline(protocol, seed, resting=resting)
    presenter = Presenter(protocol, timeline, refresh, duration=duration)
    view = CptView(presenter, outlet)
    window = make_cpt_window(view, backend=backend)
    window.setScreen(target)
    window.screenshot_path = Path(screenshot) if screenshot else None
    timers: list[QtCore.QTimer] = []
    if simulate:
        responder = responder_for(protocol)
        view.responder = responder  # its own account of what it did, for the report

        def answer(label: str, stamp: float) -> None:
            stim = Stimulus(stamp, label.split(":", 2)[2], label.startswith("cpt:go:"))
            for when in responder.respond(stim, len(responder.events)):
                timer = QtCore.QTimer()
                timer.setSingleShot(True)
                timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
                timer.timeout.connect(lambda: QtCore.QCoreApplication.postEvent(
                    window, press_event()))
                timer.start(max(0, int(round((when - pylsl.local_clock()) * 1000))))
                timers.append(timer)
            del timers[:-20]
        view.on_stimulus = answer
    error, _, _ = show_until_done(app, window, presenter, screen=target,
                                  fullscreen=fullscreen, size=size, window_hook=window_hook)
    if error is not None:
        raise error
    return view, presenter


def run_live(args: argparse.Namespace, protocol: AssessProtocol, recording: Path) -> dict:
    """Window + recorder (+ simulated headset).

    Returns
    -------
    dict
        ``n_planned`` letters, and with ``--simulate`` the ``responder`` itself.
    """
    from bci.present.follow import FollowPlayer
    from bci.record.recorder import Recorder

    QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    pick_screen(args.screen)  # a bad --screen is one line, before any stream or file
    if args.stream:
        check_channels(protocol, _stream_channels(args.stream, args.timeout), args.stream)
    cue_id = uuid.uuid4().hex
    outlet = Outlet(StreamDescription.for_markers(args.markers, source_id=cue_id))
    follower = recorder = None
    try:
        source_ids, streams = [cue_id], [args.stream] if args.stream else []
        if args.simulate:
            sim = protocol.simulate
            eeg = SimulatedEEG(sim.channels, sim.sfreq, sim.theta_beta_ratio,
                               sim.alpha_hz, seed=sim.seed)
            follower = FollowPlayer(FollowingEEG(eeg), args.markers, name=SIMULATED_EEG,
                                    timeout=args.timeout, use_announced=False,
                                    markers_source_id=cue_id)
            follower.start()
            source_ids.append(follower.source_id)
        recorder = Recorder(recording, streams, source_ids=source_ids,
                            timeout=args.timeout, overwrite=True)
        recorder.start()
        view, presenter = run_window(
            protocol, outlet, seed=args.seed, duration=args.duration,
            fullscreen=args.fullscreen, screen=args.screen, backend=args.backend,
            screenshot=args.screenshot, simulate=args.simulate)
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline and recorder.is_running():
            time.sleep(0.05)  # the recorder drains every 0.2 s; we only wait for it
    finally:
        if recorder is not None:
            recorder.stop()
        if follower is not None:
            follower.stop()
        outlet.close()
    return {"n_planned": presenter.timeline.n_trials,
            "responder": getattr(view, "responder", None)}
