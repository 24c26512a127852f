"""The assessment window offscreen: key presses stamped at the key event (not at a flip)
and pushed on LSL with that stamp; letters stamped at their flips; the simulated
responder's injected presses scored."""

from __future__ import annotations

import time

import pylsl
import pytest

pytest.importorskip("PySide6")

from PySide6 import QtCore

from bci.attention.protocol import parse_assess_protocol
from bci.attention.task import PRESS, parse_markers
from bci.stream.description import StreamDescription
from bci.stream.outlet import Outlet

CPT_ONLY = {"resting": {"eyes_open": 0, "eyes_closed": 0, "instructions": 0},
            "cpt": {"blocks": 1, "stimuli_per_block": 10, "instructions": 0.3,
                    "soa": [0.5], "stimulus": 0.2, "target_ratio": 0.8},
            "lead": 0.2, "tail": 0.2}


def _drain(inlet, deadline: float) -> list[tuple[str, float]]:
    out = []
    while time.monotonic() < deadline:
        sample, stamp = inlet.pull_sample(timeout=0.2)
        if sample is None:
            if out and out[-1][0] == "assess:end":
                break
            continue
        out.append((sample[0], stamp))
    return out


def test_key_presses_are_stamped_at_the_key_event(source_id, unique_name):
    from bci_apps.assess_command import run_window
    from bci_apps.cpt import press_event

    protocol = parse_assess_protocol(CPT_ONLY)
    outlet = Outlet(StreamDescription.for_markers(unique_name, source_id=source_id))
    info = pylsl.resolve_bypred(f"source_id='{source_id}'", 1, 5.0)[0]
    inlet = pylsl.StreamInlet(info)
    inlet.open_stream(5.0)
    posted: list[float] = []
    timers = []

    def hook(window):
        def post():
            posted.append(pylsl.local_clock())
            QtCore.QCoreApplication.postEvent(window, press_event())
        # Presses spread over the run, at times unrelated to the frame grid.
        for ms in (700, 1013, 1391, 1777, 2203, 2671, 3109):
            timer = QtCore.QTimer()
            timer.setSingleShot(True)
            timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
            timer.timeout.connect(post)
            timer.start(ms)
            timers.append(timer)

    try:
        view, presenter = run_window(protocol, outlet, backend="raster", resting=False,
                                     window_hook=hook)
        received = _drain(inlet, time.monotonic() + 5.0)
    finally:
        inlet.close_stream()
        outlet.close()
    stamps = [s for s, _ in view.presses]
    assert len(stamps) == len(posted) == 7
    flips = set(presenter.stats.flips)
    for stamp, when in zip(stamps, posted, strict=True):
        assert stamp not in flips                 # not the next frame's time
        assert 0.0 <= stamp - when < 0.012        # the handler ran within 12 ms
    # On LSL, each press carries exactly the stamp taken in the handler.
    assert [t for label, t in received if label == PRESS] == stamps
    # Letters carry their flip times.
    letters = [(lab, t) for lab, t in received if lab.startswith("cpt:")
               and lab != PRESS and not lab.startswith("cpt:block")]
    assert len(letters) == 10 and all(t in flips for _, t in letters)
    parsed = parse_markers(received, protocol)
    assert not parsed.interrupted and len(parsed.stimuli) == 10


def test_esc_mid_run_is_an_interrupted_session(source_id, unique_name):
    from bci_apps.assess_command import run_window

    protocol = parse_assess_protocol(CPT_ONLY)
    outlet = Outlet(StreamDescription.for_markers(unique_name, source_id=source_id))
    try:
        view, _ = run_window(protocol, outlet, backend="raster", resting=False,
                             window_hook=lambda w: QtCore.QTimer.singleShot(
                                         2000, presenter_stop(w)))
    finally:
        outlet.close()
    parsed = parse_markers(view.pushed, protocol)
    assert parsed.interrupted
    assert 0 < len(parsed.stimuli) < 10


def presenter_stop(window):
    from PySide6 import QtGui

    def esc():
        QtCore.QCoreApplication.postEvent(window, QtGui.QKeyEvent(
            QtCore.QEvent.Type.KeyPress, QtCore.Qt.Key.Key_Escape,
            QtCore.Qt.KeyboardModifier.NoModifier))
    return esc


def test_simulated_assessment_in_the_window_is_recorded_and_scored(tmp_path):
    """bci assess --simulate --window: the window, the recorder, the simulated headset on
    LSL following the markers, the responder's presses posted as key events."""
    import argparse
    import json

    from bci.attention import command

    proto = tmp_path / "p.toml"
    proto.write_text("""lead = 0.3
tail = 0.5
[resting]
eyes_open = 4.5
eyes_closed = 4.5
instructions = 0.3
[cpt]
blocks = 1
stimuli_per_block = 10
instructions = 0.3
soa = [0.6]
stimulus = 0.2
target_ratio = 0.8
[simulate]
omission_rate = 0.25
commission_rate = 0.5
rt_mean_ms = 300
rt_sd_ms = 40
anticipatory_rate = 0
theta_beta_ratio = 2.0
seed = 4
""")
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    out = tmp_path / "out"
    args = parser.parse_args([str(proto), "--simulate", "--window", "--out", str(out),
                              "--backend", "raster", "--markers", f"assess-{time.time_ns()}"])
    assert command.run(args) == 0
    result = json.loads((out / "assessment.json").read_text())
    events = result["responder_events"]
    kinds = [e["kind"] for e in events]
    assert len(events) == 10 == result["completed"]["cpt_stimuli"]
    # Scored from the recording, the errors are exactly what the responder did ...
    assert result["omission_errors"] == kinds.count("omission")
    assert result["commission_errors"] == kinds.count("commission")
    # ... and the RTs what it meant, plus the event loop's delay (a few ms).
    rts = [e["rt"] * 1000 for e in events if e["kind"] == "hit"]
    assert abs(result["rt_mean_ms"] - sum(rts) / len(rts)) < 15
    assert result["theta_beta_ratio"] == pytest.approx(2.0, rel=0.15)
    assert 9.5 < result["alpha_peak_hz"] < 10.5
