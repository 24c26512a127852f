"""The presentation window offscreen, with real LSL: markers at the flips, Esc, flicker
read back from the rendered window, feedback from a real decision stream."""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path

import numpy as np
import pylsl
import pytest
import pyxdf
from PySide6 import QtCore, QtGui

from bci.errors import ConfigError, StreamError
from bci.present import build_timeline, parse_protocol, sampled_sinusoid
from bci.present.command import add_calibrate_arguments
from bci.stream.description import StreamDescription
from bci.stream.outlet import Outlet
from bci_apps.calibrate_command import calibrate_live
from bci_apps.present import pick_screen, run_presentation

CONFIGS = Path(__file__).resolve().parents[1] / "docs" / "configs"


@pytest.fixture
def app(qapp):
    # pytest-qt's one QApplication for the whole session: an application of this module's
    # own, destroyed with the module, would leave pyqtgraph (the monitor's tests) holding
    # a dead one.
    return qapp


def _mi_protocol(tmp_path: Path, trials: int, cue: float = 0.8):
    text = f"""
paradigm = "motor-imagery"
config = "{CONFIGS / 'motor-imagery.toml'}"
trials = {trials}
[timing]
lead = 0.3
fixation = 0.3
cue = {cue}
rest = [0.3, 0.4]
tail = 0.3
[[cues]]
label = "T1"
text = "left hand"
arrow = "left"
[[cues]]
label = "T2"
text = "right hand"
arrow = "right"
"""
    path = tmp_path / "mi.toml"
    path.write_text(text)
    return path, parse_protocol(text, origin=str(path))


def _calibrate_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_calibrate_arguments(parser)
    return parser.parse_args(list(argv))


def test_calibrate_records_cues_stamped_at_their_flips_and_esc_keeps_the_file(
        app, tmp_path, capsys) -> None:
    path, protocol = _mi_protocol(tmp_path, trials=3)
    out = tmp_path / "cal.xdf"
    args = _calibrate_args(str(path), "--simulate", "--out", str(out), "--seed", "5",
                           "--markers", f"cues-{uuid.uuid4().hex[:8]}", "--timeout", "5",
                           "--stats", str(tmp_path / "stats.json"))
    flips: list[float] = []
    state: dict = {}

    def on_flip(frame, stamp) -> None:
        flips.append(stamp)
        segment = frame.segment
        if segment is not None and segment.trial == 2 and "esc" not in state:
            # Esc in the middle of the third trial's fixation, through the key handler.
            state["esc"] = stamp
            QtCore.QCoreApplication.sendEvent(state["window"], QtGui.QKeyEvent(
                QtCore.QEvent.Type.KeyPress, QtCore.Qt.Key.Key_Escape,
                QtCore.Qt.KeyboardModifier.NoModifier))

    assert calibrate_live(args, protocol, on_flip=on_flip,
                          window_hook=lambda w: state.update(window=w)) == 0
    assert "next: bci train" in capsys.readouterr().out

    streams, _ = pyxdf.load_xdf(str(out))
    raw, _ = pyxdf.load_xdf(str(out), synchronize_clocks=False, dejitter_timestamps=False)
    raw_markers = next(s for s in raw if s["info"]["type"][0] == "Markers")
    markers = next(s for s in streams if s["info"]["type"][0] == "Markers")
    signal = next(s for s in streams if s["info"]["type"][0] == "EEG")
    labels = [v[0] for v in markers["time_series"]]
    cues = [protocol.labels[k] for k in build_timeline(protocol, 5).trial_cues]
    # Two whole trials, the third's fixation, then the stop: nothing lost, nothing extra.
    assert labels == ["fixation", cues[0], "rest", "fixation", cues[1], "rest",
                      "fixation", "bci:stopped"]
    stats = __import__("json").loads((tmp_path / "stats.json").read_text())
    assert stats["completed_trials"] == 2 and stats["stopped"]
    assert stats["markers"]["stamp_minus_flip_ms"]["max"] == 0.0
    # Every marker carries the time of the flip that showed it, exactly, as sent.
    assert set(np.asarray(raw_markers["time_stamps"]).tolist()) <= set(flips)
    # The signal runs past the last cue's epoch (tmax = 2.5 s is cut by the short
    # protocol, but the file covers the whole run).
    assert signal["time_stamps"][-1] >= markers["time_stamps"][-2]
    assert len(signal["time_stamps"]) >= 160 * (flips[-1] - flips[0]) * 0.9


