"""Helpers for tests that use real LSL streams on loopback (no mocks)."""

from __future__ import annotations

import time

import mne
import numpy as np

from bci.stream import Chunk, Inlet, MarkerInlet


def with_counter(raw: mne.io.BaseRaw) -> mne.io.BaseRaw:
    """A copy of ``raw`` with a ``counter`` misc channel holding each sample's index.

    A dropped, doubled or reordered sample then shows in the received counter.
    """
    counter = np.arange(raw.n_times, dtype=np.float64)[np.newaxis]
    info = mne.create_info(["counter"], raw.info["sfreq"], ["misc"])
    extra = mne.io.RawArray(counter, info, first_samp=raw.first_samp, verbose="error")
    extra.set_meas_date(raw.info["meas_date"])
    out = raw.copy().load_data()
    out.add_channels([extra], force_update_info=True)
    return out


def receive(inlet: Inlet, n_samples: int, *, markers: MarkerInlet | None = None,
            timeout: float = 30.0) -> tuple[np.ndarray, np.ndarray, list]:
    """Pull until ``n_samples`` arrived (or the deadline): data, times, markers."""
    chunks: list[Chunk] = []
    got, received_markers = 0, []
    deadline = time.monotonic() + timeout
    while got < n_samples and time.monotonic() < deadline:
        chunk = inlet.pull(timeout=0.2)
        if chunk is not None:
            chunks.append(chunk)
            got += chunk.n_times
        if markers is not None:
            received_markers.extend(markers.pull(0.0))
    if markers is not None:
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            received_markers.extend(markers.pull(0.1))
    if not chunks:
        return np.empty((0, 0)), np.empty(0), received_markers
    return (np.concatenate([c.data for c in chunks], axis=1),
            np.concatenate([c.times for c in chunks]), received_markers)
