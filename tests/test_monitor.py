"""The desktop monitor, offscreen, against real LSL streams and real recordings.

Every test replays or pushes over loopback LSL with a unique source_id and closes the
window (which joins its reader threads and closes their inlets) before the outlets.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pylsl
import pytest

pytest.importorskip("pyqtgraph")
pytest.importorskip("PySide6")

from PySide6 import QtCore, QtGui, QtWidgets

from bci.outputs import DecisionOutlet
from bci.pipeline.config import parse_config
from bci.pipeline.decision import Decision
from bci.replay import Player, ReplaySource
from bci.stream import Outlet, StreamDescription
from bci.stream.units import round_trip, wire_scales
from bci_apps import monitor as monitor_app
from bci_apps.monitor import MonitorWindow

pytestmark = [pytest.mark.gui]

SPEED = 8.0  # replays run 8x faster than real time: 10 s of signal in 1.25 s


def _read(path: Path):
    try:
        from bci.io import read_recording
    except ImportError:  # pragma: no cover - the reader is being written concurrently
        import mne

        return mne.io.read_raw_edf(path, preload=True, verbose="error")
    return read_recording(path)


@pytest.fixture(scope="module")
def r02(shared_recordings: Path):
    """S001R02 (eyes closed), as a replay source."""
    raw = _read(shared_recordings / "physionet-eegmmidb" / "S001" / "S001R02.edf")
    return ReplaySource.from_raw(raw, "r02")


@pytest.fixture(scope="module")
def r04(shared_recordings: Path):
    """S001R04 (motor imagery, T0/T1/T2 annotations), as a replay source."""
    raw = _read(shared_recordings / "physionet-eegmmidb" / "S001" / "S001R04.edf")
    return ReplaySource.from_raw(raw, "r04")


def _window(qtbot, name: str, source_id: str | None = None, **kwargs) -> MonitorWindow:
    kwargs.setdefault("decisions", None)
    kwargs.setdefault("discover", False)
    window = MonitorWindow(name, source_id=source_id, **kwargs)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    return window


def _close(window: MonitorWindow) -> None:
    window.close()
    assert window.threads_alive == []  # every reader joined, every inlet closed


def _wait_samples(qtbot, window: MonitorWindow, n: int, timeout: float = 15.0) -> None:
    def enough() -> bool:
        ring = window.signal_reader.state.ring
        return ring is not None and ring.n_written >= n

    qtbot.waitUntil(enough, timeout=int(timeout * 1000))


def _freeze(qtbot, window: MonitorWindow) -> None:
    """Pause after a fresh frame, so what is drawn no longer moves."""
    frames = window.frames
    qtbot.waitUntil(lambda: window.frames > frames + 1, timeout=5000)
    window.traces.set_paused(True)


def _on_screen(window: MonitorWindow, ring: str = "ring"):
    """What the traces show: the frame, the polylines painted, and the samples (read
    back from the reader's ring, raw or filtered) the frame was drawn from."""
    traces, state = window.traces, window.signal_reader.state
    frame = traces.frame
    source = state.filtered_names if ring == "filtered" else state.description.ch_names
    rows = np.array([source.index(n) for n in frame.names])
    data, times, first = getattr(state, ring).span_rows(rows, frame.first, frame.stop)
    assert first == frame.first and times.size == frame.stop - frame.first
    painted = [v[:frame.x.size].copy() for v in traces.traces.views]
    return frame, painted, times, data


def _peaks(data: np.ndarray, ds: int) -> np.ndarray:
    """Min then max of each bin of ds samples, then the samples after the last bin."""
    if ds == 1:  # every sample drawn as it is
        return data.copy()
    n_bins = (data.shape[1] - 1) // ds  # the newest sample is never binned
    body = data[:, :n_bins * ds].reshape(data.shape[0], n_bins, ds)
    values = np.empty((data.shape[0], 2 * n_bins + data.shape[1] - n_bins * ds))
    values[:, :2 * n_bins:2] = body.min(axis=2)
    values[:, 1:2 * n_bins:2] = body.max(axis=2)
    values[:, 2 * n_bins:] = data[:, n_bins * ds:]
    return values


def _sample_index(times: np.ndarray, player: Player, sfreq: float) -> np.ndarray:
    index = np.round((times - player.t0) * sfreq * player.speed).astype(int)
    # Each stamp is t0 + k / (sfreq * speed) plus LSL's clock correction, tens of µs on
    # one host: far from the half sample that would make the rounding ambiguous.
    assert np.allclose((times - player.t0) * sfreq * player.speed, index, atol=0.1)
    return index


@pytest.mark.realdata
def test_traces_hold_exactly_the_last_seconds_of_the_file(qtbot, r02, source_id):
    name = f"mon-{uuid.uuid4().hex[:10]}"
    player = Player([r02], name=name, source_id=source_id, speed=SPEED, lead=0.3)
    player.open_outlets()
    window = _window(qtbot, name, f"{source_id}-0", window_seconds=10.0)
    try:
        player.start()
        _wait_samples(qtbot, window, int(12 * r02.sfreq))
        _freeze(qtbot, window)
        frame, curves, times, data = _on_screen(window)
        names = window.traces.rows_on_screen
        gains = np.array([window.traces.channel_gain(n) for n in names])
    finally:
        _close(window)
        player.stop()
    ds, centres = frame.ds, frame.centres
    # All 64 channels on one page, in the stream's order.
    assert names == list(r02.ch_names) == list(frame.names)
    # The samples are the file's, bit for bit after the float32 microvolt round trip,
    # consecutive, and span the window's last 10 s (less under one bin at the left edge,
    # where bins align to multiples of the bin size).
    index = _sample_index(times, player, r02.sfreq)
    assert np.array_equal(index, np.arange(index[0], index[-1] + 1))
    n_window = int(10 * r02.sfreq)
    assert n_window - ds < index.size <= n_window
    scales = wire_scales(player.descriptions[0].units, r02.ch_types)
    expected = round_trip(r02.data, scales, np.float32)[:, index]
    assert np.array_equal(data, expected)
    # What is drawn is that data's min/max per bin (then the newest samples one by one),
    # scaled: y = offset + (value - centre) * gain, exactly, with the channel's gain;
    # row k's zero at -k.
    assert ds > 1  # 1600 samples over ~450 two-pixel columns: peak decimation is on
    n_bins = (index.size - 1) // ds
    assert frame.n_bins == n_bins and np.array_equal(frame.gains, gains)
    offsets = -np.arange(len(names), dtype=float)
    values = _peaks(expected, ds)
    drawn_y = np.clip((values - centres[:, None]) * gains[:, None] + offsets[:, None],
                      -len(names) - 1.0, 2.0)
    for row, curve in enumerate(curves):
        assert np.array_equal(curve[:, 1], drawn_y[row])
    # At the times of their samples (a bin's min at its first sample, its max at its
    # middle one), relative to the newest sample: x = 0 is the newest sample, and x is
    # in seconds of the recording (LSL seconds times the replay's speed).
    assert frame.speed == SPEED
    at = np.concatenate([np.stack([index[:n_bins * ds:ds], index[ds // 2:n_bins * ds:ds]],
                                  axis=1).ravel(), index[n_bins * ds:]])
    assert np.array_equal(_sample_index(curves[0][:, 0] / SPEED + frame.newest_time,
                                        player, r02.sfreq), at)
    assert curves[0][0, 0] >= -10.0  # the 10 s window of the recording fills the plot
    assert curves[0][-1, 0] == 0.0 and frame.newest_time == times[-1]
    assert np.allclose(centres, expected.mean(axis=1), rtol=1e-9, atol=1e-15)


@pytest.mark.realdata
def test_markers_are_drawn_at_their_times(qtbot, r04, source_id):
    name = f"mon-{uuid.uuid4().hex[:10]}"
    player = Player([r04], name=name, source_id=source_id, speed=SPEED, lead=0.3)
    player.open_outlets()
    window = _window(qtbot, name, f"{source_id}-0", window_seconds=10.0)
    try:
        qtbot.waitUntil(lambda: window.marker_reader.status == "receiving", timeout=10000)
        player.start()
        _wait_samples(qtbot, window, int(13 * r04.sfreq))
        def drawn_markers() -> list[tuple[float, str]]:
            return list(window.traces.frame.markers) if window.traces.frame else []

        qtbot.waitUntil(lambda: len(drawn_markers()) >= 2, timeout=10000)
        _freeze(qtbot, window)
        t_ref = window.traces.frame.newest_time
        expected = [(player.t0 + onset / SPEED, label) for onset, label in r04.markers]
        # The 10 s window is 10 s of the recording: 10 / SPEED s of LSL time.
        in_window = [(t, label) for t, label in expected
                     if t_ref - 10.0 / SPEED <= t <= t_ref]
        # A marker may reach the monitor a little after the samples around it; it is
        # drawn when it arrives, also on a paused view.
        qtbot.waitUntil(lambda: len(drawn_markers()) == len(in_window), timeout=5000)
        drawn = drawn_markers()
    finally:
        _close(window)
        player.stop()
    assert len(in_window) >= 2
    assert [label for _, label in drawn] == [label for _, label in in_window]
    for (x, _), (t, _) in zip(drawn, in_window, strict=True):
        assert x / SPEED + t_ref == pytest.approx(t, abs=1e-3)
    assert {label for _, label in drawn} <= {"T0", "T1", "T2"}


@pytest.mark.realdata
def test_spectrum_of_eyes_closed_peaks_in_alpha_at_occipital_channels(qtbot, r02, source_id):
    name = f"mon-{uuid.uuid4().hex[:10]}"
    player = Player([r02], name=name, source_id=source_id, speed=SPEED, lead=0.3)
    player.open_outlets()
    window = _window(qtbot, name, f"{source_id}-0")
    occipital = ["O1..", "Oz..", "O2.."]
    try:
        qtbot.waitUntil(lambda: window.traces.rows_on_screen != [], timeout=10000)
        window.traces.select_channels(occipital)
        player.start()
        _wait_samples(qtbot, window, int(6 * r02.sfreq))
        window.spectrum._next_update = 0.0
        qtbot.waitUntil(lambda: window.spectrum.spectrum()[2].shape[-1] > 0
                        and window.spectrum.spectrum()[0] == occipital, timeout=5000)
        names, freqs, psd = window.spectrum.spectrum()
        rhythm = window.spectrum.rhythm()
    finally:
        _close(window)
        player.stop()
    assert names == occipital
    band = (freqs >= 2.0) & (freqs <= 30.0)
    for row in psd:
        peak = freqs[band][np.argmax(row[band])]
        assert 8.0 <= peak <= 13.0, f"peak at {peak} Hz"
    assert 8.0 <= rhythm <= 13.0  # what the panel reports as the dominant rhythm
    # Log scale: the curves drawn are log10 of the PSD (µV²/Hz).
    assert np.all(psd > 0)
    drawn = window.spectrum.curves.views[0]
    shown = freqs <= 60.0
    assert np.array_equal(drawn[:, 1], np.log10(psd[0, shown]))


def test_health_counts_an_injected_gap(qtbot, source_id):
    name = f"mon-gap-{uuid.uuid4().hex[:8]}"
    sfreq = 100.0
    description = StreamDescription.for_signal(name, "EEG", sfreq, ["Cz", "counter"],
                                               ["eeg", "misc"], source_id=source_id)
    outlet = Outlet(description)
    window = _window(qtbot, name, source_id)
    try:
        qtbot.waitUntil(lambda: window.signal_reader.status == "receiving", timeout=10000)
        assert outlet.wait_for_consumers(5.0)
        k = np.arange(500)
        kept = (k < 200) | (k >= 300)  # samples 200..299 never sent: a 1 s hole
        base = pylsl.local_clock() - 5.0
        data = np.vstack([np.sin(k / 5.0) * 1e-5, k.astype(float)])
        for part in (k < 200, k >= 300):
            outlet.push(data[:, part & kept], base + k[part & kept] / sfreq)
        qtbot.waitUntil(lambda: window.signal_reader.n_received == 400, timeout=10000)
        window.health._next_update = 0.0
        qtbot.waitUntil(lambda: window.health.snapshot is not None
                        and window.health.snapshot.n_received == 400, timeout=5000)
        snapshot = window.health.snapshot
        text = window.health.fields["gaps"].text()
        last = window.health.fields["last_gap"].text()
    finally:
        _close(window)
        outlet.close()
    assert snapshot.n_gaps == 1
    assert snapshot.n_missing == 100
    assert snapshot.last_gap_time == pytest.approx(base + 300 / sfreq, abs=1e-3)
    assert "1 (100 samples missing)" in text
    assert "100 samples" in last


def test_decisions_and_latency_against_budget(qtbot, source_id):
    name = f"mon-dec-{uuid.uuid4().hex[:8]}"
    outlet = DecisionOutlet(name, classes=["left", "right"], score_names=["left", "right"],
                            source_id=source_id,
                            metadata={"budget_ms": {"end_to_end": 20.0}})
    window = _window(qtbot, f"no-signal-{uuid.uuid4().hex[:6]}", decisions=name)
    latencies = np.tile([5.0, 12.0, 35.0, 8.0], 15)  # 15 overruns of a 20 ms budget
    try:
        qtbot.waitUntil(lambda: window.decision_reader.status == "receiving",
                        timeout=10000)
        qtbot.waitUntil(outlet.have_consumers, timeout=5000)
        # Connected, nothing decided yet: a sentence, not an empty 0-1 histogram.
        window.health._next_update = 0.0
        qtbot.waitUntil(lambda: window.health.snapshot is not None, timeout=5000)
        window.health.refresh(window.signal_reader, window.decision_reader, 0, 0.0, None,
                              force=True)
        before = (window.health.no_decisions.isVisible(), window.health.plot.isVisible(),
                  window.health.no_decisions.text())
        for i, latency in enumerate(latencies):
            push = pylsl.local_clock()
            value = i % 2
            scores = np.array([1.0 - 0.2 - 0.6 * value, 0.2 + 0.6 * value])
            outlet.push(Decision(value=float(value), label=["left", "right"][value],
                                 scores=scores, window_end=push - latency / 1e3,
                                 stop_index=i), push)
        qtbot.waitUntil(lambda: window.decision_reader.n_decisions == latencies.size,
                        timeout=10000)
        window.health._next_update = 0.0
        qtbot.waitUntil(lambda: window.health.snapshot is not None
                        and window.health.snapshot.n_decisions == latencies.size,
                        timeout=5000)
        qtbot.waitUntil(lambda: window.decisions.history()[0].size == latencies.size,
                        timeout=5000)
        snapshot = window.health.snapshot
        _, history = window.decisions.history()
        current = window.decisions.current.text()
        ticks = window.decisions.class_plot.getPlotItem().getAxis("left")._tickLevels
        after = (window.health.no_decisions.isVisible(), window.health.plot.isVisible())
    finally:
        _close(window)
        outlet.close()
    assert before[:2] == (True, False) and before[2].startswith("no decisions yet")
    assert after == (False, True)  # the histogram replaces the sentence
    assert snapshot.budget_ms == 20.0
    assert snapshot.n_overruns == 15
    assert snapshot.latency_p99_ms == pytest.approx(np.percentile(latencies, 99), abs=0.05)
    assert np.array_equal(history[0], np.arange(latencies.size) % 2)  # class over time
    assert np.allclose(history[2], 0.2 + 0.6 * (np.arange(latencies.size) % 2))
    assert current == "right (0.80)"  # the last decision, its class and score
    assert [label for _, label in ticks[0]] == ["left", "right"]


@pytest.mark.parametrize("watched", [False, True])
def test_latency_histogram_says_no_decisions_yet_without_a_decision_stream(qtbot, watched):
    # Watched: a name no stream has (bci live not started); else none watched at all.
    decisions = f"absent-{uuid.uuid4().hex[:8]}" if watched else None
    window = _window(qtbot, f"no-signal-{uuid.uuid4().hex[:6]}", decisions=decisions)
    try:
        qtbot.waitUntil(lambda: window.health.snapshot is not None, timeout=5000)
        health = window.health
        shown = (health.no_decisions.isVisible(), health.plot.isVisible(),
                 health.no_decisions.text())
    finally:
        _close(window)
    assert shown[:2] == (True, False)  # no empty 0-1 axis
    assert shown[2].startswith("no decisions yet\n")
    assert (decisions in shown[2]) if watched else ("--decisions" in shown[2])


@pytest.mark.realdata
def test_markers_named_after_the_models_classes_and_channels_standardised(
        qtbot, r04, source_id, shared_recordings, tmp_path):
    from bci.learn.training import train
    from bci.pipeline.config import load_config
    from bci.pipeline.model import save_model
    from bci_apps.channel_names import standard_names
    from bci_apps.readers import check_config_path

    folder = shared_recordings / "physionet-eegmmidb" / "S001"
    root = Path(__file__).resolve().parents[1]
    model, _, _ = train(load_config(root / "docs/configs/motor-imagery.toml"),
                        [folder / "S001R04.edf"], n_folds=0)
    # What `bci monitor --model M` loads: left = "T1", right = "T2".
    config = check_config_path(save_model(model, tmp_path / "mi.skops"))
    name = f"mon-{uuid.uuid4().hex[:10]}"
    player = Player([r04], name=name, source_id=source_id, speed=SPEED, lead=0.3)
    player.open_outlets()
    window = _window(qtbot, name, f"{source_id}-0", config=config, window_seconds=10.0,
                     standardize_names=True)
    try:
        qtbot.waitUntil(lambda: window.marker_reader.status == "receiving", timeout=10000)
        player.start()
        _wait_samples(qtbot, window, int(20 * r04.sfreq))
        qtbot.waitUntil(lambda: window.traces.frame is not None
                        and len(window.traces.frame.markers) >= 3, timeout=10000)
        _freeze(qtbot, window)
        t_ref = window.traces.frame.newest_time
        expected = [(player.t0 + onset / SPEED, label) for onset, label in r04.markers]
        in_window = [label for t, label in expected if t_ref - 10.0 / SPEED <= t <= t_ref]
        qtbot.waitUntil(lambda: len(window.traces.frame.markers) == len(in_window),
                        timeout=5000)
        drawn = [label for _, label in window.traces.frame.markers]
        rows = window.traces.rows_on_screen
        filtered = window.signal_reader.state.filtered_names
        montage = window.montage_label.text()
        window.spectrum._next_update = 0.0
        qtbot.waitUntil(lambda: window.spectrum.spectrum()[0] != [], timeout=5000)
        spectrum_names = window.spectrum.spectrum()[0]
    finally:
        _close(window)
        player.stop()
    named = {"T1": "left (T1)", "T2": "right (T2)", "T0": "T0"}
    assert drawn == [named[label] for label in in_window]
    assert {"left (T1)", "right (T2)"} & set(drawn)  # at least one cue of a class
    renamed = list(standard_names(r04.ch_names))
    assert rows == renamed and rows[:3] == ["FC5", "FC3", "FC1"]
    assert list(filtered) == renamed  # the filtered view too (picked by wire names)
    assert spectrum_names == renamed
    assert montage.endswith(", 64/64 channels found")


def test_decision_streams_events_name_the_markers_without_a_config(qtbot, source_id):
    name = f"mon-ev-{uuid.uuid4().hex[:8]}"
    outlet = DecisionOutlet(name, classes=["left", "right"], score_names=["left", "right"],
                            source_id=source_id,
                            metadata={"events": {"left": ["T1"], "right": ["T2"]}})
    window = _window(qtbot, f"no-signal-{uuid.uuid4().hex[:6]}", decisions=name)
    try:
        qtbot.waitUntil(lambda: window.traces.event_classes != {}, timeout=10000)
        classes = window.traces.event_classes
    finally:
        _close(window)
        outlet.close()
    assert classes == {"T1": "left", "T2": "right"}


def test_continuous_output_shows_a_gauge(qtbot, source_id):
    name = f"mon-nf-{uuid.uuid4().hex[:8]}"
    outlet = DecisionOutlet(name, classes=None, score_names=["alpha_O1"],
                            source_id=source_id)
    window = _window(qtbot, f"no-signal-{uuid.uuid4().hex[:6]}", decisions=name)
    values = np.linspace(-2.0, 2.0, 21)
    try:
        qtbot.waitUntil(lambda: window.decision_reader.status == "receiving",
                        timeout=10000)
        for i, value in enumerate(values):
            push = pylsl.local_clock()
            outlet.push(Decision(value=float(value), label=None, scores=np.array([value]),
                                 window_end=push - 0.004, stop_index=i), push)
        qtbot.waitUntil(lambda: window.decisions.history()[0].size == values.size,
                        timeout=10000)
        gauge_visible = window.decisions.gauge.isVisible()
        class_visible = window.decisions.class_plot.isVisible()
        gauge = window.decisions.gauge.value()
    finally:
        _close(window)
        outlet.close()
    assert gauge_visible and not class_visible
    assert gauge == 1000  # the newest value is the top of its recent range


@pytest.mark.realdata
def test_filtered_view_and_band_shading_follow_the_config(qtbot, r02, source_id):
    from bci.dsp import FilterChain

    config = parse_config('[signal]\npicks = "eeg"\n[[filters]]\nkind = "bandpass"\n'
                          'l_freq = 8.0\nh_freq = 30.0\n[online]\nmode = "sliding"\n'
                          'window = 1.0\nstep = 0.1\n[decoder]\nkind = "band-power"\n'
                          'bands = { alpha = [8, 12] }\n')
    name = f"mon-{uuid.uuid4().hex[:10]}"
    player = Player([r02], name=name, source_id=source_id, speed=SPEED, lead=0.3)
    player.open_outlets()
    window = _window(qtbot, name, f"{source_id}-0", config=config, window_seconds=5.0)
    try:
        player.start()
        _wait_samples(qtbot, window, int(3 * r02.sfreq))
        window.traces.set_mode("filtered")
        _wait_samples(qtbot, window, int(7 * r02.sfreq))
        _freeze(qtbot, window)
        frame, curves, times, data = _on_screen(window, "filtered")
        names = window.traces.rows_on_screen
        bands = window.spectrum.bands
    finally:
        _close(window)
        player.stop()
    assert bands == [(8.0, 12.0)]  # the decoder's band, not the filter's pass band
    index = _sample_index(times, player, r02.sfreq)
    scales = wire_scales(player.descriptions[0].units, r02.ch_types)
    received = round_trip(r02.data, scales, np.float32)[:, :index[-1] + 1]
    chain = FilterChain.from_config(config.filters, r02.sfreq, r02.ch_names)
    expected = chain(received)[:, index]
    assert names == list(r02.ch_names)
    # Filtered chunk by chunk in the reader: equal to one call on the whole signal.
    tolerance = 1e-10 * np.abs(expected).max()
    assert np.allclose(data, expected, rtol=0, atol=tolerance)
    # And what is drawn is the envelope of exactly that, centred on its mean.
    assert np.allclose(frame.centres, expected.mean(axis=1), rtol=0, atol=tolerance)
    drawn_y = np.clip((_peaks(expected, frame.ds) - frame.centres[:, None])
                      * frame.gains[:, None] - np.arange(len(names))[:, None],
                      -len(names) - 1.0, 2.0)
    for row, curve in enumerate(curves):
        assert np.allclose(curve[:, 1], drawn_y[row], rtol=0,
                           atol=tolerance * frame.gains[row])


def test_stream_picker_lists_streams_that_appear_later(qtbot, source_id):
    window = MonitorWindow(None, decisions=None, discover=True, discovery_interval=0.3)
    qtbot.addWidget(window)
    window.show()
    name = f"mon-late-{uuid.uuid4().hex[:8]}"
    outlet = None
    try:
        qtbot.waitUntil(lambda: window.discovery.version >= 1, timeout=30000)
        outlet = Outlet(StreamDescription.for_signal(name, "EEG", 250.0, ["Cz"], ["eeg"],
                                                     source_id=source_id))

        def listed() -> bool:
            return any((window.stream_combo.itemData(i) or ("", ""))[0] == name
                       for i in range(window.stream_combo.count()))

        qtbot.waitUntil(listed, timeout=30000)
        index = next(i for i in range(window.stream_combo.count())
                     if (window.stream_combo.itemData(i) or ("", ""))[0] == name)
        window.stream_combo.activated.emit(index)  # what a user's pick does
        qtbot.waitUntil(lambda: window.signal_reader is not None
                        and window.signal_reader.status == "receiving", timeout=30000)
        assert window.signal_reader.state.description.source_id == source_id
    finally:
        _close(window)
        if outlet is not None:
            outlet.close()


def test_command_line_duration_screenshot_and_stats(qtbot, tmp_path, source_id):
    name = f"mon-cli-{uuid.uuid4().hex[:8]}"
    sfreq = 250.0
    description = StreamDescription.for_signal(name, "EEG", sfreq, ["C3", "C4"],
                                               ["eeg", "eeg"], source_id=source_id)
    outlet = Outlet(description)
    stop = threading.Event()

    def feed() -> None:  # a live source at its real rate, 25 samples every 0.1 s
        k, start = 0, pylsl.local_clock()
        while not stop.wait(0.1):
            n = int((pylsl.local_clock() - start) * sfreq) - k
            if n > 0:
                idx = k + np.arange(n)
                outlet.push(np.vstack([np.sin(idx / 10.0), np.cos(idx / 7.0)]) * 2e-5,
                            start + idx / sfreq)
                k += n

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    parser = argparse.ArgumentParser()
    monitor_app.add_arguments(parser)
    shot, stats = tmp_path / "shot.png", tmp_path / "stats.json"
    args = parser.parse_args(["--stream", name, "--decisions", "none", "--duration", "2.5",
                              "--screenshot", str(shot), "--stats", str(stats),
                              "--size", "1400x900"])
    started = time.monotonic()
    try:
        assert monitor_app.run(args) == 0
    finally:
        stop.set()
        feeder.join()
        outlet.close()
    assert time.monotonic() - started < 10.0
    assert not [t.name for t in threading.enumerate() if t.name.startswith("bci-monitor")]
    result = json.loads(stats.read_text())
    assert result["frames"] > 5 and result["fps"] > 2
    assert 0 < result["frame_ms"]["p50"] <= result["frame_ms"]["p99"]
    assert result["stream"] == name and result["channels_on_screen"] == 2
    # The last frame: per bin of ds samples a min and a max, then the 1 to ds newest
    # samples one by one (every sample when ds is 1).
    drawn = result["traces"]
    n, ds = drawn["samples_on_screen"], drawn["samples_per_bin"]
    assert 0 < n <= 2500  # at most the 10 s window at 250 Hz
    n_bins = (n - 1) // ds if ds > 1 else 0
    assert drawn["points_per_channel"] == 2 * n_bins + n - n_bins * ds
    image = QtGui.QImage(str(shot))
    assert (image.width(), image.height()) == (1400, 900)


def test_command_line_errors_are_one_line(tmp_path):
    from bci.errors import BciError

    parser = argparse.ArgumentParser()
    monitor_app.add_arguments(parser)
    with pytest.raises(BciError, match="no such file"):
        monitor_app.run(parser.parse_args(["--config", str(tmp_path / "missing.toml")]))
    with pytest.raises(BciError, match="--duration must be positive"):
        monitor_app.run(parser.parse_args(["--duration", "0"]))
    with pytest.raises(BciError, match=r"ending in \.png"):
        monitor_app.run(parser.parse_args(["--screenshot", str(tmp_path / "x.jpg")]))


def _view_point(window: MonitorWindow, x: float, y: float):
    """Widget coordinates in the traces' plot of data point (x, y)."""
    scene = window.traces.view_box.mapViewToScene(QtCore.QPointF(x, y))
    return window.traces.plot.mapFromScene(scene)


def test_keys_mouse_and_paging(qtbot, source_id):
    name = f"mon-keys-{uuid.uuid4().hex[:8]}"
    names = [f"c{k:02d}" for k in range(1, 71)]
    outlet = Outlet(StreamDescription.for_signal(name, "EEG", 100.0, names,
                                                 ["eeg"] * 68 + ["emg"] * 2,
                                                 source_id=source_id))
    config = parse_config('[signal]\npicks = "eeg"\n[[filters]]\nkind = "highpass"\n'
                          'l_freq = 1.0\n[online]\nwindow = 1.0\n[decoder]\n'
                          'kind = "band-power"\n')
    window = _window(qtbot, name, source_id, config=config)
    traces = window.traces
    try:
        window.activateWindow()
        qtbot.waitUntil(lambda: len(traces.rows_on_screen) == 64, timeout=10000)
        k = np.arange(300)
        base = pylsl.local_clock() - 3.0
        outlet.push(np.sin(k / 4.0)[None, :] * np.linspace(1e-5, 8e-5, 70)[:, None],
                    base + k / 100.0)
        qtbot.waitUntil(lambda: window.frames >= 1, timeout=10000)
        key = QtCore.Qt.Key
        scale = traces.scale
        qtbot.keyClick(window, key.Key_Up)
        assert traces.scale == pytest.approx(scale / 1.25)
        qtbot.keyClick(window, key.Key_Minus)
        assert traces.scale == pytest.approx(scale)
        qtbot.keyClick(window, key.Key_BracketRight)
        assert traces.window_seconds == 11.0
        qtbot.keyClick(window, key.Key_Space)
        assert traces.paused
        qtbot.keyClick(window, key.Key_Space)
        assert not traces.paused
        qtbot.keyClick(window, key.Key_PageDown)
        assert traces.rows_on_screen[0] == "c07"  # 70 channels, 64 per page: the last 64
        qtbot.keyClick(window, key.Key_PageUp)
        assert traces.rows_on_screen[0] == "c01"
        # A click selects the channel under the pointer; Shift+Up scales it alone.
        qtbot.mouseClick(traces.plot.viewport(), QtCore.Qt.MouseButton.LeftButton,
                         pos=_view_point(window, -1.0, -2.0))
        assert traces.selected_channel == "c03"
        qtbot.keyClick(window, key.Key_Up, QtCore.Qt.KeyboardModifier.ShiftModifier)
        assert traces.channel_gain("c03") == pytest.approx(1.25 * traces.channel_gain("c04"))
        # The wheel scales every channel; Shift+wheel the one under the pointer.
        point = QtCore.QPointF(_view_point(window, -1.0, -5.0))
        for modifiers in (QtCore.Qt.KeyboardModifier.NoModifier,
                          QtCore.Qt.KeyboardModifier.ShiftModifier):
            event = QtGui.QWheelEvent(point, traces.plot.viewport().mapToGlobal(point),
                                      QtCore.QPoint(), QtCore.QPoint(0, 120),
                                      QtCore.Qt.MouseButton.NoButton, modifiers,
                                      QtCore.Qt.ScrollPhase.NoScrollPhase, False)
            QtWidgets.QApplication.sendEvent(traces.plot.viewport(), event)
        assert traces.scale == pytest.approx(scale / 1.25)
        assert traces.channel_gain("c06") == pytest.approx(1.25 * traces.channel_gain("c07"))
        # Channels by type: the two EMG channels alone.
        traces.type_combo.setCurrentText("emg")
        assert traces.rows_on_screen == ["c69", "c70"]
        traces.type_combo.setCurrentText("all types")
        # F: through the pipeline's filters, which pick the 68 EEG channels only.
        qtbot.keyClick(window, key.Key_F)
        assert traces.mode == "filtered"
        qtbot.keyClick(window, key.Key_PageDown)
        assert traces.rows_on_screen[-1] == "c68"
    finally:
        _close(window)
        outlet.close()



def _white_noise_panel(qtbot, data: np.ndarray, sfreq: float):
    """A spectrum panel fed ``data`` through a ring, as the reader thread feeds it."""
    from bci.stream import RingBuffer
    from bci_apps.readers import SignalState
    from bci_apps.spectrum import SpectrumPanel

    names = [f"E{k}" for k in range(data.shape[0])]
    description = StreamDescription.for_signal("noise", "EEG", sfreq, names,
                                               ["eeg"] * len(names))
    ring = RingBuffer(data.shape[0], data.shape[1])
    ring.write(data, np.arange(data.shape[1]) / sfreq)
    panel = SpectrumPanel()
    qtbot.addWidget(panel)
    assert panel.refresh(SignalState(generation=1, description=description, ring=ring),
                         names, "raw", force=True)
    return panel


def test_spectrum_of_white_noise_is_flat_and_a_sinusoid_does_not_leak(qtbot):
    # PhysioNet's rate. The panel's default 4 s span gives 7 half-overlapping 1 s Hann
    # segments: each channel's estimate is bumpy (the variance of a 7-segment average),
    # but the bumps are noise, not a pattern: averaged over 64 independent channels the
    # spectrum is flat, and two disjoint spans share no bump pattern. An artifact of
    # the window or the segmenting (a comb, a ripple) would survive both averages.
    from scipy.signal import welch

    sfreq = 160.0
    rng = np.random.default_rng(17)
    data = rng.standard_normal((64, 1280)) * 1e-5  # 10 µV white noise, 8 s
    panel = _white_noise_panel(qtbot, data[:, :640], sfreq)
    _, freqs, psd = panel.spectrum()
    later = _white_noise_panel(qtbot, data[:, 640:], sfreq).spectrum()[2]
    # Exactly scipy's Welch over the same samples (µV²/Hz).
    _, expected = welch(data[:, :640], fs=sfreq, nperseg=160, axis=-1)
    assert np.allclose(psd, expected * 1e12, rtol=1e-10, atol=0)
    assert panel.resolution == "1 Hz bins, 7 segments"  # written on the frequency axis
    inner = (freqs >= 2.0) & (freqs <= sfreq / 2 - 2.0)  # DC removal and Nyquist aside
    level = 10 * np.log10(2 * 1e-10 / sfreq * 1e12)  # white noise: 2 sigma^2 / fs
    mean_db = 10 * np.log10(psd[:, inner].mean(axis=0))
    assert np.abs(mean_db - level).max() < 1.0  # flat within ±1 dB (measured: 0.68)
    single = 10 * np.log10(psd[:, inner])
    spread = single.std(axis=1).mean()
    assert 1.0 < spread < 2.5  # one channel's bumps: the 7-segment variance (1.7 dB)
    pattern = single - single.mean(axis=1, keepdims=True)
    again = 10 * np.log10(later[:, inner])
    again -= again.mean(axis=1, keepdims=True)
    shared = np.mean([np.corrcoef(a, b)[0, 1] for a, b in zip(pattern, again, strict=True)])
    assert abs(shared) < 0.1  # disjoint spans: no common ripple
    # A 10.3 Hz sinusoid: one peak; 5 Hz away it is 40 dB down with the Hann window
    # (a rectangular window would leak to 24 dB down).
    t = np.arange(640) / sfreq
    tone = np.sin(2 * np.pi * 10.3 * t)[None] * 1e-5 + data[:1, :640] * 1e-3
    _, tfreqs, tpsd = _white_noise_panel(qtbot, tone, sfreq).spectrum()
    assert tfreqs[np.argmax(tpsd[0])] == 10.0
    assert 10 * np.log10(tpsd[0].max() / tpsd[0][tfreqs == 15.0][0]) > 40.0


def test_spectrum_power_axis_moves_in_half_decades_only_when_needed():
    from bci_apps.spectrum import log_range

    rng = np.random.default_rng(0)
    current, changes = None, 0
    for _ in range(200):  # a spectrum wobbling by +-0.2 decades around 1..1000 µV²/Hz
        low, high = 0.0 + rng.uniform(-0.2, 0.2), 3.0 + rng.uniform(-0.2, 0.2)
        new = log_range(low, high, current)
        assert new[0] <= low and high <= new[1]  # the curves are always on the plot
        assert (new[0] * 2).is_integer() and (new[1] * 2).is_integer()
        changes += new != current
        current = new
    assert changes <= 3  # set a few times, not on every update
    # Much quieter now (3 decades less): the axis follows instead of squashing it.
    assert log_range(-3.0, -1.0, current) == (-3.0, -1.0)
