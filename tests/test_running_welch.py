"""The spectrum panel's running Welch estimate equals scipy's Welch, whatever the updates."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import welch

from bci.stream.ring import RingBuffer
from bci_apps.running_welch import RunningWelch

SFREQ = 250.0


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_running_welch_equals_scipy_welch_over_its_segments(chunk):
    rng = np.random.default_rng(0)
    n_total, n, nperseg = 6000, 1000, 250
    t = np.arange(n_total) / SFREQ
    data = rng.standard_normal((3, n_total)) + np.sin(2 * np.pi * 10.0 * t) * 3.0
    ring = RingBuffer(3, 1500)
    estimate = RunningWelch(SFREQ, nperseg)
    rows = np.array([2, 0])  # any subset, in any order
    checked = 0
    previous, previous_psd = None, None
    for start in range(0, n_total, chunk):
        ring.write(data[:, start:start + chunk], t[start:start + chunk])
        psd = estimate.update(ring, rows, n)
        stop = ring.n_written
        if stop < nperseg:
            assert psd is None
            continue
        starts = estimate.starts
        if starts == previous:
            assert np.array_equal(psd, previous_psd)  # the same segments, the same PSD
            continue
        previous, previous_psd = list(starts), psd
        # Half-overlapping segments at multiples of the hop, inside the newest n samples.
        assert all(s % estimate.hop == 0 for s in starts)
        assert starts[0] >= stop - n and starts[-1] + nperseg <= stop
        assert starts[0] - estimate.hop < max(stop - n, 0)  # no segment left out
        assert starts[-1] + nperseg + estimate.hop > stop
        freqs, expected = welch(data[rows, starts[0]:starts[-1] + nperseg], fs=SFREQ,
                                nperseg=nperseg, axis=-1)
        assert np.array_equal(estimate.freqs, freqs)
        assert np.allclose(psd, expected, rtol=1e-12, atol=0)
        checked += 1
    assert checked > 0
    peak = estimate.freqs[np.argmax(psd[0])]
    assert peak == pytest.approx(10.0, abs=1.0)


def test_a_cleared_ring_starts_the_estimate_again():
    # (A new connection gets a new ring, and the panel a new estimate: its key.)
    rng = np.random.default_rng(1)
    ring = RingBuffer(1, 2000)
    estimate = RunningWelch(SFREQ, 200)
    loud = rng.standard_normal((1, 1000)) * 100.0
    ring.write(loud, np.arange(1000) / SFREQ)
    assert estimate.update(ring, np.array([0]), 1000) is not None
    ring.clear()
    quiet = rng.standard_normal((1, 600))
    ring.write(quiet, np.arange(600) / SFREQ)
    psd = estimate.update(ring, np.array([0]), 1000)
    _, expected = welch(quiet, fs=SFREQ, nperseg=200, axis=-1)
    assert np.allclose(psd, expected, rtol=1e-12)
