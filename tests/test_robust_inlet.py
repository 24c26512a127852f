"""A replaced source, a refused one, and a jumping clock, on real LSL loopback streams.

The source is a real recording (the shipped motor-imagery sample) with a sample counter
channel, replayed by :class:`bci.replay.Player` in real time.
"""

from __future__ import annotations

import logging
import time
import uuid

import mne
import numpy as np
import pylsl
import pytest

from bci.replay.faults import Fault
from bci.replay.player import Player
from bci.replay.source import ReplaySource
from bci.stream import Inlet, MarkerInlet, Outlet, StreamDescription
from bci.stream.discovery import resolve_stream
from tests.lsl_helpers import with_counter


@pytest.fixture(scope="module")
def raw(sample_recordings):
    """Four EEG channels (plus the counter) of the shipped sample, 12 s."""
    raw = mne.io.read_raw_fif(sample_recordings / "sample-motor-imagery_raw.fif",
                              verbose="error").load_data()
    raw.pick(raw.ch_names[:4]).crop(0, 12)
    return with_counter(raw)


def _player(raw, name, **kwargs) -> Player:
    return Player([ReplaySource.from_raw(raw, name)], name=name,
                  source_id=uuid.uuid4().hex, **kwargs)


def _pull_until(inlet, predicate, timeout):
    """Pull chunks until ``predicate(chunk)`` holds: (that chunk, all chunks, time)."""
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = inlet.pull(timeout=0.05)
        if chunk is not None:
            chunks.append(chunk)
            if predicate(chunk):
                return chunk, chunks, pylsl.local_clock()
    return None, chunks, None


def test_replaced_source_is_followed_by_name_within_a_second(raw, unique_name):
    """A source restarted under a new source_id resumes within 1 s, one outage counted."""
    counter = raw.ch_names.index("counter")
    first = _player(raw, unique_name).start()
    try:
        with Inlet(unique_name, timeout=5) as inlet:
            _, before, _ = _pull_until(inlet, lambda c: c.data[counter, -1] >= 100, 5)
            assert before, "the first source never sent"
            first.stop()
            # Nothing arrives for a while: the outlet is gone.
            _pull_until(inlet, lambda c: False, 0.6)
            last_old = inlet._last_time
            second = _player(raw, unique_name).start()
            try:
                # The new replay's counter starts again at 0.
                chunk, _, resumed = _pull_until(
                    inlet, lambda c: c.times[0] > last_old + 0.5, 5)
                assert chunk is not None, "the replaced source was never picked up"
                due = second.t0 + chunk.data[counter, 0] / raw.info["sfreq"]
                assert resumed - second.t0 < 1.0, "took longer than 1 s to resume"
                _, after, _ = _pull_until(inlet, lambda c: c.data[counter, -1] >= 100, 5)
                new = np.concatenate([chunk.data[counter]] + [c.data[counter] for c in after])
                # Not one sample of the new source dropped, doubled or reordered.
                assert np.array_equal(np.diff(new), np.ones(new.size - 1))
                events = inlet.take_events()
            finally:
                second.stop()
    finally:
        first.stop()
    replaced = [e for e in events if e.kind == "source_replaced"]
    assert len(replaced) == 1 and inlet.n_outages == 1
    assert replaced[0].details["source_id"] == second.descriptions[0].source_id
    outage = replaced[0].details["outage_s"]
    assert outage == pytest.approx(chunk.times[0] - last_old - 1 / raw.info["sfreq"],
                                   abs=1e-6)
    assert outage > 0.6
    assert abs(chunk.times[0] - due) < 0.05
    # The outage is one gap of that length: the pipeline restarts its filters there.
    big = [g for g in inlet.gaps if g.duration > 0.5]
    assert len(big) == 1 and big[0].duration == pytest.approx(outage, abs=1e-6)
    assert all(e.kind in ("source_lost", "source_replaced") for e in events)


def test_source_with_other_channels_is_refused_then_the_right_one_taken(raw, unique_name):
    """A comeback with a different channel count is refused, reported, and not decoded."""
    narrow = raw.copy().pick(raw.ch_names[1:])  # one channel fewer
    first = _player(raw, unique_name).start()
    try:
        with Inlet(unique_name, timeout=5) as inlet:
            assert _pull_until(inlet, lambda c: True, 5)[0] is not None
            first.stop()
            wrong = _player(narrow, unique_name).start()
            try:
                _, chunks, _ = _pull_until(inlet, lambda c: False, 1.0)
                assert chunks == [], "data of the wrong source reached the caller"
                events = inlet.take_events()
                right = _player(raw, unique_name).start()
                try:
                    chunk, _, _ = _pull_until(inlet, lambda c: True, 5)
                    assert chunk is not None and chunk.data.shape[0] == raw.info["nchan"]
                    later = inlet.take_events()
                finally:
                    right.stop()
            finally:
                wrong.stop()
    finally:
        first.stop()
    refused = [e for e in events if e.kind == "source_refused"]
    assert len(refused) == 1 and inlet.n_refused == 1  # reported once, not per look
    assert "4 channels" in refused[0].message and "5" in refused[0].message
    assert refused[0].details["source_id"] == wrong.descriptions[0].source_id
    assert [e.kind for e in later] == ["source_replaced"]


