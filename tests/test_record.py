"""`bci record`: exact round trips through XDF, crash safety under SIGKILL, clear errors.

Every test records real LSL streams on loopback (a replayed recording, its string marker
stream, an irregular double64 stream shaped like `bci live`'s decisions) and reads the
file back with pyxdf and bci.io, as a user would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import mne
import numpy as np
import pylsl
import pytest
import pyxdf

from bci.io import read_recording, read_streams, summarize
from bci.record import Recorder, RecordError, RecorderSink, recorder_for
from bci.replay import Player, ReplaySource
from bci.replay.files import sources_from_file
from bci.stream import Outlet, StreamDescription
from bci.stream.units import round_trip, to_wire, wire_scales
from tests.lsl_helpers import with_counter

ROOT = Path(__file__).resolve().parents[1]
SPEED = 2.0
DECISION_CHANNELS = ("class", "score_left", "score_right", "window_end", "latency_ms")
# Labels that exercise the string encoding: non-ASCII, XML specials, a tab, and one
# longer than 255 bytes (its length takes the 4-byte form of XDF's varlen integers).
ODD_LABELS = ("wörld <&> \"ü\"", "tab\there", "L" * 300)


def _wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


def _decision_outlet(name: str, source_id: str) -> Outlet:
    """An irregular double64 stream described as `bci live`'s decision stream."""
    return Outlet(StreamDescription(
        name=name, stype="Decisions", sfreq=0.0, ch_names=DECISION_CHANNELS,
        ch_types=("misc",) * 5, units=("",) * 5, channel_format="double64",
        source_id=source_id))


def _by_name(streams: list[dict]) -> dict[str, dict]:
    return {s["info"]["name"][0]: s for s in streams}


def _record_replay(sources: list[ReplaySource], path: Path, decisions: np.ndarray,
                   offsets: np.ndarray) -> tuple[str, float, np.ndarray]:
    """Replay ``sources`` and push ``decisions`` at t0 + ``offsets``, recording all three.

    Returns the signal stream's name, the replay's t0 and the decisions' timestamps.
    """
    base = uuid.uuid4().hex
    name = f"rec-{base[:10]}"
    player = Player(sources, name=name, source_id=base, speed=SPEED, lead=0.3)
    player.open_outlets()
    decision_outlet = _decision_outlet(f"{name}-decisions", f"{base}-decisions")
    n_signal = sources[0].n_times
    n_markers = len(sources[0].markers)
    recorder = Recorder(path, source_ids=[f"{base}-0", f"{base}-markers", f"{base}-decisions"],
                        timeout=10.0)
    try:
        recorder.start()
        player.start()
        stamps = player.t0 + offsets
        for values, stamp in zip(decisions, stamps, strict=True):
            # Push each decision when it is due, as a live decoder would.
            time.sleep(max(stamp - pylsl.local_clock(), 0.0))
            decision_outlet.push_sample(values, stamp)
        assert player.wait(timeout=n_signal / sources[0].sfreq / SPEED + 10)
        expected = {name: n_signal, f"{name}-markers": n_markers,
                    f"{name}-decisions": len(decisions)}
        _wait_until(lambda: recorder.counts == expected, 10.0,
                    f"every sample to be recorded (have {recorder.counts}, want {expected})")
    finally:
        recorder.stop()  # closes its inlets before the outlets go
        player.stop()
        decision_outlet.close()
    return name, player.t0, stamps


