"""The command line contract: --json is one object on stdout; errors are one line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import numpy as np
import pytest

from bci.stream import Inlet
from bci.stream.discovery import resolve_stream


def _bci(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bci.cli", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.realdata
def test_info_json_counts_events(shared_recordings):
    run = _bci("info", str(shared_recordings / "physionet-eegmmidb/S001/S001R04.edf"),
               "--json")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["events"] == {"T0": 15, "T1": 8, "T2": 7}
    stream = summary["streams"][0]
    assert stream["n_channels"] == 64 and stream["sfreq"] == 160.0
    assert summary["duration_s"] == pytest.approx(125.0, abs=0.1)


@pytest.mark.parametrize("args, needle", [
    (["info", "/no/such/file.edf"], "no such file"),
    (["info", "README.md"], "README.md"),
    (["live", "/no/such.toml", "--stream", "x"], "no such file"),
    (["replay", "--simulate", "blink"], "unknown paradigm"),
    (["replay", "x.edf", "--fault", "melt@1:2"], "--fault"),
    (["replay", "--simulate", "rest", "--chunk", "-3"], "--chunk"),
    (["replay", "--simulate", "rest", "--speed", "0"], "--speed"),
    (["replay", "--simulate", "rest", "--duration", "inf"], "--duration"),
    (["live", "docs/configs/alpha-eyes-closed.toml", "--stream", "x", "--duration", "nan"],
     "--duration"),
    (["neurofeedback", "docs/protocols/alpha.toml", "--stream", "x", "--duration", "-1"],
     "--duration"),
])
def test_errors_are_one_line_and_nonzero(args, needle):
    run = _bci(*args)
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and lines[0].startswith("bci: error:")
    assert "Traceback" not in run.stderr


def test_live_waits_then_says_which_streams_it_saw():
    run = _bci("live", "docs/configs/alpha-eyes-closed.toml", "--stream",
               f"absent-{uuid.uuid4().hex[:6]}", "--timeout", "1")
    assert run.returncode == 1
    assert "appeared within 1 s" in run.stderr and len(run.stderr.strip().splitlines()) <= 2


def test_replay_cli_streams_the_sample_recording_sample_exact(sample_recordings):
    """`bci replay` in its own process; an independent inlet gets every sample in order."""
    from bci.io import read_recording
    from bci.stream.units import round_trip, wire_scales

    path = sample_recordings / "sample-rest_raw.fif"
    raw = read_recording(path)
    name = f"cli-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen([sys.executable, "-m", "bci.cli", "replay", str(path),
                                "--name", name, "--speed", "10", "--chunk", "16",
                                "--wait", "20"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with Inlet(info=resolve_stream(name, timeout=30), timeout=10) as inlet:
            chunks, got = [], 0
            deadline = time.monotonic() + 30
            while got < raw.n_times and time.monotonic() < deadline:
                chunk = inlet.pull(timeout=0.5)
                if chunk is not None:
                    chunks.append(chunk)
                    got += chunk.n_times
            desc = inlet.description
    finally:
        process.terminate()
        process.communicate(timeout=20)
    data = np.concatenate([c.data for c in chunks], axis=1)
    expected = round_trip(raw.get_data(), wire_scales(desc.units, desc.ch_types), np.float32)
    assert np.array_equal(data, expected)  # --wait: from the very first sample
    assert desc.ch_names == tuple(raw.ch_names)
    assert float(desc.metadata["speed"]) == 10.0


def test_streams_json_lists_a_running_outlet(source_id):
    from bci.stream import Outlet, StreamDescription

    desc = StreamDescription.for_signal(f"listed-{source_id[:6]}", "EEG", 100.0, ["a"],
                                        ["eeg"], source_id=source_id)
    with Outlet(desc):
        run = _bci("streams", "--json", "--wait", "1.5")
    assert run.returncode == 0
    listed = json.loads(run.stdout)["streams"]
    assert any(s["source_id"] == source_id and s["n_channels"] == 1 for s in listed)
