"""`bci live --print` and `bci evaluate --print` line up trial by trial, from their output.

A user compares the two by eye; these tests compare them using only what the two
commands print: the trial number (the file's marker the decision belongs to), the time
into the file, the class and the scores. The live session connects after the replay has
begun, so it must also say how many of the file's markers it missed.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pylsl
import pytest

from bci.replay import Player, ReplaySource
from bci.stream import MarkerInlet
from bci.stream.discovery import resolve_stream
from bci.stream.file_clock import FileClock, cue_label, parse_cue

SPEED = 10.0
ANCHOR = re.compile(r"^# stream time (\S+) is file time (\S+) \(marker (\d+), '[^']*'\); "
                    r"(?:(\d+) marker\(s\) of the file passed|no marker of the file passed)")


def _rows(text: str) -> dict[int, list[str]]:
    """Decision lines (after the column header) by trial number."""
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("#  trial"))
    rows: dict[int, list[str]] = {}
    for line in lines[header + 1:]:
        fields = line.split()
        if line.startswith("#") or len(fields) != 7 or not fields[0].isdigit():
            continue
        assert int(fields[0]) not in rows, f"two decisions for trial {fields[0]}"
        rows[int(fields[0])] = fields
    return rows


def _train(sample: Path, tmp_path: Path) -> Path:
    from bci.io import read_recording
    from bci.learn.training import train_sources
    from bci.pipeline.config import load_config
    from bci.pipeline.model import save_model

    raw = read_recording(sample / "sample-motor-imagery_raw.fif")
    config = load_config(sample / "demo-motor-imagery.toml")
    model, _, _ = train_sources(config, [ReplaySource.from_raw(raw, "train")], n_folds=0)
    return save_model(model, tmp_path / "mi.skops")


def test_live_print_matches_evaluate_print_trial_by_trial(sample_recordings, tmp_path):
    from bci.io import read_recording

    path = sample_recordings / "sample-motor-imagery_raw.fif"
    model = _train(sample_recordings, tmp_path)
    name = f"mi-{uuid.uuid4().hex[:8]}"
    source = ReplaySource.from_raw(read_recording(path), name)
    live = subprocess.Popen(
        [sys.executable, "-m", "bci.cli", "live", str(model), "--stream", name,
         "--print", "--timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Start the replay once live is about to look for it: it connects while the replay
    # is under way (after importing its decoders), so it misses the first cues.
    assert "waiting for stream" in live.stderr.readline()
    player = Player([source], speed=SPEED, lead=0.0).start()
    seconds = source.n_times / source.sfreq / SPEED
    try:
        # Its decision stream appears once its inlets are open: by then the replay had
        # pushed at least as many markers as live will say it missed.
        resolve_stream(f"{name}-decisions", timeout=seconds)
        pushed_at_connection = player.n_markers
        # Offline, once live is running (two cores: do not slow its start-up).
        evaluate = subprocess.Popen(
            [sys.executable, "-m", "bci.cli", "evaluate", str(model), "--data", str(path),
             "--print"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        player.wait(timeout=seconds + 20)
        time.sleep(1.0)  # the last decision is made at the end of the file
    finally:
        player.stop()
        live.terminate()
    live_out, live_err = live.communicate(timeout=30)
    eval_out, eval_err = evaluate.communicate(timeout=120)
    assert evaluate.returncode == 0, eval_err

    offline = _rows(eval_out)
    assert len(offline) == 40  # one per cue: T1 ×20, T2 ×20
    anchors = [ANCHOR.match(line) for line in live_out.splitlines()]
    anchors = [a for a in anchors if a]
    assert len(anchors) == 1, f"no line saying what was missed:\n{live_out}\n{live_err}"
    missed = int(anchors[0].group(4) or 0)
    assert 1 <= missed <= pushed_at_connection
    assert int(anchors[0].group(3)) == missed + 1
    # Where live came in: its first sample, in stream time and in file time.
    assert sum(line.startswith("# first sample at stream time ")
               for line in live_out.splitlines()) == 1
    came_in = float(re.search(r"first sample was file time (\S+)", live_out).group(1))
    assert 0.0 < came_in <= float(anchors[0].group(2))

    online = _rows(live_out)
    # Every cue after the connection is decided, and none before it.
    assert sorted(online) == [t for t in sorted(offline) if t > missed], live_out
    assert len(online) >= 3, live_out
    for trial, row in online.items():
        ref = offline[trial]
        assert row[3] == ref[3], f"trial {trial}: class {row[3]} live, {ref[3]} offline"
        assert row[6] == ref[6], f"trial {trial}: scores {row[6]} live, {ref[6]} offline"
        assert row[4] == ref[4]  # the true class
        # File time from stream time: equal up to the two inlets' clock corrections.
        assert abs(float(row[1]) - float(ref[1])) < 5e-3, (trial, row, ref)
        assert ref[2] == "-" and float(row[2]) > 0  # stream time only where there is one


def test_replay_markers_carry_their_number_and_file_time(sample_recordings, source_id):
    """A receiver gets the file's markers as they are labelled, each with its place."""
    from bci.io import read_recording

    raw = read_recording(sample_recordings / "sample-motor-imagery_raw.fif")
    raw.crop(tmax=20.0)
    source = ReplaySource.from_raw(raw, f"cues-{uuid.uuid4().hex[:8]}")
    player = Player([source], speed=20.0, source_id=source_id, lead=0.3)
    player.open_outlets()
    with MarkerInlet(player.marker_description.name, timeout=10) as inlet:
        player.start()
        received = []
        deadline = time.monotonic() + 10
        while len(received) < len(source.markers) and time.monotonic() < deadline:
            received.extend(inlet.pull(timeout=0.2))
        player.stop()
    assert [m.label for m in received] == [label for _, label in source.markers]
    assert [m.number for m in received] == list(range(1, len(source.markers) + 1))
    assert [m.file_time for m in received] == [onset for onset, _ in source.markers]
    clock = FileClock(20.0)
    for m in received:
        clock.add(m)
    assert clock.missed == 0
    # Stream time maps back to file time: a later marker's stamp is its onset.
    k = len(received) - 1
    assert k >= 4
    assert clock.file_time(received[k].time) == pytest.approx(source.markers[k][0], abs=1e-6)
    assert clock.trial(received[k].time + 0.01) == k + 1
    assert clock.trial(received[k].time - 0.01) == k


