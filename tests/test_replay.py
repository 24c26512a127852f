"""Replay: honest timestamps, loops, virtual clock = live, real recordings sample-exact."""

from __future__ import annotations

import numpy as np
import pylsl
import pytest

from bci.replay import (
    LOOP_MARKER,
    MarkerItem,
    Player,
    ReplaySource,
    SignalItem,
    VirtualChunk,
    VirtualMarker,
    iter_virtual,
    schedule,
)
from bci.stream import Inlet, MarkerInlet
from bci.stream.units import round_trip, wire_scales
from tests.lsl_helpers import receive


def _source(n_times: int, sfreq: float = 100.0, markers=()) -> ReplaySource:
    data = np.vstack([np.sin(np.arange(n_times) / 7.0) * 1e-5, np.arange(n_times)])
    return ReplaySource(name="s", stype="EEG", data=data, sfreq=sfreq,
                        ch_names=("Cz", "counter"), ch_types=("eeg", "misc"),
                        markers=tuple(markers))


def test_schedule_stamps_every_sample_at_its_due_time():
    source = _source(1000, sfreq=250.0)
    items = [i for i in schedule([source], chunk=32, speed=4.0, t0=100.0)
             if isinstance(i, SignalItem)]
    times = np.concatenate([i.times for i in items])
    expected = 100.0 + np.arange(1000) / 250.0 / 4.0
    assert np.array_equal(times, expected)  # no accumulated error: from t0 and k
    assert all(i.due == i.times[-1] for i in items)  # a chunk is due with its last sample
    assert sum(i.stop - i.start for i in items) == 1000


def test_loop_on_exact_multiple_of_chunk_never_repushes():
    """A file 10 chunks long, looped: every sample once per lap, a marker at each wrap."""
    source = _source(320, markers=[(0.5, "go")])
    items = []
    for item in schedule([source], chunk=32, loop=True):
        items.append(item)
        if isinstance(item, SignalItem) and item.sample >= 3 * 320:
            break
    signal = [i for i in items if isinstance(i, SignalItem)]
    samples = np.concatenate([source.data[1, i.start:i.stop] for i in signal])
    laps = samples[:3 * 320].reshape(3, 320)
    assert np.array_equal(laps, np.tile(np.arange(320), (3, 1)))
    globals_ = np.concatenate([i.sample + np.arange(i.stop - i.start) for i in signal])
    assert np.array_equal(globals_, np.arange(globals_.size))  # time keeps running
    loop_markers = [i for i in items if isinstance(i, MarkerItem) and i.label == LOOP_MARKER]
    assert [m.due for m in loop_markers] == pytest.approx([3.2, 6.4, 9.6])
    go = [i.due for i in items if isinstance(i, MarkerItem) and i.label == "go"]
    assert go == pytest.approx([0.5, 3.7, 6.9])
    dues = [i.due for i in items]
    assert dues == sorted(dues)


def test_player_never_stamps_the_future_and_matches_virtual_clock(source_id):
    source = _source(600, sfreq=200.0, markers=[(0.25, "a"), (1.5, "b")])
    player = Player([source], chunk=8, source_id=source_id, speed=2.0, lead=0.3)
    player.open_outlets()
    with Inlet(source_id=f"{source_id}-0", timeout=5) as inlet, \
            MarkerInlet(source_id=f"{source_id}-markers", timeout=5) as markers:
        player.record_lateness = True
        player.start()
        data, times, received_markers = receive(inlet, 600, markers=markers, timeout=20)
        player.stop()
    assert min(player.lateness) >= 0.0  # pushed at or after the due time, never before
    virtual = list(iter_virtual([source], chunk=8, speed=2.0, t0=player.t0))
    vdata = np.concatenate([v.chunk.data for v in virtual if isinstance(v, VirtualChunk)],
                           axis=1)
    vtimes = np.concatenate([v.chunk.times for v in virtual if isinstance(v, VirtualChunk)])
    assert np.array_equal(data, vdata)  # bit for bit
    assert np.max(np.abs(times - vtimes)) < 1e-3  # clock correction only
    vmarkers = [v.marker for v in virtual if isinstance(v, VirtualMarker)]
    assert [m.label for m in received_markers] == [m.label for m in vmarkers] == ["a", "b"]
    for got, want in zip(received_markers, vmarkers, strict=True):
        assert got.time == pytest.approx(want.time, abs=1e-3)
    assert inlet.gaps == []


