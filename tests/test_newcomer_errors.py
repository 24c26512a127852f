"""The mistakes of a newcomer's first hour (issue 17): each error is one line on stderr
that names the cause and what to do, and the command's output reads well in a log.

Commands run through ``bci.cli.main`` (in process) or as a subprocess where a signal,
a terminal or ``python -m`` is the point; streams are real LSL outlets on loopback.
"""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import sys
import time
import uuid
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest

from bci.cli import main
from bci.pipeline.model import load_model

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "recordings"
MI = SAMPLES / "sample-motor-imagery_raw.fif"
MI_CONFIG = SAMPLES / "demo-motor-imagery.toml"
EMG = SAMPLES / "sample-emg_raw.fif"
EMG_CONFIG = ROOT / "docs/configs/emg-gestures.toml"


def _error_line(capsys) -> str:
    """The one line a failed command wrote on stderr, without ``bci: error: ``."""
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert lines[0].startswith("bci: error: "), lines[0]
    return lines[0].removeprefix("bci: error: ")


def _config_with(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def mi_model(tmp_path_factory) -> Path:
    """A model trained on the shipped 8-channel, 160 Hz motor-imagery sample."""
    from bci.learn.training import train
    from bci.pipeline.config import load_config
    from bci.pipeline.model import save_model

    model, _, _ = train(load_config(MI_CONFIG), [MI], n_folds=0)
    return save_model(model, tmp_path_factory.mktemp("model") / "mi.skops")


# 1. A wrong event label -------------------------------------------------------------

def test_a_wrong_event_label_names_the_label_its_class_and_the_files_events(tmp_path,
                                                                            capsys):
    config = _config_with(tmp_path, MI_CONFIG, 'right = "T2"', 'right = "T9"')
    status = main(["train", str(config), "--data", str(MI), "--out",
                   str(tmp_path / "m.skops")])
    assert status == 1
    assert _error_line(capsys) == (
        f"{MI.name}: 'T9' (class right) is not among this file's events: "
        f"T0 ×41, T1 ×20, T2 ×20: set [epochs].events in {config} to labels the "
        "recordings have ('bci info FILE' lists them)")
    assert not (tmp_path / "m.skops").exists()


def test_a_label_missing_from_every_file_names_each_file(tmp_path, capsys):
    config = _config_with(tmp_path, MI_CONFIG, 'right = "T2"', 'right = "T9"')
    rest = SAMPLES / "sample-rest_raw.fif"
    status = main(["train", str(config), "--data", str(MI), str(rest), "--out",
                   str(tmp_path / "m.skops")])
    assert status == 1
    line = _error_line(capsys)
    assert line.startswith("'T9' (class right) is in none of the 2 recordings (")
    assert f"{MI.name} has T0 ×41, T1 ×20, T2 ×20" in line
    assert f"{rest.name} has eyes_closed ×1, eyes_open ×2" in line
    assert line.endswith("set [epochs].events in "
                         f"{config} to labels the recordings have ('bci info FILE' "
                         "lists them)")


def test_a_wrong_segment_label_in_a_sliding_config_is_named_too(tmp_path, capsys):
    config = _config_with(tmp_path, EMG_CONFIG, 'fist = "fist"', 'fist = "Fist"')
    status = main(["train", str(config), "--data", str(EMG), "--out",
                   str(tmp_path / "m.skops")])
    assert status == 1
    line = _error_line(capsys)
    assert line.startswith(f"{EMG.name}: 'Fist' (class fist) is not among this file's "
                           "events: fist ×2, radial_deviation ×2, rest ×11, ")
    assert "set [epochs].events" in line


def test_evaluate_on_a_file_without_the_models_labels_says_so(mi_model, tmp_path, capsys):
    import mne

    from bci.io import read_recording

    raw = read_recording(MI)
    renamed = {"T0": "rest", "T1": "left_hand", "T2": "right_hand"}
    raw.set_annotations(mne.Annotations(raw.annotations.onset, raw.annotations.duration,
                                        [renamed[d] for d in raw.annotations.description]))
    path = tmp_path / "renamed_raw.fif"
    raw.save(path, verbose="error")
    assert main(["evaluate", str(mi_model), "--data", str(path)]) == 1
    assert _error_line(capsys) == (
        "renamed_raw.fif: none of the model's event labels (left = 'T1', right = 'T2') are "
        "among this file's events: left_hand ×20, rest ×41, right_hand ×20: evaluate on "
        "a recording of the task the model was trained on")


# 2. A model on the wrong kind of stream ----------------------------------------------

def test_live_on_an_emg_stream_names_every_mismatch_and_no_retraining(mi_model, capsys):
    """An 8-channel, 1000 Hz EMG outlet against an 8-channel, 160 Hz EEG model."""
    from bci.replay import Player, ReplaySource

    name = f"jemg-{uuid.uuid4().hex[:8]}"
    data = np.random.default_rng(0).normal(0, 1e-4, (8, 20_000))
    emg = ReplaySource(name=name, stype="EMG", data=data, sfreq=1000.0,
                       ch_names=tuple(f"EMG{i}" for i in range(1, 9)),
                       ch_types=("emg",) * 8)
    player = Player([emg], chunk=20, source_id=uuid.uuid4().hex)
    player.open_outlets()
    player.start()
    try:
        status = main(["live", str(mi_model), "--stream", name, "--timeout", "15",
                       "--out-stream", f"{name}-decisions"])
    finally:
        player.stop()
    assert status == 1
    line = _error_line(capsys)
    assert line == (
        f"stream '{name}' does not fit the model: its channels are 8 emg, the model's "
        "8 eeg; it has none of the model's channels (FC3, FCz, FC4, C3, Cz, C4 ...; it "
        "has EMG1, EMG2, EMG3, EMG4, EMG5, EMG6 ...); it runs at 1000 Hz but the model "
        "was trained at 160 Hz: this looks like a different device: check --stream "
        "('bci streams' lists them)")
    assert "retrain" not in line


def test_the_advice_follows_the_cause(mi_model):
    """Same channels at another rate: resample or retrain; a different channel count
    is named; a few channels missing: send them or pick without them."""
    from bci.errors import ModelError

    model = load_model(mi_model)
    eeg = ["eeg"] * 8
    with pytest.raises(ModelError) as info:
        model.check_stream(256.0, model.ch_names, "stream 'EEG'", eeg)
    assert str(info.value) == (
        "stream 'EEG' does not fit the model: it runs at 256 Hz but the model was trained "
        "at 160 Hz: the same channels at another rate: set the device to 160 Hz, or "
        "retrain on data at 256 Hz")
    with pytest.raises(ModelError) as info:
        model.check_stream(160.0, model.ch_names[:7], "stream 'EEG'", eeg[:7])
    assert str(info.value) == (
        "stream 'EEG' does not fit the model: it has 7 channels, the model 8; it lacks 1 "
        "of the model's 8 channels (CP4): send those channels, or retrain without them "
        "([signal].picks)")
    wide = [*model.ch_names, *(f"X{i}" for i in range(56))]
    model.check_stream(160.0, wide, "stream 'EEG'", ["eeg"] * 64)  # extra channels: fine


# 5. Training output --------------------------------------------------------------------

def test_training_in_a_log_has_no_carriage_returns_and_gives_an_interval(tmp_path):
    """stderr piped (not a terminal): no progress bar; the pooled interval is in the
    text, with a warning that 8-window folds are noise."""
    run = subprocess.run(
        [sys.executable, "-m", "bci", "train", str(MI_CONFIG), "--data", str(MI), "--out",
         str(tmp_path / "m.skops")], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "\r" not in run.stderr and "\r" not in run.stdout
    assert "cross-validation [" not in run.stderr
    assert re.search(r"pooled over folds: (\d+) of 40 test windows correct, accuracy "
                     r"0\.\d{3}, 95% CI 0\.\d\d-[01]\.\d\d \(Clopper-Pearson\)", run.stdout)
    assert ("warning: the smallest fold tests only 8 windows: one trial moves its "
            "accuracy by 0.12") in run.stdout


def test_the_progress_bar_is_drawn_on_a_terminal(monkeypatch):
    from bci.cli.train import _progress

    master, slave = pty.openpty()
    with os.fdopen(slave, "w") as terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        _progress(1, 2, 0.5)
        _progress(2, 2, 1.0)
        terminal.flush()
        # One read may return only part of what was written: read up to the last line's end.
        drawn = ""
        while not drawn.endswith("\n"):
            drawn += os.read(master, 4096).decode()
    os.close(master)
    # Each fold redraws the line; the last one ends it (the pty shows "\n" as "\r\n").
    assert drawn == ("\rcross-validation [#.] fold 1/2: 0.500"
                     "\rcross-validation [##] fold 2/2: 1.000\r\n")


def test_train_json_adds_a_clopper_pearson_interval(tmp_path, capsys):
    from scipy.stats import binomtest

    assert main(["train", str(MI_CONFIG), "--data", str(MI), "--out",
                 str(tmp_path / "m.skops"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    folds = out["cv"]
    n = sum(f["n_test"] for f in folds)
    k = round(sum(f["accuracy"] * f["n_test"] for f in folds))
    expected = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    assert out["cv_n_test"] == n == 40
    assert out["cv_accuracy_pooled"] == pytest.approx(k / n)
    assert out["cv_accuracy_ci"] == pytest.approx([expected.low, expected.high])
    assert out["cv_accuracy_ci_method"] == "clopper-pearson"
    assert out["cv_smallest_fold"] == 8 and out["cv_few_trials"] is True
    assert "cv_accuracy_mean" in out  # the existing keys stay


# 7. Small things -----------------------------------------------------------------------

def test_python_dash_m_bci_prints_the_package_version():
    run = subprocess.run([sys.executable, "-m", "bci", "--version"], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"bci {version('bci')}\n"


def test_the_stats_table_stays_aligned_without_decisions():
    from bci.pipeline.stats import LatencyStats, format_stats

    stats = LatencyStats({"end_to_end": 20.0})
    for ms in (0.1, 0.2, 0.3):
        stats.stage("filters").add(ms)
    lines = format_stats(stats.snapshot()).splitlines()
    table = [line for line in lines if not line.startswith("counters")]
    assert {len(line) for line in table} == {len(table[0])}, "\n".join(table)
    end = next(line for line in table if line.startswith("end-to-end"))
    assert end.split() == ["end-to-end", "0", "-", "-", "-", "-", "20", "0"]
    # every cell ends where its header ends
    header_ends = [m.end() for m in re.finditer(r"\S+( ms)?", table[0])][1:]
    cell_ends = [m.end() for m in re.finditer(r"\S+", end)][1:]
    assert cell_ends == header_ends


def test_an_annotation_past_the_end_is_one_clean_line(shared_recordings):
    path = shared_recordings / "physionet-eegmmidb/S001/S001R01.edf"
    run = subprocess.run([sys.executable, "-m", "bci", "info", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ("S001R01.edf: 1 annotation ran past the end of the data "
                          "(60.0 s) and was cut there\n")


def _stderr_until(process: subprocess.Popen, text: str, timeout: float) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while text not in seen and time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen += line
    assert text in seen, f"never saw {text!r}; stderr so far:\n{seen}"
    time.sleep(3.0)  # the line comes just before the command starts its waiting loop
    return seen


def test_ctrl_c_ends_bci_live_with_status_130_after_its_summary(mi_model):
    from bci.io import read_recording
    from bci.replay import Player, ReplaySource

    name = f"mi-{uuid.uuid4().hex[:8]}"
    player = Player([ReplaySource.from_raw(read_recording(MI), name)], chunk=10, loop=True,
                    source_id=uuid.uuid4().hex)
    player.open_outlets()
    player.start()
    process = subprocess.Popen(
        [sys.executable, "-m", "bci", "live", str(mi_model), "--stream", name,
         "--out-stream", f"{name}-decisions", "--timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _stderr_until(process, "Ctrl-C stops", timeout=120)
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        player.stop()
    assert process.returncode == 130, rest
    assert "end-to-end" in rest  # the summary is still printed


def test_ctrl_c_ends_bci_replay_with_130_and_sigterm_with_0():
    statuses = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        process = subprocess.Popen(
            [sys.executable, "-m", "bci", "replay", str(MI), "--name",
             f"r-{uuid.uuid4().hex[:8]}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        try:
            _stderr_until(process, "Ctrl-C stops", timeout=120)
            process.send_signal(sig)
            _, rest = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
        assert "pushed" in rest
        statuses[sig] = process.returncode
    assert statuses == {signal.SIGINT: 130, signal.SIGTERM: 0}


def test_a_missing_model_file_says_what_to_do(tmp_path, capsys):
    missing = tmp_path / "model.skops"
    assert main(["evaluate", str(missing), "--data", str(MI)]) == 1
    assert _error_line(capsys) == (
        f"{missing}: no such model file: check the path, or write one with "
        "'bci train CONFIG.toml --data FILE --out MODEL'")