def test_cue_labels_round_trip_and_other_labels_are_not_cues():
    assert parse_cue(cue_label(12, 14.99)) == (12, 14.99)
    assert parse_cue("T1") is None
    assert parse_cue("bci:loop") is None
    assert parse_cue("bci:cue x y") is None


def test_a_headset_marker_gets_no_file_time_and_trials_count_as_received(source_id):
    """No replay: file time stays unknown and nothing claims how many cues were missed."""
    info = pylsl.StreamInfo(f"hs-{source_id[:8]}", "Markers", 1, 0, pylsl.cf_string,
                            source_id)
    outlet = pylsl.StreamOutlet(info)
    with MarkerInlet(info.name(), timeout=10) as inlet:
        assert outlet.wait_for_consumers(5.0)
        outlet.push_sample(["left"], pylsl.local_clock())
        markers = []
        deadline = time.monotonic() + 5
        while not markers and time.monotonic() < deadline:
            markers = inlet.pull(timeout=0.2)
    del outlet
    assert markers[0].number is None and markers[0].file_time is None
    clock = FileClock()
    clock.add(markers[0])
    assert not clock.known and clock.missed is None
    assert clock.trial(markers[0].time) == 1


def test_evaluate_json_numbers_each_decision_by_the_marker_that_cued_it(sample_recordings,
                                                                       tmp_path):
    """`bci evaluate --json` rows keep `time` and add `trial`: the cue's marker number."""
    from bci.io import read_recording
    from bci.learn.evaluation import evaluate_source
    from bci.pipeline.model import load_model

    model = load_model(_train(sample_recordings, tmp_path))
    raw = read_recording(sample_recordings / "sample-motor-imagery_raw.fif")
    source = ReplaySource.from_raw(raw, "mi")
    rows = evaluate_source(model, source)["decisions"]
    assert len(rows) == 40
    labels = {"T1": "left", "T2": "right"}
    for row in rows:
        onset, label = source.markers[row["trial"] - 1]
        assert labels[label] == row["true"]  # the marker of that number is its cue
        assert row["time"] == pytest.approx(onset + 2.5 - 1 / source.sfreq, abs=1e-9)
