"""A live session survives the faults real hardware produces, on a real recording.

The replay injects each fault (bci.replay.faults); a Session decodes the stream; the
stats must count each fault exactly and no decision may come from a window that spans a
gap or holds repaired (NaN) samples.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from bci.outputs import Collector
from bci.pipeline.config import load_config
from bci.pipeline.pipeline import Pipeline
from bci.replay import Player, ReplaySource
from bci.replay.faults import parse_faults
from bci.runtime import LiveSource, Session
from bci.stream import Inlet
from tests.lsl_helpers import with_counter

ROOT = Path(__file__).resolve().parents[1]
ALPHA = ROOT / "docs/configs/alpha-eyes-closed.toml"
SPEED = 4.0


def _session_through_faults(raw, spec: str, source_id: str, seconds: float):
    source = ReplaySource.from_raw(with_counter(raw), "faulty")
    player = Player([source], speed=SPEED, chunk=8, lead=0.3, source_id=source_id,
                    faults=parse_faults(spec))
    player.open_outlets()
    inlet = Inlet(source_id=f"{source_id}-0", timeout=5).open()
    d = inlet.description
    pipeline = Pipeline(load_config(ALPHA), sfreq=d.sfreq, ch_names=d.ch_names,
                        ch_types=d.ch_types)
    # What the session produced, through its public result: every step's chunk (the
    # counter channel tells which samples arrived), decisions and status events.
    collector = Collector(chunks=True)
    session = Session(LiveSource(inlet), pipeline, sinks=[collector])
    session.start()
    player.start()
    try:
        assert player.wait(timeout=seconds / SPEED + 20)
        deadline = time.monotonic() + 5
        expected = source.n_times - sum(player.lost_samples)
        while inlet.n_received < expected and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
    finally:
        session.stop()
        session.close()
        player.stop()
    counters = [chunk.data[-1] for chunk in collector.chunks]
    received = np.concatenate(counters) if counters else np.empty(0)
    events = [event.message for event in collector.events]
    return player, inlet, session, events, received, collector.decisions


def _missing_runs(received: np.ndarray) -> list[int]:
    """Lengths of the runs of sample numbers that never arrived."""
    steps = np.diff(received)
    assert np.all(steps >= 1), "a sample arrived twice or out of order"
    return [int(s) - 1 for s in steps if s > 1]


def _spans(decisions, length, index):
    return [d for d in decisions if d.stop_index - length < index < d.stop_index]


@pytest.fixture(scope="module")
def eyes_open(shared_recordings):
    from bci.io import read_recording

    return read_recording(shared_recordings / "physionet-eegmmidb/S001/S001R01.edf")


@pytest.mark.realdata
def test_outlet_restarted_five_times(eyes_open, source_id):
    """Five outages (one longer than a second): each is one gap of exactly the lost
    samples, the session keeps decoding, no window spans an outage."""
    raw = eyes_open.copy().crop(tmax=50.0, include_tmax=False)
    spec = "restart@5:0.4,restart@12:0.4,restart@19:1.6,restart@32:0.4,restart@40:0.4"
    player, inlet, session, events, received, decisions = _session_through_faults(
        raw, spec, source_id, 50.0)
    assert player.n_restarts == 5
    # Each outage is one gap counting exactly the samples that never arrived: those the
    # source lost while off, plus those pushed before the inlet had reconnected.
    missing = _missing_runs(received)
    assert len(missing) == 5
    assert [g.n_missing for g in inlet.gaps] == missing
    assert all(m >= lost for m, lost in zip(missing, player.lost_samples, strict=True))
    counters = session.stats.counters
    assert counters["gaps"] == 5 and counters["samples_missing"] == sum(missing)
    assert counters["restarts"] == 5  # filters and windows re-synchronised each time
    assert counters.get("stalls", 0) >= 1  # the 1.6 s outage was noticed as a stall
    assert any(e.startswith("stalled") for e in events)
    assert sum(e.startswith("gap") for e in events) == 5
    length = int(round(load_config(ALPHA).window * raw.info["sfreq"]))
    for gap in inlet.gaps:
        assert _spans(decisions, length, gap.index) == []
    last_gap = inlet.gaps[-1].index
    assert any(d.stop_index >= last_gap + length for d in decisions)
    assert all(np.isfinite(d.value) for d in decisions)


@pytest.mark.realdata
def test_dropped_samples_are_one_gap_and_no_window_spans_it(eyes_open, source_id):
    raw = eyes_open.copy().crop(tmax=20.0, include_tmax=False)
    _, inlet, session, _, received, decisions = _session_through_faults(
        raw, "drop@8:100", source_id, 20.0)
    assert [g.n_missing for g in inlet.gaps] == [100] == _missing_runs(received)
    gap = inlet.gaps[0]
    assert gap.index == int(round(8 * raw.info["sfreq"]))
    length = int(round(load_config(ALPHA).window * raw.info["sfreq"]))
    assert _spans(decisions, length, gap.index) == []
    assert session.stats.counters["samples_missing"] == 100


@pytest.mark.realdata
def test_nan_burst_is_counted_withheld_and_never_reaches_the_filters(eyes_open, source_id):
    raw = eyes_open.copy().crop(tmax=20.0, include_tmax=False)
    _, inlet, session, events, received, decisions = _session_through_faults(
        raw, "nan@8:32", source_id, 20.0)
    burst = ~np.isfinite(received)  # the counter channel was hit by the burst too
    assert np.count_nonzero(burst) == 32
    assert _missing_runs(received[~burst]) == [32]  # the NaN samples, and nothing else
    counters = session.stats.counters
    assert counters["nonfinite_samples"] == 32
    assert counters["withheld_windows"] >= 1
    assert inlet.gaps == []
    first = int(round(8 * raw.info["sfreq"]))
    length = int(round(load_config(ALPHA).window * raw.info["sfreq"]))
    for d in decisions:  # no decision from a window holding a repaired sample
        assert not (d.stop_index - length < first + 32 and d.stop_index > first)
    assert all(np.isfinite(d.value) and np.all(np.isfinite(d.scores))
               for d in decisions)
    assert any(d.stop_index > first + 32 + length for d in decisions)
    assert np.all(np.isfinite(session.pipeline.filters.filter.zi_))
    assert any(e.startswith("nonfinite") for e in events)


def test_bad_fault_spec_is_one_line():
    from bci.errors import ConfigError

    for spec in ("drop10:100", "melt@3:1", "drop@-1:5", "drop@nan:5", "drop@1:inf"):
        with pytest.raises(ConfigError) as info:
            parse_faults(spec)
        assert "\n" not in str(info.value)
