"""2-D cursor control on a live stream: the task and the cursor as stages of the one loop.

Open loop (a recording replayed over real LSL): the recording's kinematics do not follow
the live targets, so success is not the property; these are: the live cursor moves by
exactly the integrated decoded velocity, equal bit for bit to an offline run of the same
model over the same file; the task's state and events are published over LSL and equal
the stage's; the metrics are reported.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from bci.cursor import GridTask
from bci.datasets.cursor import simulate_cursor
from bci.errors import StreamError
from bci.learn.training import train
from bci.pipeline.config import parse_config
from bci.pipeline.model import load_model, save_model
from bci.replay.source import ReplaySource

KALMAN_TOML = """
[signal]
picks = "seeg"
[targets]
channels = ["cursor_vx", "cursor_vy"]
[online]
mode = "sliding"
window = 0.02
step = 0.02
[decoder]
kind = "kalman"
"""


@pytest.fixture(scope="module")
def kalman_path(tmp_path_factory):
    from bci.datasets import write_simulation

    folder = tmp_path_factory.mktemp("cursor-live")
    train_path = write_simulation(folder / "train_raw.fif", "cursor", duration=90, seed=1)
    model, _, _ = train(parse_config(KALMAN_TOML), [train_path], n_folds=1)
    return save_model(model, folder / "kalman.bci")


def _integrate(velocities: np.ndarray, dt: float, gain: float) -> np.ndarray:
    """The cursor a correct stage gives: each velocity added in order, clipped to the
    workspace at every step."""
    position = np.zeros(2)
    out = []
    for v in velocities:
        position = np.clip(position + gain * dt * v, -1.0, 1.0)
        out.append(position)
    return np.array(out)


def test_live_2d_cursor_equals_offline_and_publishes_state_and_events(kalman_path,
                                                                       source_id):
    from bci.cursor.live import run_cursor_offline, run_live_cursor
    from bci.cursor.streams import STATE_CHANNELS, event_label
    from bci.learn.regression import decode_source
    from bci.replay import Player
    from bci.stream import Inlet, MarkerInlet

    model = load_model(kalman_path)
    name = f"cur-{source_id[:10]}"
    source = ReplaySource.from_raw(simulate_cursor(duration=8, seed=11), name)
    gain = 2.0
    offline = run_cursor_offline(model, source, GridTask(6, seed=3), gain=gain)
    decoded, _, _ = decode_source(model, source)  # the decoder alone, window by window
    n = source.n_times // 20
    assert len(offline.updates) == n
    velocities = np.array([u.velocity for u in offline.updates])
    assert np.array_equal(velocities, decoded)
    positions = np.array([u.position for u in offline.updates])
    assert np.array_equal(positions, _integrate(decoded, 0.02, gain))

    player = Player([source], speed=4.0, chunk=20, lead=0.5, source_id=source_id)
    player.open_outlets()
    result: dict = {}

    def live() -> None:
        try:
            result["run"] = run_live_cursor(model, name, GridTask(6, seed=3), gain=gain,
                                            timeout=10, idle=1.5)
        except BaseException as err:  # surfaced below
            result["error"] = err

    thread = threading.Thread(target=live)
    thread.start()
    state = events = None
    try:
        # the session subscribes first; then the test follows the task's own streams
        assert player.wait_for_consumers(20)
        state = Inlet(f"{name}-cursor", timeout=10, ring_seconds=0.0, recover=False).open()
        events = MarkerInlet(f"{name}-cursor-events", timeout=10).open()
        player.start()
        received, labels = [], []
        deadline = time.monotonic() + 30
        # until the task withdraws its streams (it ends 1.5 s after the replay's end,
        # long after its last sample arrived here)
        while time.monotonic() < deadline:
            try:
                chunk = state.pull(0.1)
                labels.extend(m.label for m in events.pull())
            except StreamError:
                break
            if chunk is not None and chunk.data.shape[1]:
                received.append(chunk.data)
        thread.join(timeout=10)
    finally:
        player.stop()
        for inlet in (state, events):
            if inlet is not None:
                inlet.close()
    assert "error" not in result, result.get("error")
    metrics, stage = result["run"]
    assert metrics["skipped_windows"] == 0
    live_positions = np.array([u.position for u in stage.updates])
    assert np.array_equal(live_positions, positions)  # bit for bit
    assert [u.events for u in stage.updates] == [u.events for u in offline.updates]
    for key in ("success_rate", "bps", "time_to_target_s", "path_efficiency", "correct",
                "incorrect", "timeouts"):
        assert metrics[key] == offline.metrics()[key], key
    assert metrics["latency_ms"] > 0 and metrics["latency_p99_ms"] >= metrics["latency_ms"]
    assert metrics["n_decisions"] == n
    # the published state is the stage's, decision by decision
    published = np.concatenate(received, axis=1)
    assert published.shape == (len(STATE_CHANNELS), n)
    assert np.array_equal(published[:2].T, live_positions)
    assert np.array_equal(published[2:4].T, [u.target_xy for u in stage.updates])
    assert labels == [event_label(e) for e in stage.events]
    assert labels[0].startswith("target ")


def test_bci_cursor_on_a_stream_shows_the_task_window_and_reports_json(
        kalman_path, source_id, tmp_path, capsys, qapp):
    """The command: the task window (offscreen) shows the live cursor; --json has the
    simulated run's keys, with latency_ms measured from a decision's newest sample to
    the repaint that shows it."""
    import argparse
    import json

    from PySide6.QtGui import QImage

    from bci.cli.cursor import add_arguments, run
    from bci.replay import Player

    name = f"cli-{source_id[:10]}"
    source = ReplaySource.from_raw(simulate_cursor(duration=6, seed=12), name)
    player = Player([source], speed=2.0, chunk=20, lead=0.5, source_id=source_id)
    player.open_outlets()
    starter = threading.Thread(target=lambda: player.wait_for_consumers(30)
                               and player.start())
    starter.start()
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    shot = tmp_path / "live.png"
    try:
        code = run(parser.parse_args([str(kalman_path), "--stream", name, "--task", "grid",
                                      "--grid", "8", "--json", "--timeout", "20",
                                      "--screenshot", str(shot)]))
    finally:
        starter.join(timeout=30)
        player.stop()
    assert code == 0
    metrics = json.loads(capsys.readouterr().out)
    for key in ("success_rate", "bps", "time_to_target_s", "path_efficiency",
                "latency_ms"):
        assert key in metrics
    assert metrics["n_decisions"] == source.n_times // 20
    assert metrics["latency_to"] == "screen" and metrics["frames"] > 0
    assert metrics["latency_ms"] == metrics["screen_latency_ms"] > 0
    # 50 Hz decisions, on a replay whose time runs twice as fast: 100 per LSL second
    assert 95 <= metrics["decisions_per_second"] <= 105
    image = QImage(str(shot))
    assert not image.isNull() and image.width() > 100


@pytest.mark.realdata
@pytest.mark.parametrize("subject", ["subject01", "subject36"])
def test_emg_wristband_points_and_a_stable_fist_clicks(shared_recordings, subject):
    """UCI MYO, trained on series 1, run over series 2 as the cursor task: the gesture
    probabilities move the cursor, and a click happens when, and only when, the stable
    fist starts (docs/configs/emg-cursor.toml: [cursor] click = "fist")."""
    from bci.cursor.live import run_cursor_offline
    from bci.cursor.proportional import gesture_velocity
    from bci.learn.training import train_sources
    from bci.outputs import Collector
    from bci.pipeline.config import load_config
    from bci.replay.files import sources_from_file

    folder = shared_recordings / "uci-emg-gestures" / subject
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    series1, series2 = sorted(folder.glob("*.txt.gz"))
    config = load_config("docs/configs/emg-cursor.toml")
    model, _, _ = train_sources(config, [sources_from_file(series1)[0]], n_folds=1)
    source = sources_from_file(series2)[0]
    collector = Collector(events=False)
    stage = run_cursor_offline(model, source, GridTask(8, selection="click", seed=1),
                               chunk=5, sinks=[collector])
    decisions = collector.decisions
    assert len(stage.updates) == len(decisions) > 0
    onsets = [d.stop_index / source.sfreq for d in decisions
              if any(e.kind == "onset" and e.gesture == "fist" for e in d.events)]
    clicked = [u.time for u in stage.updates if u.click]
    assert onsets and clicked == onsets  # at each fist onset, and nowhere else
    m = stage.metrics()
    assert m["clicks"] == len(onsets) == m["correct"] + m["incorrect"]  # every click selects
    # the cursor moves by the probabilities times the gestures' directions
    scores = np.array([d.scores for d in decisions])
    expected = _integrate(gesture_velocity(scores, model.classes), 0.025, 1.0)
    assert np.allclose([u.position for u in stage.updates], expected, atol=1e-12)


def test_closed_loop_over_lsl_with_a_simulated_user_succeeds_on_the_grid(kalman_path,
                                                                          source_id):
    """The loop closed across real LSL both ways: the simulated array (an outlet) fires
    for the velocity its user intends from the cursor the task publishes on
    ``N-cursor``; the live task decodes it. Success >= 80 % on the 35 x 35 grid.

    The issue's 90 % floor is held by the 60-s virtual-clock run (test_cursor.py). Here
    two LSL hops at double speed add a lag the virtual clock has not: about 7 % of
    selections miss, so over 18 trials a 90 % floor (one miss allowed) failed about one
    run in three. Over 40 s (about 30 trials) 80 % fails well under 1 % of runs, and a
    loop that does not close (a user blind to the cursor) scores near 0."""
    from bci.cursor.live import run_live_cursor
    from bci.cursor.user import SimulatedUser
    from bci.cursor.user_stream import SimulatedUserOutlet
    from bci.datasets.cursor import NeuralPopulation

    model = load_model(kalman_path)
    name = f"user-{source_id[:10]}"
    user = SimulatedUser(NeuralPopulation.draw(len(model.ch_names), 0), model.sfreq,
                         seed=4)
    outlet = SimulatedUserOutlet(user, name, list(model.ch_names), step=20, speed=2.0,
                                 timeout=20, source_id=source_id)
    outlet.start()
    try:
        metrics, _ = run_live_cursor(model, name, GridTask(35, seed=4), duration=40,
                                     timeout=20)
    finally:
        outlet.close()
    assert outlet.n_states > 0  # the user saw the cursor
    finished = metrics["correct"] + metrics["incorrect"] + metrics["timeouts"]
    assert finished >= 20, metrics
    assert metrics["success_rate"] >= 0.8, metrics
    assert metrics["bps"] > 0


def test_cursor_click_config_errors_are_one_line():
    from bci.errors import ConfigError

    base = open("docs/configs/emg-cursor.toml").read()
    cases = [(base.replace('click = "fist"', 'click = "wave"'), "must name one of"),
             (base.replace('click = "fist"', 'click = "rest"'), "rest class"),
             (base.replace('click = "fist"', 'click = "fist"\nspeed = 2'), "unknown key"),
             (base[:base.index("\n[postprocess]")] + base[base.index("\n[cursor]"):],
              r"add a \[postprocess\]")]
    for text, match in cases:
        with pytest.raises(ConfigError, match=match) as err:
            parse_config(text)
        assert "\n" not in str(err.value)
    assert parse_config(base).cursor == {"click": "fist"}
