"""docs/python.md runs as written: train on an mne Raw, evaluate, decode a live replay."""

from __future__ import annotations

import re
from pathlib import Path

import mne
import pytest

from bci.errors import ConfigError
from bci.learn import train_raw

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "python.md"
SAMPLE = ROOT / "recordings" / "sample-motor-imagery_raw.fif"


def page_code() -> str:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)
    assert len(blocks) >= 5, "docs/python.md lost its code blocks"
    return "\n".join(blocks)


def test_the_page_runs_and_live_decisions_equal_offline(tmp_path, monkeypatch):
    # The page runs from the project root; a temporary one keeps mi.skops out of the repo.
    (tmp_path / "recordings").symlink_to(ROOT / "recordings")
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs_python__"}
    exec(compile(page_code(), str(PAGE), "exec"), namespace)
    # What the page claims, checked: trained on the first 2 minutes (24 trials) ...
    assert len(namespace["data"].y) == 24
    assert namespace["model"].classes == ["left", "right"]
    # ... better than chance on the 17 held-out trials (0.88 measured) ...
    scores = namespace["result"]["scores"]
    assert scores["n_labelled"] == 17 and scores["accuracy"] >= 0.75
    # ... and the live decoding of the replayed held-out part decides exactly as offline.
    assert len(namespace["live"]) == 17
    assert namespace["live"] == namespace["offline"]
    assert (tmp_path / "mi.skops").stat().st_size > 0


def test_train_raw_refuses_epochs_with_the_reason():
    raw = mne.io.read_raw_fif(SAMPLE, preload=True, verbose="error")
    events, event_id = mne.events_from_annotations(raw, verbose="error")
    epochs = mne.Epochs(raw, events, event_id, tmin=0.5, tmax=2.5, baseline=None,
                        verbose="error")
    with pytest.raises(ConfigError, match="pass the Raw your Epochs were cut from"):
        train_raw(ROOT / "docs" / "configs" / "motor-imagery.toml", epochs)


def test_train_raw_gives_the_model_bci_train_gives_for_the_file():
    from bci.learn import train
    from bci.pipeline.config import load_config

    config = load_config(ROOT / "docs" / "configs" / "motor-imagery.toml")
    raw = mne.io.read_raw_fif(SAMPLE, preload=True, verbose="error")
    from_raw, data_raw, scores_raw = train_raw(config, raw, n_folds=3)
    from_file, data_file, scores_file = train(config, [SAMPLE], n_folds=3)
    assert (data_raw.X == data_file.X).all()
    assert scores_raw == scores_file
    assert from_raw.classes == from_file.classes