@pytest.mark.realdata
def test_record_replay_record_round_trips_exactly(shared_recordings, tmp_path):
    """EDF -> replay -> XDF -> replay -> XDF: same float32 samples, markers, decisions."""
    raw = read_recording(shared_recordings / "physionet-eegmmidb/S001/S001R04.edf")
    raw = with_counter(raw.crop(tmax=8.0, include_tmax=False))
    raw.annotations.append([1.0, 2.5, 5.5], 0.0, list(ODD_LABELS))
    source = ReplaySource.from_raw(raw, "S001R04")
    labels = [label for _, label in source.markers]
    assert {"T0", "T2", *ODD_LABELS} <= set(labels)
    rng = np.random.default_rng(7)
    decisions = rng.standard_normal((12, 5))
    decisions[0, 1:3] = [np.nan, np.inf]
    decisions[1, 0] = 5e-324  # the smallest subnormal: a float64 that float32 would lose
    offsets = np.sort(rng.uniform(0.1, 3.5, 12))

    first = tmp_path / "first.xdf"
    name1, t0, stamps1 = _record_replay([source], first, decisions, offsets)
    streams = _by_name(pyxdf.load_xdf(str(first), synchronize_clocks=False,
                                      dejitter_timestamps=False)[0])
    signal1 = streams[name1]
    assert signal1["info"]["channel_format"] == ["float32"]
    wire = to_wire(source.data, wire_scales(Player([source]).descriptions[0].units,
                                            source.ch_types), np.float32)
    assert np.array_equal(signal1["time_series"], wire)  # the float32 µV, bit for bit
    assert np.array_equal(signal1["time_series"][:, -1], np.arange(raw.n_times))
    expected_times = t0 + np.arange(raw.n_times) / raw.info["sfreq"] / SPEED
    np.testing.assert_allclose(signal1["time_stamps"], expected_times, rtol=0, atol=1e-9)
    markers1 = streams[f"{name1}-markers"]
    assert [m[0] for m in markers1["time_series"]] == labels
    np.testing.assert_allclose(markers1["time_stamps"],
                               [t0 + onset / SPEED for onset, _ in source.markers], atol=1e-9)
    decisions1 = streams[f"{name1}-decisions"]
    assert decisions1["info"]["channel_format"] == ["double64"]
    assert decisions1["info"]["nominal_srate"] == ["0.000000000000000"]
    assert np.array_equal(decisions1["time_series"], decisions, equal_nan=True)
    assert np.array_equal(decisions1["time_stamps"], stamps1)  # source stamps, untouched
    assert "footer" in signal1 and signal1["footer"]["info"]["sample_count"] == [
        str(raw.n_times)]

    # bci.io sees the recording as the original, after the float32 µV wire.
    (read1,) = read_streams(first)
    assert read1.stype == "EEG" and read1.raw.ch_names == raw.ch_names
    assert np.array_equal(read1.raw.get_data(), round_trip(source.data, wire_scales(
        Player([source]).descriptions[0].units, source.ch_types), np.float32))
    assert list(read1.raw.annotations.description) == labels

    # Replay the XDF, with the decisions as read back, and record again.
    second = tmp_path / "second.xdf"
    replayed = sources_from_file(first)
    assert len(replayed) == 1  # the decision stream is not a signal to replay
    name2, _, _ = _record_replay(replayed, second, decisions1["time_series"], offsets)
    streams2 = _by_name(pyxdf.load_xdf(str(second), synchronize_clocks=False,
                                       dejitter_timestamps=False)[0])
    assert np.array_equal(streams2[name2]["time_series"], signal1["time_series"])
    assert streams2[f"{name2}-markers"]["time_series"] == markers1["time_series"]
    # Each marker still sits on the same sample of the signal.
    positions = []
    for s, n in ((streams, name1), (streams2, name2)):
        times = s[n]["time_stamps"]
        positions.append(np.round((s[f"{n}-markers"]["time_stamps"] - times[0])
                                  * raw.info["sfreq"] * SPEED).astype(int))
    assert np.array_equal(positions[0], positions[1])
    assert np.array_equal(streams2[f"{name2}-decisions"]["time_series"], decisions,
                          equal_nan=True)
    (read2,) = read_streams(second)
    assert np.array_equal(read2.raw.get_data(), read1.raw.get_data())
    assert list(read2.raw.annotations.description) == labels
    np.testing.assert_allclose(read2.raw.annotations.onset, read1.raw.annotations.onset,
                               atol=0.5 / raw.info["sfreq"])


def _record_command() -> list[str]:
    """`bci record`, in its own process."""
    return [sys.executable, "-m", "bci.cli", "record"]


def _lines_of(stream, into: list[str]) -> threading.Thread:
    thread = threading.Thread(target=lambda: into.extend(stream), daemon=True)
    thread.start()
    return thread


