"""End to end: `bci live` in its own process on a replayed real recording.

The decisions read back with an independent inlet must (1) show what the signal holds
(occipital alpha much higher with the eyes closed) and (2) equal, bit for bit, the
decisions of the same pipeline run offline on the virtual clock.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from bci.pipeline.config import load_config
from bci.pipeline.pipeline import Pipeline
from bci.replay import Player, ReplaySource
from bci.runtime import run_offline
from bci.stream import Inlet
from bci.stream.discovery import resolve_stream

ROOT = Path(__file__).resolve().parents[1]
ALPHA = ROOT / "docs/configs/alpha-eyes-closed.toml"
SPEED = 4.0


def _live(config: Path, stream: str, out: str, duration: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bci.cli", "live", str(config), "--stream", stream,
         "--out-stream", out, "--duration", str(duration), "--timeout", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _pull_decisions(inlet: Inlet, until: float) -> np.ndarray:
    rows = []
    while time.monotonic() < until:
        chunk = inlet.pull(timeout=0.2)
        if chunk is not None:
            rows.append(chunk.data)
    return np.concatenate(rows, axis=1) if rows else np.empty((0, 0))


def _run_live_on(raw, config_path: Path, seconds: float):
    """Replay ``raw`` at SPEED into a `bci live` subprocess; return its decisions."""
    name = f"live-{uuid.uuid4().hex[:8]}"
    out = f"{name}-decisions"
    source = ReplaySource.from_raw(raw, name)
    player = Player([source], speed=SPEED, chunk=10, lead=0.2)
    player.open_outlets()
    duration = seconds / SPEED + 15
    process = _live(config_path, name, out, duration)
    try:
        info = resolve_stream(out, timeout=30)  # exists once live has its inlet open
        with Inlet(info=info, timeout=10) as decisions:
            channels = decisions.description.ch_names
            player.start()
            player.wait(timeout=seconds / SPEED + 10)
            rows = _pull_decisions(decisions, time.monotonic() + 1.5)
    finally:
        player.stop()
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    assert rows.size, f"no decisions from bci live; its stderr:\n{stderr}"
    return source, player, channels, rows


@pytest.mark.realdata
def test_live_alpha_separates_eyes_closed_and_equals_offline(shared_recordings):
    from bci.io import read_recording

    folder = shared_recordings / "physionet-eegmmidb/S001"
    config = load_config(ALPHA)
    results = {}
    for run in ("R01", "R02"):
        raw = read_recording(folder / f"S001{run}.edf").crop(tmax=20.0, include_tmax=False)
        source, player, channels, live = _run_live_on(raw, ALPHA, 20.0)
        assert channels[0] == "class" and channels[-2:] == ("window_end", "latency_ms")
        # The same pipeline offline, on the same chunks and the same clock.
        pipeline = Pipeline(config, sfreq=source.sfreq, ch_names=source.ch_names,
                            ch_types=source.ch_types)
        offline = run_offline(pipeline, source, chunk=10)
        n = live.shape[1]
        assert n == len(offline), f"{run}: {n} live decisions, {len(offline)} offline"
        values = np.array([d.value for d in offline])
        assert np.array_equal(live[0], values), "live values differ from offline"
        scores = np.array([d.scores for d in offline]).T
        assert np.array_equal(live[1:-2], scores)
        expected_end = player.t0 + np.array([d.window_end for d in offline]) / SPEED
        assert np.max(np.abs(live[-2] - expected_end)) < 1e-3
        assert np.all(live[-1] > 0)  # latency: pushed after the window's last sample
        results[run] = values
    # Eyes closed: occipital alpha (log10 V^2) clearly higher than eyes open.
    assert np.median(results["R02"]) > np.median(results["R01"]) + 0.5


# -- the same claim on the recordings that ship with the project (no ../shared needed) --

SAMPLE_ALPHA = """
name = "occipital alpha on the shipped rest sample"
[signal]
picks = ["O1", "Oz", "O2"]
[[filters]]
kind = "bandpass"
l_freq = 1.0
h_freq = 40.0
[online]
mode = "sliding"
window = 1.0
step = 0.25
[decoder]
kind = "band-power"
bands = { alpha = [8.0, 12.0] }
log = true
[budget]
end_to_end = 5000.0
"""


def _live_rows(spec_path: Path, source: ReplaySource, speed: float, n_expected: int):
    """`bci live SPEC` in its own process on a replay of ``source``: the rows read back."""
    out = f"{source.name}-decisions"
    player = Player([source], speed=speed, chunk=10, lead=0.3)
    player.open_outlets()
    process = subprocess.Popen(
        [sys.executable, "-m", "bci.cli", "live", str(spec_path), "--stream", source.name,
         "--out-stream", out, "--timeout", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rows = []
    try:
        with Inlet(info=resolve_stream(out, timeout=30), timeout=10) as inlet:
            assert inlet.description.ch_names[0] == "class"
            player.start()
            player.wait(timeout=source.n_times / source.sfreq / speed + 10)
            deadline = time.monotonic() + 5
            while sum(r.shape[1] for r in rows) < n_expected and time.monotonic() < deadline:
                chunk = inlet.pull(timeout=0.2)
                if chunk is not None:
                    rows.append(chunk.data)
    finally:
        player.stop()
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    assert rows, f"no decisions from bci live; its stderr:\n{stderr}"
    return np.concatenate(rows, axis=1)


def test_shipped_rest_sample_live_equals_offline_bit_for_bit(sample_recordings, tmp_path):
    """Sliding band power on the shipped rest sample: `bci live` = the offline run."""
    from bci.io import read_recording
    from bci.pipeline.config import parse_config

    config_path = tmp_path / "alpha.toml"
    config_path.write_text(SAMPLE_ALPHA)
    raw = read_recording(sample_recordings / "sample-rest_raw.fif")
    source = ReplaySource.from_raw(raw, f"rest-{uuid.uuid4().hex[:8]}")
    config = parse_config(SAMPLE_ALPHA)
    pipeline = Pipeline(config, sfreq=source.sfreq, ch_names=source.ch_names,
                        ch_types=source.ch_types)
    offline = run_offline(pipeline, source, chunk=10)
    assert len(offline) > 100
    live = _live_rows(config_path, source, 8.0, len(offline))
    assert live.shape[1] == len(offline), f"{live.shape[1]} live, {len(offline)} offline"
    assert np.array_equal(live[0], [d.value for d in offline])
    assert np.array_equal(live[1:-2], np.array([d.scores for d in offline]).T)
    # The sample's eyes-closed middle third has the higher alpha (the signal model's).
    t = np.array([d.window_end for d in offline])
    values = np.array([d.value for d in offline])
    closed = (t > 11.0) & (t < 20.0)
    opened = (t > 1.0) & (t < 10.0)
    assert np.median(values[closed]) > np.median(values[opened]) + 0.5


def test_shipped_motor_imagery_model_live_equals_evaluate(sample_recordings, tmp_path):
    """A trained model, marker-locked, on the shipped MI sample: live = offline, trial by
    trial, bit for bit (the demo's split: train on the first 60 %, replay the rest)."""
    from bci.io import read_recording
    from bci.learn.training import train_sources
    from bci.pipeline.config import load_config
    from bci.pipeline.model import save_model
    from bci.pipeline.spec import build_pipeline

    raw = read_recording(sample_recordings / "sample-motor-imagery_raw.fif")
    split = raw.times[int(raw.n_times * 0.6)]
    config = load_config(sample_recordings / "demo-motor-imagery.toml")
    model, _, _ = train_sources(
        config, [ReplaySource.from_raw(raw.copy().crop(tmax=split, include_tmax=False), "t")],
        n_folds=0)
    model_path = save_model(model, tmp_path / "mi.skops")
    source = ReplaySource.from_raw(raw.copy().crop(tmin=split), f"mi-{uuid.uuid4().hex[:8]}")
    offline = run_offline(build_pipeline(model, sfreq=source.sfreq, ch_names=source.ch_names,
                                         ch_types=source.ch_types), source)
    assert len(offline) == 16
    live = _live_rows(model_path, source, 10.0, len(offline))
    assert live.shape[1] == len(offline)
    assert np.array_equal(live[0], [d.value for d in offline])
    assert np.array_equal(live[1:3], np.array([d.scores for d in offline]).T)
    assert sum(d.label == d.true_label for d in offline) >= 14  # the demo's 15/16, roughly


def test_default_output_is_named_after_its_input_with_a_stable_source_id(sample_recordings):
    """Two sessions on two inputs never both publish 'bci-decisions'; a restarted session
    on the same input publishes the same source id again."""
    from bci.io import read_recording
    from bci.pipeline.config import parse_config
    from bci.runtime import open_live

    raw = read_recording(sample_recordings / "sample-rest_raw.fif").crop(tmax=2.0)
    config = parse_config(SAMPLE_ALPHA)
    players = [Player([ReplaySource.from_raw(raw, f"in-{uuid.uuid4().hex[:8]}")],
                      source_id=uuid.uuid4().hex) for _ in range(2)]
    identities = []
    try:
        for player in (*players, players[0]):
            player.open_outlets()
            setup = open_live(config, player.name, timeout=10)
            try:
                d = setup.outlet.description
                identities.append((d.name, d.source_id, setup.status.description.name))
            finally:
                setup.close()
    finally:
        for player in players:
            player.stop()
    (a, id_a, status_a), (b, id_b, _), (a_again, id_a_again, _) = identities
    assert a == f"{players[0].name}-decisions" and b == f"{players[1].name}-decisions"
    assert status_a == f"{a}-status"
    assert id_a != id_b and (a_again, id_a_again) == (a, id_a)
