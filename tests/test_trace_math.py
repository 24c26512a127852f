"""The traces panel's maths, without Qt: the incremental min/max envelope and the layout.

No display, no LSL: signals are written into a real :class:`RingBuffer` chunk by chunk, as
the monitor's reader does, and the envelope reads it back as the panel does per frame.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bci.stream.ring import RingBuffer
from bci_apps.trace_math import (
    SELECTED_COLOUR,
    TYPE_COLOURS,
    Envelope,
    bin_extrema,
    bin_size,
    compose_frame,
    fit_scales,
    format_si,
    label_stride,
    markers_in_window,
    peak_envelope,
    row_at,
    row_colours,
    stack_rows,
)

SFREQ = 1000.0
T0 = 12345.678  # an LSL time


def _signal(n_rows: int, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    data = np.cumsum(rng.standard_normal((n_rows, n)), axis=1) * 1e-6 + 1e-3  # DC offset
    return data, T0 + np.arange(n) / SFREQ


def _chunked(data: np.ndarray, times: np.ndarray, sizes, ds: int, n_window: int,
             capacity: int | None = None) -> tuple[Envelope, RingBuffer, list[Envelope]]:
    """Write in chunks of ``sizes`` (cycled), updating the envelope after each chunk."""
    ring = RingBuffer(data.shape[0], capacity or 2 * n_window)
    envelope = Envelope(data.shape[0], ds, n_window)
    rows = np.arange(data.shape[0])
    start, k = 0, 0
    while start < times.size:
        stop = min(start + sizes[k % len(sizes)], times.size)
        ring.write(data[:, start:stop], times[start:stop])
        assert envelope.update(ring, rows, ring.n_written)
        start, k = stop, k + 1
    return envelope, ring, rows


@pytest.mark.parametrize("sizes", [[1], [3], [17], [10, 1, 33, 7, 250], [2500]])
@pytest.mark.parametrize("ds", [1, 7, 10])
def test_envelope_of_any_chunking_equals_the_envelope_of_the_whole_signal(sizes, ds):
    data, times = _signal(4, 2500)
    n_window = 1003
    envelope, _, _ = _chunked(data, times, sizes, ds, n_window)
    whole, _, _ = _chunked(data, times, [times.size], ds, n_window)
    x, values = envelope.points()
    x_whole, values_whole = whole.points()
    # Bit for bit: the bins, their times, the newest samples and the means.
    assert np.array_equal(x, x_whole) and np.array_equal(values, values_whole)
    assert np.array_equal(envelope.means(), whole.means())
    # And both are the min/max of the window's samples, from a bin boundary on.
    first, stop = envelope.first, envelope.stop
    assert (first, stop) == (whole.first, whole.stop) == (first, times.size)
    assert np.array_equal(values, peak_envelope(data[:, first:stop], ds))
    assert np.allclose(envelope.means(), data[:, first:stop].mean(axis=1), rtol=1e-12)


@pytest.mark.parametrize("ds", [3, 8])
def test_bins_are_aligned_to_absolute_sample_indices_and_never_change(ds):
    data, times = _signal(2, 3000, seed=1)
    n_window = 500
    ring = RingBuffer(2, 2 * n_window)
    envelope = Envelope(2, ds, n_window)
    rows = np.arange(2)
    seen: dict[float, tuple] = {}  # bin start time -> (min, max) the first time drawn
    for start in range(0, 3000, 13):
        ring.write(data[:, start:start + 13], times[start:start + 13])
        envelope.update(ring, rows, ring.n_written)
        assert envelope.first % ds == 0  # bins start at multiples of ds
        # The window holds between n_window - ds and n_window samples once full.
        if ring.n_written >= n_window:
            assert n_window - ds < envelope.n_samples <= n_window
        x, values = envelope.points()
        n_bins = envelope.next_bin - envelope.first_bin
        # A bin's min is drawn at its first sample, its max at its middle one.
        index = np.round((x - T0) * SFREQ).astype(int)
        bins = index[:2 * n_bins:2]
        assert np.all(bins % ds == 0)
        assert np.array_equal(index[1:2 * n_bins:2], bins + ds // 2)
        for b, low, high in zip(bins, values[0, :2 * n_bins:2], values[0, 1:2 * n_bins:2],
                                strict=True):
            assert seen.setdefault(b, (low, high)) == (low, high)  # never redrawn
            assert low == data[0, b:b + ds].min() and high == data[0, b:b + ds].max()


@pytest.mark.parametrize("ds", [1, 4, 9])
def test_the_newest_sample_is_always_drawn_at_x_zero(ds):
    data, times = _signal(3, 1200, seed=2)
    ring = RingBuffer(3, 800)
    envelope = Envelope(3, ds, 400)
    rows = np.arange(3)
    for stop in range(1, 1201):  # one sample per frame: every bin phase
        ring.write(data[:, stop - 1:stop], times[stop - 1:stop])
        envelope.update(ring, rows, stop)
        frame = compose_frame(envelope, ["a", "b", "c"], np.ones(3), 0.4, remove_dc=False)
        assert frame.x[-1] == 0.0 and frame.newest_time == times[stop - 1]
        assert np.array_equal(frame.y[:, -1],
                              np.clip(data[:, stop - 1] - np.arange(3), -4.0, 2.0))
        assert 1 <= envelope.tail_times.size <= ds
        assert frame.x.size <= envelope.max_points()  # the polygons never grow


def test_samples_gone_from_the_ring_are_skipped_to_the_next_bin():
    data, times = _signal(2, 5000, seed=3)
    ds, n_window = 10, 2000
    ring = RingBuffer(2, 600)  # holds less than the window
    envelope = Envelope(2, ds, n_window)
    rows = np.arange(2)
    ring.write(data[:, :100], times[:100])
    envelope.update(ring, rows, ring.n_written)
    ring.write(data[:, 100:5000], times[100:5000])  # a long pause: 4400 samples at once
    envelope.update(ring, rows, ring.n_written)
    # Only the 600 samples held: from the first bin boundary inside them.
    assert envelope.first == 4400 and envelope.stop == 5000
    _, values = envelope.points()
    assert np.array_equal(values, peak_envelope(data[:, 4400:5000], ds))


def test_bin_extrema_of_a_split_equals_the_whole_to_the_last_bit():
    data, _ = _signal(64, 7 * 300, seed=4)
    lows, highs, sums = bin_extrema(data, 7)
    parts = [bin_extrema(data[:, a:b], 7) for a, b in ((0, 7), (7, 700), (700, 2100))]
    for whole, split in zip((lows, highs, sums), zip(*parts, strict=True), strict=True):
        assert np.array_equal(whole, np.concatenate(split, axis=1))
    body = data.reshape(64, 300, 7)
    assert np.array_equal(lows, body.min(axis=2)) and np.array_equal(highs, body.max(axis=2))
    assert np.allclose(sums, body.sum(axis=2), rtol=1e-14)


def test_bin_size_gives_one_bin_per_bin_pixels_columns():
    for n_window in (160, 1600, 10_000, 30_000):
        for width in (300, 960, 1400):
            ds = bin_size(n_window, width, 2.0)
            columns = max(width // 2, 50)
            assert ds >= 1
            assert n_window // ds >= columns or ds == 1  # never fewer bins than pairs
            assert n_window // (ds + 1) < columns  # and the coarsest such bins
    assert bin_size(100, 1400, 2.0) == 1  # fewer samples than columns: every sample


def test_rows_are_stacked_scaled_and_clipped():
    values = np.array([[1.0, 2.0, 3.0], [10.0, 10.0, 1e9]])
    centres, gains = np.array([2.0, 10.0]), np.array([0.5, 2.0])
    y = stack_rows(values, centres, gains)
    assert np.array_equal(y[0], [-0.5, 0.0, 0.5])  # row 0 around 0
    assert np.array_equal(y[1, :2], [-1.0, -1.0])  # row 1 around -1
    assert y[1, 2] == 2.0  # a wild value clipped just above the plot
    for k in range(2):
        assert row_at(-k + 0.45, 2) == k and row_at(-k - 0.45, 2) == k
    assert row_at(0.6, 2) is None and row_at(-1.6, 2) is None


def test_labels_never_overlap_and_colours_alternate_by_type():
    for n_rows, height in ((8, 900.0), (64, 900.0), (128, 500.0), (256, 300.0)):
        stride = label_stride(n_rows, height)
        assert height / n_rows * stride >= 9.0  # one label per 9 px at least
        assert stride == 1 or height / n_rows * (stride - 1) < 9.0  # no more skipped
    names = ["Fz", "Cz", "Pz", "EMG1", "x"]
    types = {"Fz": "eeg", "Cz": "eeg", "Pz": "eeg", "EMG1": "emg", "x": "misc"}
    colours = row_colours(names, types, selected="Pz")
    assert colours[:2] == [TYPE_COLOURS["eeg"][0], TYPE_COLOURS["eeg"][1]]
    assert colours[2] == SELECTED_COLOUR and colours[3] == TYPE_COLOURS["emg"][1]


def test_fit_scales_fills_rows_with_the_main_types_median_spread():
    rng = np.random.default_rng(5)
    amplitudes = np.array([10e-6, 20e-6, 30e-6, 1.0, 0.0])  # 3 EEG, a counter, a flat one
    signal = rng.uniform(-1, 1, (5, 5000)) * amplitudes[:, None]
    kinds = ["eeg", "eeg", "eeg", "misc", "eeg"]
    spread = (np.percentile(signal, 99, axis=1) - np.percentile(signal, 1, axis=1)) / 0.8
    scale, factors = fit_scales(signal, signal, kinds, 50e-6)
    assert scale == pytest.approx(spread[1])  # the median EEG spread
    assert factors[:3] == [None, None, None]  # EEG follows the global scale
    assert factors[3] == pytest.approx(spread[3] / scale)  # the counter fits its own row
    assert math.isnan(factors[4])  # flat: left as it was
    scale, factors = fit_scales(signal, signal, kinds, 50e-6, per_channel=True)
    assert factors[0] * scale == pytest.approx(spread[0])
    assert factors[2] * scale == pytest.approx(spread[2])


def test_frame_keeps_the_markers_inside_the_window_relative_to_the_newest_sample():
    data, times = _signal(2, 3000, seed=6)
    envelope, _, _ = _chunked(data, times, [25], 5, 2000)
    t_ref = times[-1]
    markers = [(t_ref - 2.5, "old"), (t_ref - 2.0, "edge"), (t_ref - 0.5, "T1"),
               (t_ref, "now"), (t_ref + 0.1, "early")]
    frame = compose_frame(envelope, ["a", "b"], np.array([1e6, 2e6]), 2.0,
                          markers=markers)
    assert [label for _, label in frame.markers] == ["edge", "T1", "now"]
    assert [x for x, _ in frame.markers] == pytest.approx([-2.0, -0.5, 0.0])
    assert frame.markers == tuple(markers_in_window(markers, t_ref, 2.0))
    # Centred on each row's mean over the window, row k's zero at -k.
    assert np.allclose(frame.centres, data[:, frame.first:].mean(axis=1), rtol=1e-12)
    assert np.array_equal(frame.offsets, [0.0, -1.0])
    _, values = envelope.points()
    assert np.array_equal(frame.y, stack_rows(values, frame.centres, frame.gains))


def test_format_si():
    assert format_si(5e-5, "V") == "50 µV"
    assert format_si(2.5e-3, "V") == "2.5 mV"
    assert format_si(1500.0, "") == "1.5 k"
    assert format_si(0.0, "V") == "0 V"


def test_a_sped_up_replay_is_drawn_in_seconds_of_the_recording():
    speed = 8.0
    data, _ = _signal(1, 4000, seed=7)
    times = T0 + np.arange(4000) / (SFREQ * speed)  # stamped 8 times closer together
    envelope, _, _ = _chunked(data, times, [80], 4, 2000)  # 2 s of the recording
    markers = [(times[-1] - 1.5 / speed, "T1"), (times[-1] - 2.5 / speed, "gone")]
    frame = compose_frame(envelope, ["a"], np.ones(1), 2.0, markers=markers, speed=speed)
    index = np.arange(frame.first, frame.stop)
    # The oldest bin starts where its sample is in the recording: -2 s .. 0.
    assert frame.x[0] == pytest.approx((index[0] - index[-1]) / SFREQ, abs=1e-9)
    assert -2.0 <= frame.x[0] and frame.x[-1] == 0.0
    assert frame.markers == ((pytest.approx(-1.5), "T1"),)