def test_missing_stream_and_screen_are_one_line_errors_and_leave_no_file(
        app, tmp_path) -> None:
    path, protocol = _mi_protocol(tmp_path, trials=1)
    out = tmp_path / "none.xdf"
    args = _calibrate_args(str(path), "--stream", f"absent-{uuid.uuid4().hex[:8]}",
                           "--out", str(out), "--timeout", "0.5")
    with pytest.raises(StreamError) as err:
        calibrate_live(args, protocol)
    assert "\n" not in str(err.value) and not out.exists()
    n = len(QtGui.QGuiApplication.screens())
    with pytest.raises(ConfigError, match=f"--screen 7: there is no such screen; this "
                                          f"display has {n}"):
        pick_screen(7)


def test_flicker_read_back_from_the_window_follows_the_sampled_sinusoid(app,
                                                                         tmp_path) -> None:
    text = f"""
paradigm = "ssvep"
config = "{CONFIGS / 'ssvep.toml'}"
trials = 1
[timing]
lead = 0.1
cue = 0.1
flicker = 0.5
rest = [0.1, 0.1]
tail = 0.1
[[cues]]
label = "13Hz"
frequency = 13.0
[[cues]]
label = "17Hz"
frequency = 17.0
phase = 1.0
[[cues]]
label = "21Hz"
frequency = 21.0
"""
    protocol = parse_protocol(text, origin="ssvep-test.toml", base=CONFIGS)
    state: dict = {}
    seen: list[tuple[int, list[int]]] = []

    def on_flip(frame, stamp) -> None:
        segment = frame.segment
        if segment is None or segment.kind != "flicker":
            return
        window = state["window"]
        image = window.grab_image()
        rects = window.view.target_rects(window.width(), window.height())
        k = int(round((frame.t - segment.start) * window.view.presenter.refresh))
        seen.append((k, [QtGui.QColor(image.pixel(int(r.center().x()),
                                                  int(r.center().y()))).red()
                         for r in rects]))

    result = run_presentation(protocol, markers=f"cues-{uuid.uuid4().hex[:8]}",
                              on_flip=on_flip, window_hook=lambda w: state.update(window=w))
    refresh = result["nominal_refresh_hz"]
    assert len(seen) >= 0.5 * refresh * 0.8  # most of the 0.5 s of frames were drawn
    frames = np.array([k for k, _ in seen])
    grays = np.array([g for _, g in seen])
    for j, cue in enumerate(protocol.cues):
        curve = sampled_sinusoid(cue.frequency, refresh, frames.max() + 1, phase=cue.phase)
        np.testing.assert_array_equal(grays[:, j], np.round(255 * curve[frames]))


def test_feedback_bar_moves_toward_the_decoders_output(app, tmp_path) -> None:
    _, protocol = _mi_protocol(tmp_path, trials=1, cue=1.2)
    name = f"decisions-{uuid.uuid4().hex[:8]}"
    channels = ("class", "score_left", "score_right", "window_end", "latency_ms")
    outlet = Outlet(StreamDescription(name, "Decisions", 0.0, channels, ("misc",) * 5,
                                      ("",) * 5, channel_format="double64",
                                      source_id=uuid.uuid4().hex))
    state: dict = {"bars": []}

    def on_flip(frame, stamp) -> None:
        if frame.segment is not None and frame.segment.kind == "imagery":
            # The decoder is sure of "right" (0.9 against 0.1) during the imagery.
            outlet.push_sample([1.0, 0.1, 0.9, stamp, 1.0], pylsl.local_clock())
            window = state["window"]
            state["bars"].append(window.view.feedback.bar)
            state["image"] = window.grab_image()

    try:
        run_presentation(protocol, markers=f"cues-{uuid.uuid4().hex[:8]}", decisions=name,
                         on_flip=on_flip, window_hook=lambda w: state.update(window=w))
    finally:
        outlet.close()
    bars = np.array(state["bars"])
    assert bars[-1] > 0.6 and bars[-1] > bars[len(bars) // 4]  # grows toward +0.8
    # Drawn: green right of the centre on the bar's row, none left of it.
    image = state["image"]
    w, h = image.width(), image.height()
    y = int(h / 2 + min(w, h) * 0.225)
    green = [QtGui.QColor(image.pixel(x, y)).green() > 150 and QtGui.QColor(
        image.pixel(x, y)).red() < 120 for x in range(w)]
    assert any(green[w // 2 + 5:]) and not any(green[:w // 2 - 5])
