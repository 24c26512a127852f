"""Window stages: same windows whatever the chunking; markers before or after samples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bci.pipeline.windows import MarkerEpocher, SlidingWindows
from bci.stream import Chunk, Marker


def _chunks(data: np.ndarray, times: np.ndarray, sizes: list[int]):
    start = 0
    for size in sizes:
        if start >= data.shape[1]:
            break
        yield Chunk(data[:, start:start + size], times[start:start + size], start)
        start += size
    if start < data.shape[1]:
        yield Chunk(data[:, start:], times[start:], start)


def _signal(n: int = 2000, sfreq: float = 100.0):
    data = np.vstack([np.arange(n), -np.arange(n)]).astype(float)
    return data, 50.0 + np.arange(n) / sfreq


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 300), min_size=1, max_size=40))
def test_sliding_windows_do_not_depend_on_chunking(sizes):
    data, times = _signal()
    windows = SlidingWindows(2, length=50, step=20)
    got = [w for c in _chunks(data, times, sizes) for w in windows.push(c)]
    ends = [w.stop_index for w in got]
    assert ends == list(range(60, 2001, 20))  # first end: a multiple of step >= length
    for w in got:
        assert np.array_equal(w.data, data[:, w.stop_index - 50:w.stop_index])
        assert w.end_time == times[w.stop_index - 1]


def test_sliding_windows_never_span_a_discontinuity():
    data, times = _signal()
    windows = SlidingWindows(2, length=50, step=10)
    first = windows.push(Chunk(data[:, :300], times[:300], 0))
    # Samples 300..399 never arrive: the next chunk starts at received index 300 but the
    # pipeline restarts the window stage there (as it does after a gap).
    windows.reset(300)
    after = windows.push(Chunk(data[:, 400:700], times[400:700], 300))
    assert first[-1].stop_index == 300
    assert after[0].start_index >= 300 and after[0].stop_index == 350


@pytest.mark.parametrize("marker_first", [True, False])
@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 200), min_size=1, max_size=30))
def test_marker_epochs_same_whether_marker_comes_before_or_after(marker_first, sizes):
    data, times = _signal()
    epocher = MarkerEpocher(2, 100.0, {"left": "T1", "right": ["T2", "7"]}, tmin=-0.2,
                            tmax=0.5)
    events = [(300, "T1"), (900, "7"), (1500, "T0"), (1990, "T2")]
    # Markers travel separately: their stamps are off by a few microseconds.
    markers = [Marker(label, times[i] + 3e-6) for i, label in events]
    got = []
    if marker_first:
        epocher.push_markers(markers)
    for chunk in _chunks(data, times, sizes):
        got.extend(epocher.push(chunk))
    if not marker_first:
        epocher.push_markers(markers)
        got.extend(epocher.push(Chunk(np.empty((2, 0)), np.empty(0), data.shape[1])))
    assert [(w.label, w.start_index) for w in got] == [("left", 280), ("right", 880)]
    for w in got:
        assert np.array_equal(w.data, data[:, w.start_index:w.start_index + 70])
    # The T2 epoch at 1990 needs samples up to 2040: it waits, it is not cut short.
    assert epocher.n_missed == 0


def test_marker_older_than_history_is_counted_missed():
    data, times = _signal(n=6000)
    epocher = MarkerEpocher(2, 100.0, {"a": "x"}, tmin=0.0, tmax=0.5, history=1.0)
    for chunk in _chunks(data, times, [500] * 12):
        epocher.push(chunk)
    epocher.push_markers([Marker("x", times[10])])
    assert epocher.push(Chunk(np.empty((2, 0)), np.empty(0), 6000)) == []
    assert epocher.n_missed == 1