def _run_jumping(name, jumps, seconds=2.0, sfreq=250.0):
    """Push at the nominal rate, the stamps jumping by ``size`` s at each ``(at_s, size)``,
    and pull: chunks, arrival lags, events, clock, gaps, backward stamps."""
    outlet = pylsl.StreamOutlet(pylsl.StreamInfo(name, "EEG", 3, sfreq, pylsl.cf_float32,
                                                 uuid.uuid4().hex), chunk_size=0,
                                max_buffered=60)
    n_total = int(seconds * sfreq)
    chunks, lags, pushed = [], [], 0
    try:
        with Inlet(name, timeout=5) as inlet:
            t0 = pylsl.local_clock() + 0.1
            deadline = time.monotonic() + seconds + 5
            while time.monotonic() < deadline and (not chunks or
                                                   chunks[-1].data[0, -1] < (n_total - 1) * 1e-6):
                due = min(int((pylsl.local_clock() - t0) * sfreq) + 1, n_total)
                if due > pushed:
                    k = np.arange(pushed, due)
                    stamps = t0 + k / sfreq
                    for at, size in jumps:
                        stamps = stamps + np.where(k >= int(at * sfreq), size, 0.0)
                    values = np.repeat(k[:, None].astype(np.float32), 3, axis=1)
                    outlet.push_chunk(values, stamps.tolist())
                    pushed = due
                chunk = inlet.pull(timeout=0.02)  # the pacing: blocks until data or 20 ms
                if chunk is not None:
                    chunks.append(chunk)
                    lags.append(pylsl.local_clock() - chunk.times[-1])
            events = inlet.take_events()
            clock = inlet.clock
            gaps, backwards = inlet.gaps, inlet.gap_detector.n_backwards
    finally:
        del outlet
    return chunks, lags, events, clock, gaps, backwards


@pytest.mark.parametrize("jump_s", [-3.0, 600.0])
def test_clock_jump_is_named_and_rebased_not_a_gap(unique_name, jump_s):
    """A source clock jumping while samples arrive on time: one event, no gap, no lag."""
    sfreq = 250.0
    chunks, lags, events, clock, gaps, backwards = _run_jumping(unique_name, [(1.0, jump_s)],
                                                                sfreq=sfreq)
    # Channels without a unit are taken as microvolts: the counter arrives in volts.
    values = np.rint(np.concatenate([c.data[0] for c in chunks]) * 1e6)
    stamps = np.concatenate([c.times for c in chunks])
    assert np.array_equal(values, np.arange(values.size))  # every sample, in order
    assert values.size == int(2.0 * sfreq)
    assert [e.kind for e in events] == ["clock_jump"]
    assert events[0].details["jump_s"] == pytest.approx(jump_s, abs=1e-4)
    # Not hundreds of thousands of missing samples, nor backward stamps.
    assert gaps == [] and backwards == 0
    # Re-based: continuous stamps (to LSL's own clock-correction updates, microseconds),
    # and latency on this machine's clock stays small.
    assert np.allclose(np.diff(stamps), 1 / sfreq, atol=2e-4)
    assert max(lags) < 0.5 and clock == "source, re-based"


def test_a_run_of_clock_jumps_raises_one_event_at_each_end(unique_name):
    """Five jumps 0.2 s apart: one clock_jump, then one clock_jumps_ended with the count."""
    jumps = [(0.5 + 0.2 * i, size) for i, size in enumerate([2.0, -1.0, 5.0, -3.0, 0.5])]
    chunks, lags, events, _, gaps, backwards = _run_jumping(unique_name, jumps, seconds=3.8)
    assert [e.kind for e in events] == ["clock_jump", "clock_jumps_ended"]
    assert events[1].details["count"] == 5
    assert events[1].details["total_s"] == pytest.approx(3.5, abs=1e-4)
    assert gaps == [] and backwards == 0 and max(lags) < 0.5
    stamps = np.concatenate([c.times for c in chunks])
    assert np.allclose(np.diff(stamps), 1 / 250.0, atol=2e-4)