def _real_files(root):
    return {
        "edf": root / "physionet-eegmmidb/S001/S001R04.edf",
        "fif": root / "ssvep-exoskeleton/subject01/record-[2012.07.06-19.06.14]_raw.fif",
        "gdf": root / "ssvep-exoskeleton/subject01/record-[2012.07.06-19.02.16].gdf",
        "muse-csv": root / "eeg-notebooks-muse/visual/P300/subject1/session1/"
                           "data_2017-02-04-15_55_07.csv.gz",
        "myo-txt": root / "uci-emg-gestures/subject01/1_raw_data_13-12_22.03.16.txt.gz",
    }


@pytest.mark.realdata
@pytest.mark.parametrize("kind", ["edf", "fif", "gdf", "muse-csv", "myo-txt"])
def test_real_recording_replays_sample_exact(kind, shared_recordings, source_id):
    """8 s of each real format: every sample back in order, equal after float32 µV,
    markers with the right labels at the right times."""
    from bci.io import read_recording
    from tests.lsl_helpers import with_counter

    raw = read_recording(_real_files(shared_recordings)[kind])
    raw = with_counter(raw.crop(tmax=min(8.0, raw.times[-1]), include_tmax=False))
    source = ReplaySource.from_raw(raw, "real")
    speed = 4.0
    player = Player([source], source_id=source_id, speed=speed, lead=0.3)
    player.open_outlets()
    with Inlet(source_id=f"{source_id}-0", timeout=5) as inlet, \
            MarkerInlet(source_id=f"{source_id}-markers", timeout=5) as markers:
        player.start()
        data, times, got_markers = receive(inlet, raw.n_times, markers=markers, timeout=30)
        player.stop()
    assert data.shape[1] == raw.n_times
    assert np.array_equal(data[-1], np.arange(raw.n_times))  # none lost, doubled, reordered
    desc = player.descriptions[0]
    expected = round_trip(raw.get_data(), wire_scales(desc.units, desc.ch_types), np.float32)
    assert np.array_equal(data, expected)
    assert inlet.description.ch_names == tuple(raw.ch_names)
    assert [m.label for m in got_markers] == [label for _, label in source.markers]
    for marker, (onset, _) in zip(got_markers, source.markers, strict=True):
        index = int(round(onset * raw.info["sfreq"]))
        assert marker.time == pytest.approx(times[index], abs=1e-3)


@pytest.mark.realdata
def test_labrecorder_xdf_replays_every_stream(shared_recordings, source_id):
    """The real multi-rate XDF file: every non-empty stream on its own outlet and rate."""
    from bci.io import read_streams
    from bci.replay.files import sources_from_file

    path = (shared_recordings
            / "muselsl-xdf/sub-P001/sub-P001_ses-S001_task-Default_run-001_eeg.xdf")
    streams = read_streams(path)
    sources = sources_from_file(path)
    assert len(sources) == len(streams) >= 3
    player = Player(sources, source_id=source_id, speed=4.0, lead=0.3)
    player.open_outlets()
    inlets = [Inlet(source_id=f"{source_id}-{i}", timeout=5).open()
              for i in range(len(sources))]
    try:
        player.start()
        for inlet, source in zip(inlets, sources, strict=True):
            assert inlet.sfreq == source.sfreq
        assert player.wait(timeout=60)
        for inlet, source in zip(inlets, sources, strict=True):
            data, _, _ = receive(inlet, source.n_times, timeout=10)
            desc = inlet.description
            expected = round_trip(source.data, wire_scales(desc.units, desc.ch_types),
                                  np.float32)
            assert np.array_equal(data, expected), f"stream {source.name} differs"
    finally:
        for inlet in inlets:
            inlet.close()
        player.stop()


def test_replay_speed_keeps_the_nominal_rate(source_id):
    """--speed compresses timestamps, but the stream still announces the file's rate."""
    source = _source(400, sfreq=100.0)
    player = Player([source], source_id=source_id, speed=10.0, lead=0.2)
    player.open_outlets()
    with Inlet(source_id=f"{source_id}-0", timeout=5) as inlet:
        player.start()
        _, times, _ = receive(inlet, 400, timeout=10)
        player.stop()
        assert inlet.sfreq == 100.0
        assert inlet.gaps == []  # the announced speed keeps the gap detector right
    assert np.median(np.diff(times)) == pytest.approx(1 / 1000, rel=1e-3)
    assert pylsl.local_clock() >= times[-1]
