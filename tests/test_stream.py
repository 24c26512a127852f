"""The streaming core on real LSL loopback: outlets, inlets, gaps, ring buffer."""

from __future__ import annotations

import numpy as np
import pylsl
import pytest

from bci.errors import StreamError
from bci.stream import (
    GapDetector,
    Inlet,
    Outlet,
    RingBuffer,
    StreamDescription,
    resolve_stream,
)
from bci.stream.units import round_trip, wire_scales


def _signal_description(source_id: str, n_channels: int = 4, sfreq: float = 500.0,
                        channel_format: str = "float32") -> StreamDescription:
    names = [f"EEG{i}" for i in range(n_channels - 1)] + ["counter"]
    types = ["eeg"] * (n_channels - 1) + ["misc"]
    return StreamDescription.for_signal(f"test-{source_id[:8]}", "EEG", sfreq, names, types,
                                        channel_format=channel_format, source_id=source_id)


def test_round_trip_is_sample_exact_with_metadata(source_id):
    """Values come back equal to what float32 microvolts carry, counter intact, in order."""
    desc = _signal_description(source_id)
    rng = np.random.default_rng(0)
    n = 3000
    data = rng.normal(scale=20e-6, size=(desc.n_channels, n))
    data[-1] = np.arange(n)
    times = pylsl.local_clock() + np.arange(n) / desc.sfreq
    with Outlet(desc) as outlet, Inlet(source_id=source_id, timeout=5) as inlet:
        assert inlet.description.ch_names == desc.ch_names
        assert inlet.description.units[:3] == ("microvolts",) * 3
        for start in range(0, n, 37):
            outlet.push(data[:, start:start + 37], times[start:start + 37])
        chunks, got = [], 0
        while got < n:
            chunk = inlet.pull(timeout=2.0)
            assert chunk is not None, "samples stopped arriving"
            chunks.append(chunk)
            got += chunk.n_times
    received = np.concatenate([c.data for c in chunks], axis=1)
    expected = round_trip(data, wire_scales(desc.units, desc.ch_types), np.float32)
    assert np.array_equal(received, expected)
    assert np.array_equal(received[-1], np.arange(n))
    stamps = np.concatenate([c.times for c in chunks])
    # Same host: clock correction is tiny, and per-sample stamps survive.
    assert np.max(np.abs(stamps - times)) < 1e-3
    assert [c.first_index for c in chunks] == list(np.cumsum([0] + [c.n_times
                                                                    for c in chunks])[:-1])
    assert inlet.gaps == []


def test_inlet_reports_dropped_samples_as_a_gap(source_id):
    """A hole of 100 samples in the timestamps is one gap of 100 samples, not stitched."""
    desc = _signal_description(source_id, sfreq=250.0)
    n = 1000
    data = np.zeros((desc.n_channels, n))
    data[-1] = np.arange(n)
    times = pylsl.local_clock() + np.arange(n) / desc.sfreq
    keep = np.r_[0:400, 500:n]  # samples 400..499 never sent
    with Outlet(desc) as outlet, Inlet(source_id=source_id, timeout=5) as inlet:
        for start in range(0, keep.size, 25):
            index = keep[start:start + 25]
            outlet.push(data[:, index], times[index])
        got = 0
        while got < keep.size:
            chunk = inlet.pull(timeout=2.0)
            assert chunk is not None
            got += chunk.n_times
    assert len(inlet.gaps) == 1
    gap = inlet.gaps[0]
    assert gap.n_missing == 100
    assert gap.index == 400  # the first sample after the gap is the 401st received
    assert gap.time == pytest.approx(times[500], abs=1e-3)


def test_gap_detector_tolerates_jitter_but_catches_one_missing_sample():
    rng = np.random.default_rng(1)
    period = 1 / 256
    times = np.arange(5000) * period + rng.normal(scale=period * 0.05, size=5000)
    detector = GapDetector(period)
    gaps, backwards = detector.update(times)
    assert gaps == [] and backwards == 0
    clean = GapDetector(period)
    stamps = np.delete(np.arange(2000) * period, 1234)
    gaps, _ = clean.update(stamps[:1000])
    gaps2, _ = clean.update(stamps[1000:])
    assert gaps == [] and len(gaps2) == 1 and gaps2[0].n_missing == 1
    assert gaps2[0].index == 1234


def test_gap_detector_counts_backward_timestamps():
    detector = GapDetector(0.01)
    detector.update(np.array([0.0, 0.01, 0.02]))
    _, backwards = detector.update(np.array([0.015, 0.03]))
    assert backwards == 1 and detector.n_backwards == 1


def test_resolve_error_lists_visible_streams(source_id):
    desc = _signal_description(source_id)
    with Outlet(desc):
        with pytest.raises(StreamError) as info:
            resolve_stream("no-such-stream-" + source_id, timeout=1.0)
    message = str(info.value)
    assert "no-such-stream" in message and "\n" not in message
    assert desc.name in message  # what it did see


def test_ring_buffer_keeps_exactly_the_newest_samples():
    ring = RingBuffer(3, 100)
    rng = np.random.default_rng(2)
    written = []
    index = 0
    for size in rng.integers(1, 60, size=50):
        block = np.vstack([np.arange(index, index + size)] * 3).astype(float)
        ring.write(block, block[0] / 10)
        written.append(block)
        index += size
    everything = np.concatenate(written, axis=1)
    data, times = ring.latest()
    assert np.array_equal(data, everything[:, -100:])
    assert np.array_equal(times, everything[0, -100:] / 10)
    data, _ = ring.latest(7)
    assert np.array_equal(data, everything[:, -7:])
    span, _ = ring.view_span(index - 50, index - 20)
    assert np.array_equal(span, everything[:, index - 50:index - 20])
    with pytest.raises(IndexError):
        ring.view_span(index - 101, index)
    big = np.ones((3, 250))
    before = ring.n_written
    ring.write(big, np.ones(250))
    assert np.array_equal(ring.latest()[0], np.ones((3, 100)))
    assert ring.n_written == before + 250  # absolute indices stay right