@pytest.mark.parametrize("shift_ms", [-3000.0, 3000.0])
def test_replay_shift_fault_is_a_clock_jump_and_latency_stays_honest(raw, unique_name,
                                                                     shift_ms):
    """``bci replay --fault shift@1:MS``, either way: one clock_jump of MS ms, no gap.

    The samples go out on schedule (a forward shift is not emulated by waiting), so the
    receiver's arrivals stay regular while the stamps step: latency, measured on this
    machine's clock after the re-basing, stays small. Were the forward shift pushed late
    instead, the arrivals would step too and the inlet would rightly see a 3 s gap.
    """
    counter = raw.ch_names.index("counter")
    sfreq = raw.info["sfreq"]
    player = _player(raw, unique_name, faults=[Fault("shift", 1.0, shift_ms)])
    lags, values, arrivals = [], [], []
    with player, Inlet(unique_name, timeout=5) as inlet:
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            chunk = inlet.pull(timeout=0.05)
            if chunk is not None:
                now = pylsl.local_clock()
                lags.append(now - chunk.times[-1])
                values.append(chunk.data[counter])
                arrivals.append((now, chunk.data[counter, -1]))
                if chunk.data[counter, -1] >= 2.0 * sfreq:
                    break
        events = inlet.take_events()
    assert [e.kind for e in events] == ["clock_jump"]
    assert events[0].details["jump_s"] == pytest.approx(shift_ms / 1e3, abs=2 / sfreq)
    assert inlet.gaps == [] and inlet.gap_detector.n_backwards == 0
    counts = np.concatenate(values)
    assert np.array_equal(np.diff(counts), np.ones(counts.size - 1))  # nothing missing
    assert max(lags) < 0.5
    # Pushed on schedule: sample k arrives about t0 + k / sfreq, never 3 s late.
    late = [t - (player.t0 + k / sfreq) for t, k in arrivals]
    assert max(late) < 0.5


def test_real_gap_is_still_a_gap_not_a_clock_jump(raw, unique_name):
    """Dropped samples leave a gap in the timestamps and in the arrivals: a gap."""
    sfreq = raw.info["sfreq"]
    player = _player(raw, unique_name, faults=[Fault("drop", 1.0, 100)])
    with player, Inlet(unique_name, timeout=5) as inlet:
        _pull_until(inlet, lambda c: c.data[-1, -1] >= 2.0 * sfreq, 8)
        events = inlet.take_events()
    assert events == [] and inlet.clock == "source"
    assert [g.n_missing for g in inlet.gaps] == [100]


def test_marker_inlet_follows_a_replaced_marker_source(unique_name):
    """Markers come back within 1 s from a marker outlet re-created under a new id."""
    def outlet(source_id):
        return Outlet(StreamDescription.for_markers(unique_name, source_id=source_id))

    first = outlet(uuid.uuid4().hex)
    with MarkerInlet(unique_name, timeout=5) as inlet:
        got = []
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            first.push_marker("before", pylsl.local_clock())
            got = inlet.pull(0.1)
        first.close()
        assert [m.label for m in got][:1] == ["before"]
        inlet.pull(0.3)
        new_id = uuid.uuid4().hex
        second = outlet(new_id)
        created = time.monotonic()
        try:
            labels = []
            while "after" not in labels and time.monotonic() < created + 5:
                second.push_marker("after", pylsl.local_clock())
                labels += [m.label for m in inlet.pull(0.05)]
            resumed = time.monotonic()
            events = inlet.take_events()
        finally:
            second.close()
    assert "after" in labels and resumed - created < 1.0
    replaced = [e for e in events if e.kind == "source_replaced"]
    assert len(replaced) == 1 and replaced[0].details["source_id"] == new_id


def test_two_sources_answering_one_name_are_named(raw, unique_name, caplog):
    """The newest of two same-named sources is used; the other is named in an event."""
    older = _player(raw, unique_name).start()
    time.sleep(0.05)  # created_at must differ: the rule is "the newest"
    newer = _player(raw, unique_name).start()
    try:
        # Every program resolving by name (record, monitor) logs the same warning.
        with caplog.at_level(logging.WARNING, logger="bci.stream"):
            chosen = resolve_stream(unique_name, timeout=5)
        assert chosen.source_id() == newer.descriptions[0].source_id
        assert f"2 streams answer name='{unique_name}'" in caplog.text
        assert older.descriptions[0].source_id in caplog.text
        with Inlet(unique_name, timeout=5) as inlet:
            assert inlet.description.source_id == newer.descriptions[0].source_id
            events = []
            deadline = time.monotonic() + 5
            while not events and time.monotonic() < deadline:
                inlet.pull(0.05)
                events = inlet.take_events()
    finally:
        older.stop()
        newer.stop()
    assert [e.kind for e in events] == ["source_ambiguous"]
    assert older.descriptions[0].source_id in events[0].message
    assert "rule: same source_id, else the newest" in events[0].message