def test_sigkill_leaves_a_readable_file_missing_at_most_a_second(sample_recordings,
                                                                  tmp_path):
    """Kill -9 the recorder N s into a replay: >= N - 1 s of every stream is in the file."""
    n_seconds = 4.0
    raw = mne.io.read_raw_fif(sample_recordings / "sample-rest_raw.fif", verbose="error")
    raw = with_counter(raw.crop(tmax=12.0, include_tmax=False))
    ticks = np.arange(0.25, 12.0, 0.25)
    raw.set_annotations(mne.Annotations(ticks, 0.0, [f"tick{k}" for k in range(ticks.size)],
                                        orig_time=raw.annotations.orig_time))
    source = ReplaySource.from_raw(raw, "rest")
    sfreq = raw.info["sfreq"]
    base = uuid.uuid4().hex
    name = f"kill-{base[:10]}"
    player = Player([source], name=name, source_id=base, lead=0.3)
    player.open_outlets()
    decision_outlet = _decision_outlet(f"{name}-decisions", f"{base}-decisions")
    path = tmp_path / "killed.xdf"
    command = [*_record_command(), "--out", str(path), "--source-id", f"{base}-0",
               "--source-id", f"{base}-markers", "--source-id", f"{base}-decisions"]
    process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr: list[str] = []
    reader = _lines_of(process.stderr, stderr)
    pushed = []
    try:
        _wait_until(lambda: any("recording to" in line for line in stderr)
                    or process.poll() is not None, 30.0, "the recorder to start")
        assert process.poll() is None, "".join(stderr)
        player.start()
        kill_at = player.t0 + n_seconds
        k = 0
        while pylsl.local_clock() < kill_at:
            stamp = pylsl.local_clock()
            decision_outlet.push_sample([k, 0.25, 0.75, stamp, 1.5], stamp)
            pushed.append(stamp)
            k += 1
            time.sleep(0.1)  # paces the decisions (about 10 per second), waits for nothing
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(timeout=5)
        player.stop()
        decision_outlet.close()
    assert process.returncode == -signal.SIGKILL

    kept = player.t0 + n_seconds - 1.0  # everything due before this must be in the file
    streams = _by_name(pyxdf.load_xdf(str(path))[0])
    signal_ = streams[name]
    counter = signal_["time_series"][:, -1]
    assert np.array_equal(counter, np.arange(counter.size))  # nothing lost or doubled
    assert counter.size >= (n_seconds - 1.0) * sfreq
    assert "footer" not in signal_  # really killed: no clean end
    markers = streams[f"{name}-markers"]
    due = [f"tick{k}" for k, t in enumerate(ticks) if player.t0 + t <= kept]
    assert [m[0] for m in markers["time_series"]][:len(due)] == due and len(due) >= 10
    decisions = streams[f"{name}-decisions"]
    n_due = sum(t <= kept for t in pushed)
    assert decisions["time_series"].shape[0] >= n_due >= 20
    np.testing.assert_array_equal(decisions["time_series"][:n_due, 0], np.arange(n_due))

    recovered = read_recording(path)
    assert recovered.n_times == counter.size
    assert np.array_equal(recovered.get_data(picks="counter")[0], counter)
    summary = summarize(path)
    assert summary["streams"][0]["duration_s"] >= n_seconds - 1.0
    assert summary["events"]["tick0"] == 1


