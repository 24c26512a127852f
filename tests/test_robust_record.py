"""The recorder under faults: a replaced source, a full disk, fsync, bad arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import mne
import numpy as np
import pytest
import pyxdf

from bci.errors import BciError
from bci.io import read_streams
from bci.record import recorder as recorder_module
from bci.record.recorder import Recorder
from bci.record.xdf_writer import RecordError
from bci.replay.player import Player
from bci.replay.source import ReplaySource
from tests.lsl_helpers import with_counter

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def raw(sample_recordings):
    raw = mne.io.read_raw_fif(sample_recordings / "sample-motor-imagery_raw.fif",
                              verbose="error").load_data()
    raw.pick(raw.ch_names[:4]).crop(0, 12)
    return with_counter(raw)


def _player(raw, name) -> Player:
    return Player([ReplaySource.from_raw(raw, name)], name=name, source_id=uuid.uuid4().hex)


def _wait_until(condition, timeout: float, what: str) -> float:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)  # the recorder works on its own thread; this only waits
    return time.monotonic()


def test_replaced_source_continues_in_the_same_file(raw, unique_name, tmp_path):
    """Gone (said at once), a mismatched source refused, a new source_id recorded on."""
    path = tmp_path / "replaced.xdf"
    narrow = raw.copy().pick(raw.ch_names[1:])
    first = _player(raw, unique_name).start()
    recorder = Recorder(path, [unique_name], timeout=5)
    players = [first]
    try:
        recorder.start()
        _wait_until(lambda: recorder.counts[unique_name] >= 100, 10, "the first part")
        first.stop()
        stopped = time.monotonic()
        _wait_until(lambda: recorder.stats[0].lost, 5, "the source to be noticed gone")
        assert time.monotonic() - stopped < 2.0  # at once, not at the next progress line
        players.append(_player(narrow, unique_name).start())
        events = []
        _wait_until(lambda: events.extend(recorder.take_events()) or
                    any(e.kind == "source_refused" for e in events), 5, "the refusal")
        n_before = recorder.counts[unique_name]
        second = _player(raw, unique_name).start()
        players.append(second)
        _wait_until(lambda: recorder.counts[unique_name] >= n_before + 100, 10,
                    "the second part")
        events.extend(recorder.take_events())
    finally:
        recorder.stop()
        for player in players:
            player.stop()
    assert [e.kind for e in events] == ["source_lost", "source_refused", "source_replaced"]
    assert events[2].details["source_id"] == second.descriptions[0].source_id
    assert recorder.stats[0].n_outages == 1 and not recorder.failed
    (stream,) = pyxdf.load_xdf(str(path), dejitter_timestamps=False)[0]
    counter = stream["time_series"][:, -1]
    restart = int(np.flatnonzero(np.diff(counter) < 0)[0]) + 1  # the new replay: from 0
    # Both parts whole: not a sample dropped, doubled or reordered in either.
    assert np.all(np.diff(counter[:restart]) == 1) and np.all(np.diff(counter[restart:]) == 1)
    assert counter[restart:].size >= 100
    stamps = stream["time_stamps"]
    steps = np.diff(stamps)
    # The outage is one gap in the timestamps, and nowhere else is there one.
    assert steps[restart - 1] > 1.0 and np.all(np.delete(steps, restart - 1) < 0.05)
    # A clock offset measured on the new connection, before its samples.
    offset_times = stream["clock_times"]
    assert len(offset_times) >= 2 and len(stream["footer"]) > 0


_DISK_FULL_SCRIPT = r"""
import json, resource, signal, sys, time, uuid
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
import numpy as np, pylsl
from bci.record.recorder import Recorder
name, path, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
outlet = pylsl.StreamOutlet(pylsl.StreamInfo(name, "EEG", 8, 500, pylsl.cf_float32,
                                             uuid.uuid4().hex))
recorder = Recorder(path, [name], timeout=5).start()
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
k, start = 0, time.monotonic()
while not recorder.failed and time.monotonic() - start < 20:
    values = (k + np.arange(50, dtype=np.float32))[:, None].repeat(8, axis=1)
    outlet.push_chunk(values)
    k += 50
    time.sleep(0.05)  # the source's pace
failed, message = recorder.failed, str(recorder.error)
kinds = [e.kind for e in recorder.take_events()]
try:
    recorder.stop()
    stop_error = ""
except Exception as err:
    stop_error = f"{type(err).__name__}: {err}"
print(json.dumps({"failed": failed, "message": message, "kinds": kinds,
                  "stop_error": stop_error, "n_bytes": recorder.n_bytes, "pushed": k}))
"""


def test_full_disk_is_one_line_and_leaves_a_readable_file(tmp_path, unique_name):
    """A write limit hit mid-recording: failed is readable, the file ends on a chunk."""
    path = tmp_path / "full.xdf"
    limit = 40_000
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", _DISK_FULL_SCRIPT, unique_name, str(path),
                           str(limit)], capture_output=True, text=True, timeout=60, env=env,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["failed"] and result["kinds"] == ["record_failed"]
    message = result["message"]
    assert "\n" not in message and "file too large" in message and "free disk space" in message
    assert result["stop_error"] == f"RecordError: {message}"  # stop() re-raises it, once
    size = path.stat().st_size
    assert size <= limit and size == result["n_bytes"]
    assert f"up to byte {size}" in message
    # Cut back to a chunk boundary: pyxdf reads it as it is, bci.io too.
    (stream,) = pyxdf.load_xdf(str(path))[0]
    counter = stream["time_series"][:, 0]
    assert counter.size > 0 and np.array_equal(counter, np.arange(counter.size))
    (recorded,) = read_streams(path)
    assert recorded.raw.n_times == counter.size
    assert "cut inside" not in recorded.recovered


def test_fsync_interval_bounds_what_a_power_cut_can_lose(monkeypatch, tmp_path, unique_name):
    """fsync every 0.2 s: about one per interval while recording, not only at stop."""
    import pylsl

    outlet = pylsl.StreamOutlet(pylsl.StreamInfo(unique_name, "EEG", 2, 100,
                                                 pylsl.cf_float32, uuid.uuid4().hex))
    calls = []
    real_fsync = os.fsync
    monkeypatch.setattr(recorder_module.XdfWriter, "sync",
                        lambda self: calls.append(time.monotonic()) or real_fsync(self._fd))
    with Recorder(tmp_path / "sync.xdf", [unique_name], timeout=5, fsync=0.2):
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            outlet.push_chunk(np.zeros((5, 2), dtype=np.float32))
            time.sleep(0.05)
    gaps = np.diff(calls)
    assert len(calls) >= 5 and gaps.max() < 0.2 + 2 * recorder_module.DRAIN_INTERVAL
    del outlet


@pytest.mark.parametrize("kwargs", [{"fsync": float("inf")}, {"fsync": -1.0},
                                    {"timeout": float("nan")}])
def test_arguments_that_would_lose_data_are_refused(tmp_path, kwargs):
    with pytest.raises(BciError) as excinfo:
        Recorder(tmp_path / "x.xdf", ["x"], **kwargs)
    assert isinstance(excinfo.value, RecordError) and "\n" not in str(excinfo.value)
    assert not (tmp_path / "x.xdf").exists()
