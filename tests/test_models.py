"""Trained decoders end to end: train, save, load safely, evaluate, and live = evaluate."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from bci.errors import ModelError
from bci.learn.evaluation import evaluate
from bci.learn.training import train
from bci.pipeline.config import load_config
from bci.pipeline.model import FORMAT_VERSION, load_model, save_model
from bci.pipeline.spec import build_pipeline
from bci.replay import Player
from bci.replay.files import sources_from_file
from bci.runtime import run_offline
from bci.stream import Inlet
from bci.stream.discovery import resolve_stream

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "docs/configs"


@pytest.fixture(scope="module")
def mi_files(shared_recordings):
    folder = shared_recordings / "physionet-eegmmidb/S001"
    return folder / "S001R04.edf", folder / "S001R08.edf"


@pytest.fixture(scope="module")
def mi_model(mi_files, tmp_path_factory):
    """Tangent space trained on R04 (imagined left/right fist), saved and loaded back."""
    model, _, _ = train(load_config(CONFIGS / "motor-imagery.toml"), [mi_files[0]],
                        n_folds=0)
    path = save_model(model, tmp_path_factory.mktemp("models") / "mi.skops")
    return path


@pytest.mark.realdata
def test_motor_imagery_train_r04_score_r08_and_back(mi_files, mi_model, tmp_path):
    """Imagined left vs right fist across runs: above the 0.6 floor both ways."""
    forward = evaluate(load_model(mi_model), [mi_files[1]])
    reverse_model, _, _ = train(load_config(CONFIGS / "motor-imagery.toml"), [mi_files[1]],
                                n_folds=0)
    reverse = evaluate(reverse_model, [mi_files[0]])
    assert forward["n_labelled"] == reverse["n_labelled"] == 15
    assert forward["accuracy"] >= 0.6 and reverse["accuracy"] >= 0.6
    assert (forward["accuracy"] + reverse["accuracy"]) / 2 >= 0.65
    assert forward["speed_x_realtime"] > 20  # bench/ measures it properly


@pytest.mark.realdata
def test_ssvep_cca_above_085_on_every_session(shared_recordings):
    config = load_config(CONFIGS / "ssvep-exoskeleton.toml")
    for path in sorted((shared_recordings / "ssvep-exoskeleton").glob("subject*/*_raw.fif")):
        model, _, _ = train(config, [path], n_folds=0)  # training-free: fit checks only
        result = evaluate(model, [path])
        assert result["n_labelled"] == 24
        assert result["accuracy"] > 0.85, f"{path.name}: {result['accuracy']:.3f}"


@pytest.mark.realdata
def test_p300_xdawn_ranks_targets_on_unseen_files(shared_recordings):
    files = sorted((shared_recordings / "eeg-notebooks-muse/visual/P300").rglob("*.csv.gz"))
    model, _, _ = train(load_config(CONFIGS / "p300-muse.toml"), files[:4], n_folds=0)
    result = evaluate(model, files[4:])
    assert result["roc_auc"] > 0.7, result["roc_auc"]


@pytest.mark.realdata
def test_offline_decisions_do_not_depend_on_chunking(mi_files, mi_model):
    model = load_model(mi_model)
    source = sources_from_file(mi_files[1])[0]
    runs = []
    for chunk in (1, 16, 77, 4000):
        pipeline = build_pipeline(model, sfreq=source.sfreq, ch_names=source.ch_names,
                                  ch_types=source.ch_types)
        runs.append(run_offline(pipeline, source, chunk=chunk))
    for other in runs[1:]:
        assert len(other) == len(runs[0])
        assert all(a.same_as(b) for a, b in zip(runs[0], other, strict=True))


@pytest.mark.realdata
def test_cli_train_report_and_evaluate_json(mi_files, tmp_path):
    out = tmp_path / "m.skops"
    train_run = subprocess.run(
        [sys.executable, "-m", "bci.cli", "train", str(CONFIGS / "motor-imagery.toml"),
         "--data", str(mi_files[0]), "--out", str(out), "--cv", "3",
         "--report", str(tmp_path / "report"), "--json"],
        capture_output=True, text=True, timeout=300)
    assert train_run.returncode == 0, train_run.stderr
    summary = json.loads(train_run.stdout)  # --json: one object, nothing else on stdout
    assert len(summary["cv"]) == 3 and summary["classes"] == ["left", "right"]
    for name in ("summary.md", "cv_scores.png", "confusion_matrix.png"):
        assert (tmp_path / "report" / name).stat().st_size > 0
    info = load_model(out).info
    assert info["training_files"][0]["sha256"] and info["versions"]["scikit-learn"]
    run = subprocess.run([sys.executable, "-m", "bci.cli", "evaluate", str(out), "--data",
                          str(mi_files[1]), "--json"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    decisions = result["files"][0]["decisions"]
    assert len(decisions) == 15 and {"time", "predicted", "true"} <= set(decisions[0])
    assert result["confusion_matrix"]["labels"] == ["left", "right"]
    assert 0.0 <= result["roc_auc"] <= 1.0 and "balanced_accuracy" in result


@pytest.mark.realdata
def test_live_model_on_replay_equals_evaluate(mi_files, mi_model):
    """`bci live MODEL` on a replay of R08 decides trial for trial as `bci evaluate`."""
    source = sources_from_file(mi_files[1], name=f"mi-{uuid.uuid4().hex[:8]}")[0]
    model = load_model(mi_model)
    offline = run_offline(build_pipeline(model, sfreq=source.sfreq, ch_names=source.ch_names,
                                         ch_types=source.ch_types), source)
    speed = 8.0
    player = Player([source], speed=speed, lead=0.3)
    player.open_outlets()
    out = f"{source.name}-decisions"
    process = subprocess.Popen(
        [sys.executable, "-m", "bci.cli", "live", str(mi_model), "--stream", source.name,
         "--out-stream", out, "--timeout", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rows = []
    try:
        with Inlet(info=resolve_stream(out, timeout=30), timeout=10) as inlet:
            classes = json.loads(inlet.description.metadata["classes"])
            player.start()
            player.wait(timeout=source.n_times / source.sfreq / speed + 10)
            deadline = time.monotonic() + 5
            while len(rows) < len(offline) and time.monotonic() < deadline:
                chunk = inlet.pull(timeout=0.2)
                if chunk is not None:
                    rows.extend(chunk.data.T)
    finally:
        player.stop()
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    assert len(rows) == len(offline) == 15, stderr
    live = np.array(rows)
    assert classes == model.classes
    assert [classes[int(v)] for v in live[:, 0]] == [d.label for d in offline]
    assert np.array_equal(live[:, 1:3], np.array([d.scores for d in offline]))


def test_model_file_that_is_not_one(tmp_path):
    for name, content in (("junk.skops", b"\x00garbage" * 50), ("empty.skops", b"")):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ModelError) as info:
            load_model(path)
        assert name in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(ModelError, match="no such model file"):
        load_model(tmp_path / "missing.skops")


class Payload:
    """A type from outside the trusted libraries (as a malicious file would carry)."""


def test_untrusted_types_are_refused_before_anything_is_built(tmp_path):
    import skops.io as sio

    path = tmp_path / "evil.skops"
    sio.dump({"format": "bci-model", "format_version": 1, "decoder": Payload()}, path)
    with pytest.raises(ModelError, match="refusing to load types"):
        load_model(path)


def test_types_from_trusted_libraries_but_no_decoder_are_refused(tmp_path):
    """The check is the exact list of types the decoders are made of, not a prefix:
    a pyRiemann estimator that no bci decoder uses is refused (the old prefix check let
    anything from ``pyriemann.`` through)."""
    import skops.io as sio
    from pyriemann.classification import KNearestNeighbor

    path = tmp_path / "knn.skops"
    sio.dump({"format": "bci-model", "format_version": 1, "decoder": KNearestNeighbor()},
             path)
    with pytest.raises(ModelError, match="refusing to load types") as info:
        load_model(path)
    assert "KNearestNeighbor" in str(info.value) and "\n" not in str(info.value)


def test_a_model_file_missing_its_fields_is_one_line(tmp_path):
    import skops.io as sio

    path = tmp_path / "partial.skops"
    sio.dump({"format": "bci-model", "format_version": 1}, path)
    with pytest.raises(ModelError, match="lacks") as info:
        load_model(path)
    assert "\n" not in str(info.value)


@pytest.mark.realdata
def test_newer_model_and_mismatched_stream_say_what_to_do(mi_model, tmp_path):
    import skops.io as sio

    model = load_model(mi_model)
    newer = tmp_path / "newer.skops"
    payload = {"format": "bci-model", "format_version": FORMAT_VERSION + 1,
               "config_text": model.config.text, "ch_names": model.ch_names,
               "sfreq": model.sfreq, "classes": model.classes, "decoder": model.decoder}
    sio.dump(payload, newer)
    with pytest.raises(ModelError, match="newer bci"):
        load_model(newer)
    with pytest.raises(ModelError, match="trained at 160 Hz"):
        model.check_stream(256.0, model.ch_names)
    with pytest.raises(ModelError, match="lacks 2"):
        model.check_stream(160.0, model.ch_names[2:])