def test_sigterm_ends_the_recording_cleanly(tmp_path, source_id):
    """SIGTERM (and so Ctrl-C) stops `bci record` with status 0 and a complete file."""
    outlet = _decision_outlet(f"term-{source_id[:10]}", source_id)
    path = tmp_path / "term.xdf"
    process = subprocess.Popen([*_record_command(), "--out", str(path), "--source-id",
                                source_id], cwd=ROOT, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr: list[str] = []
    reader = _lines_of(process.stderr, stderr)
    try:
        _wait_until(lambda: any("recording to" in line for line in stderr)
                    or process.poll() is not None, 30.0, "the recorder to start")
        for k in range(5):
            outlet.push_sample([k, 0.0, 1.0, 0.0, 0.0], pylsl.local_clock())
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(timeout=5)
        outlet.close()
    assert process.returncode == 0, "".join(stderr)
    assert "Traceback" not in "".join(stderr)
    (stream,) = pyxdf.load_xdf(str(path))[0]
    assert stream["footer"]["info"]["sample_count"] == [str(len(stream["time_stamps"]))]


def _chunks(data: bytes) -> list[tuple[int, int, int | None]]:
    """(offset, tag, stream id) of every complete chunk of an XDF file's bytes."""
    out, pos = [], 4
    while pos < len(data):
        width = data[pos]
        length = int.from_bytes(data[pos + 1:pos + 1 + width], "little")
        start = pos + 1 + width
        if start + length > len(data):
            break
        tag = int.from_bytes(data[start:start + 2], "little")
        stream = int.from_bytes(data[start + 2:start + 6], "little") if tag in (2, 3, 4, 6) \
            else None
        out.append((pos, tag, stream))
        pos = start + length
    return out


def test_clock_offsets_boundaries_and_a_file_cut_mid_chunk(monkeypatch, tmp_path,
                                                          source_id):
    """Offsets and boundaries keep coming; a file cut inside a chunk reads up to it."""
    import bci.record.recorder as recorder_module

    monkeypatch.setattr(recorder_module, "CLOCK_INTERVAL", 0.3)
    monkeypatch.setattr(recorder_module, "BOUNDARY_INTERVAL", 0.5)
    n = 400
    data = np.vstack([np.sin(np.arange(n) / 5.0) * 1e-5, np.arange(n)])
    source = ReplaySource("cut", "EEG", data, 200.0, ("Cz", "counter"), ("eeg", "misc"),
                          markers=((0.5, "a"), (1.0, "b")))
    name = f"cut-{source_id[:10]}"
    path = tmp_path / "full.xdf"
    player = Player([source], name=name, source_id=source_id, lead=0.3)
    player.open_outlets()
    recorder = Recorder(path, source_ids=[f"{source_id}-0", f"{source_id}-markers"])
    try:
        recorder.start()
        player.start()
        _wait_until(lambda: recorder.counts == {name: n, f"{name}-markers": 2}, 15.0,
                    "every sample")
    finally:
        recorder.stop()
        player.stop()
    streams = _by_name(pyxdf.load_xdf(str(path))[0])
    for stream in streams.values():
        assert len(stream["clock_times"]) >= 4  # the first at start, then every 0.3 s
        assert np.all(np.abs(stream["clock_values"]) < 0.01)  # loopback: one clock
    data_ = path.read_bytes()
    chunks = _chunks(data_)
    assert sum(tag == 5 for _, tag, _ in chunks) >= 2
    assert sorted(s for _, tag, s in chunks if tag == 6) == [1, 2]  # footers at the end

    # Cut the file in the middle of the signal's last samples chunk.
    offsets = [pos for pos, tag, stream in chunks if tag == 3 and stream == 1]
    last, after = offsets[-1], next(pos for pos, _, _ in chunks if pos > offsets[-1])
    cut = tmp_path / "cut.xdf"
    cut.write_bytes(data_[:(last + after) // 2])
    assert len(offsets) >= 4
    counter = _by_name(pyxdf.load_xdf(str(cut))[0])[name]["time_series"][:, -1]
    # Exactly the samples of the complete chunks: nothing half-read, nothing invented.
    count_at = last + 1 + data_[last] + 6  # past length, tag and stream id
    in_last_chunk = int.from_bytes(data_[count_at + 1:count_at + 1 + data_[count_at]],
                                   "little")
    assert counter.size == n - in_last_chunk and in_last_chunk > 0
    assert np.array_equal(counter, np.arange(counter.size))
    assert read_recording(cut).n_times == counter.size


def test_stop_writes_what_has_arrived_since_the_last_drain(monkeypatch, tmp_path,
                                                          source_id):
    """Samples waiting in the inlets when stop() is called still reach the file."""
    import bci.record.recorder as recorder_module

    monkeypatch.setattr(recorder_module, "DRAIN_INTERVAL", 60.0)  # only stop() drains
    outlet = _decision_outlet(f"stop-{source_id[:10]}", source_id)
    recorder = Recorder(tmp_path / "stop.xdf", source_ids=[source_id])
    values = np.arange(35.0).reshape(7, 5)
    try:
        recorder.start()
        for row in values:
            outlet.push_sample(row, pylsl.local_clock())
        # liblsl's queue length for the recorder's inlet: wait until all seven are there.
        inlet = recorder._tracks[0].inlet
        _wait_until(lambda: inlet.samples_available() >= 7, 10.0, "the samples to arrive")
        assert recorder.counts == {outlet.description.name: 0}  # nothing drained yet
    finally:
        recorder.stop()
        outlet.close()
    assert recorder.counts == {outlet.description.name: 7}
    assert recorder.n_bytes == (tmp_path / "stop.xdf").stat().st_size
    (stream,) = pyxdf.load_xdf(str(tmp_path / "stop.xdf"))[0]
    assert np.array_equal(stream["time_series"], values)


def _run_record(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([*_record_command(), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def test_unwritable_or_existing_output_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    existing = tmp_path / "existing.xdf"
    existing.write_bytes(b"XDF:")
    for out, expected in ((blocker / "x.xdf", "is a file, not a folder"),
                          (existing, "exists"), (tmp_path, "folder")):
        # No stream needed: the file is checked before waiting for any.
        result = _run_record(["--stream", "bci-test-never", "--out", str(out),
                              "--timeout", "30"])
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("bci: error: "), result.stderr
        assert expected in lines[0] and str(out) in lines[0]
    assert existing.read_bytes() == b"XDF:"  # never overwritten without --overwrite


def test_missing_stream_is_a_one_line_error_listing_what_is_visible(tmp_path, source_id):
    visible = Outlet(StreamDescription.for_markers(f"bci-test-visible-{source_id[:8]}",
                                                   source_id=source_id))
    path = tmp_path / "never.xdf"
    try:
        result = _run_record(["--stream", f"bci-test-missing-{source_id}", "--out",
                              str(path), "--timeout", "1"])
    finally:
        visible.close()
    assert result.returncode == 1
    # A progress line ("waiting for ...") may precede it; the error is one line, last.
    errors = [line for line in result.stderr.splitlines() if line.startswith("bci: error: ")]
    assert len(errors) == 1 and result.stderr.strip().endswith(errors[0]), result.stderr
    assert "Traceback" not in result.stderr
    assert f"bci-test-missing-{source_id}" in errors[0]
    assert f"bci-test-visible-{source_id[:8]}" in errors[0]  # what the user could record
    assert not path.exists()  # no empty file left behind


def test_recorder_errors_are_bci_errors(tmp_path):
    from bci.errors import BciError

    (tmp_path / "x.xdf").write_bytes(b"")
    with pytest.raises(RecordError, match="exists") as caught:
        Recorder(tmp_path / "x.xdf", ["anything"]).start()
    assert isinstance(caught.value, BciError)


@pytest.mark.realdata
@pytest.mark.filterwarnings("ignore:Limited 1 annotation")  # MNE reading S001R02.edf
def test_live_session_recorded_in_one_go(shared_recordings, tmp_path):
    """What `bci live --record` does: signal, markers and every decision, in one file."""
    from bci.outputs import Collector
    from bci.pipeline.config import load_config
    from bci.runtime import open_live

    raw = read_recording(shared_recordings / "physionet-eegmmidb/S001/S001R02.edf")
    raw = with_counter(raw.crop(tmax=8.0, include_tmax=False))
    raw.set_annotations(mne.Annotations([1.0, 3.0], 0.0, ["start", "stop"],
                                        orig_time=raw.annotations.orig_time))
    base = uuid.uuid4().hex
    name = f"live-{base[:10]}"
    player = Player([ReplaySource.from_raw(raw, name)], source_id=base, speed=SPEED,
                    lead=0.3)
    player.open_outlets()
    collector = Collector()
    setup = open_live(load_config(ROOT / "docs/configs/alpha-eyes-closed.toml"), name,
                      markers=f"{name}-markers", out_stream=f"{name}-decisions",
                      timeout=10.0, sinks=[collector])
    recorder = recorder_for(tmp_path / "live.xdf", [setup.inlet.description,
                                                     setup.marker_inlet.description,
                                                     setup.outlet.description])
    setup.session.sinks.append(RecorderSink(recorder))
    try:
        setup.session.start()  # opens its sinks: the recorder subscribes first
        player.start()
        assert player.wait(timeout=raw.n_times / raw.info["sfreq"] / SPEED + 10)
        _wait_until(lambda: recorder.counts[name] == raw.n_times, 10.0, "the signal")
        setup.session.stop()
        n_decisions = len(collector.decisions)
        _wait_until(lambda: recorder.counts[f"{name}-decisions"] == n_decisions, 10.0,
                    "the decisions")
    finally:
        setup.session.stop()
        setup.close()  # closes the recorder too (a sink)
        player.stop()
    streams = _by_name(pyxdf.load_xdf(str(tmp_path / "live.xdf"),
                                      synchronize_clocks=False)[0])
    assert set(streams) == {name, f"{name}-markers", f"{name}-decisions"}
    assert np.array_equal(streams[name]["time_series"][:, -1], np.arange(raw.n_times))
    assert [m[0] for m in streams[f"{name}-markers"]["time_series"]] == ["start", "stop"]
    recorded = streams[f"{name}-decisions"]["time_series"]
    assert n_decisions >= 10 and recorded.shape[0] == n_decisions
    live = collector.decisions
    assert np.array_equal(recorded[:, 0], [d.value for d in live])
    assert np.array_equal(recorded[:, -2], [d.window_end for d in live])
