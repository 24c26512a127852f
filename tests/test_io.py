"""bci.io: every format reads into MNE Raw(s) with events as annotations, or fails cleanly.

Real recordings come from ``../shared/recordings`` (the ``shared_recordings`` fixture
skips without them); small files of formats not in that set (BrainVision, EEGLAB, BDF,
XDF with markers) are written here by hand so that the reader is checked against values
known in advance, not against itself.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
import shutil
import struct
from collections import Counter
from pathlib import Path

import mne
import numpy as np
import pytest
import pyxdf
import scipy.io
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bci.errors import RecordingError
from bci.io import (
    RecordedStream,
    format_summary,
    read_recording,
    read_streams,
    summarize,
)

R04 = "physionet-eegmmidb/S001/S001R04.edf"
SSVEP_FIF = sorted(
    [
        "ssvep-exoskeleton/subject01/record-[2012.07.06-19.02.16]_raw.fif",
        "ssvep-exoskeleton/subject01/record-[2012.07.06-19.06.14]_raw.fif",
        "ssvep-exoskeleton/subject03/record-[2012.07.11-15.25.23]_raw.fif",
        "ssvep-exoskeleton/subject03/record-[2012.07.11-15.33.08]_raw.fif",
    ]
)
SSVEP_GDF = "ssvep-exoskeleton/subject01/record-[2012.07.06-19.02.16].gdf"
MUSE_SSVEP = "eeg-notebooks-muse/visual/SSVEP/subject1/session1/data_2017-09-14-21.20.04.csv.gz"
MUSE_P300 = "eeg-notebooks-muse/visual/P300/subject1/session1/data_2017-02-04-15_45_13.csv.gz"
MYO_FILES = [
    "uci-emg-gestures/subject01/1_raw_data_13-12_22.03.16.txt.gz",
    "uci-emg-gestures/subject36/2_raw_data_13-04_15.04.16.txt.gz",
]
MUSE_XDF = "muselsl-xdf/sub-P001/sub-P001_ses-S001_task-Default_run-001_eeg.xdf"
GESTURES = {
    1: "rest",
    2: "fist",
    3: "wrist_flexion",
    4: "wrist_extension",
    5: "radial_deviation",
    6: "ulnar_deviation",
    7: "extended_palm",
}


def assert_one_line_error(path: Path, excinfo: pytest.ExceptionInfo[RecordingError]) -> None:
    message = str(excinfo.value)
    assert path.name in message
    assert "\n" not in message and "\r" not in message


# --------------------------------------------------------------------------- writers
# Minimal writers for formats the shared set lacks; each follows the format's spec.


def _xdf_varlen(n: int) -> bytes:
    if n < 256:
        return bytes([1, n])
    if n < 2**32:
        return b"\x04" + struct.pack("<I", n)
    return b"\x08" + struct.pack("<Q", n)


def _xdf_chunk(tag: int, content: bytes) -> bytes:
    body = struct.pack("<H", tag) + content
    return _xdf_varlen(len(body)) + body


def write_xdf(path: Path, streams: list[dict]) -> None:
    """XDF 1.0: file header, then per stream a header and one samples chunk."""
    chunks = [b"XDF:", _xdf_chunk(1, b'<?xml version="1.0"?><info><version>1.0</version></info>')]
    for sid, s in enumerate(streams, start=1):
        fmt = s.get("fmt", "float32")
        desc = ""
        if s.get("channels"):
            desc = "<desc><channels>"
            for label, ch_type, unit in s["channels"]:
                desc += f"<channel><label>{label}</label><type>{ch_type}</type>"
                desc += f"<unit>{unit}</unit></channel>"
            desc += "</channels></desc>"
        xml = (
            f'<?xml version="1.0"?><info><name>{s["name"]}</name><type>{s["type"]}</type>'
            f"<channel_count>{s['n_channels']}</channel_count>"
            f"<nominal_srate>{s['srate']}</nominal_srate>"
            f"<channel_format>{fmt}</channel_format><source_id>test{sid}</source_id>"
            f"{desc}</info>"
        )
        chunks.append(_xdf_chunk(2, struct.pack("<I", sid) + xml.encode()))
        times = s["times"]
        if len(times):
            body = bytearray(struct.pack("<I", sid)) + _xdf_varlen(len(times))
            for t, value in zip(times, s["values"], strict=True):
                body += b"\x08" + struct.pack("<d", t)
                if fmt == "string":
                    encoded = value.encode()
                    body += _xdf_varlen(len(encoded)) + encoded
                else:
                    body += np.asarray(value, dtype="<f4").tobytes()
            chunks.append(_xdf_chunk(3, bytes(body)))
    path.write_bytes(b"".join(chunks))


def _ascii(value: object, width: int) -> bytes:
    return str(value).encode("ascii").ljust(width, b" ")


def write_bdf(path: Path, digital: np.ndarray, labels: list[str], units: list[str]) -> None:
    """BioSemi BDF at 256 Hz, 1-s records, 24-bit samples, physical ±262144 µV."""
    n_ch, n = digital.shape
    spr = 256
    n_rec = n // spr
    header = b"\xffBIOSEMI" + _ascii("X", 80) + _ascii("X", 80) + b"01.01.2400.00.00"
    header += _ascii(256 * (n_ch + 1), 8) + _ascii("24BIT", 44) + _ascii(n_rec, 8)
    header += _ascii(1, 8) + _ascii(n_ch, 4)
    for values, width in ((labels, 16), ([""] * n_ch, 80), (units, 8)):
        header += b"".join(_ascii(v, width) for v in values)
    for limit in (-262144, 262143, -8388608, 8388607):
        header += _ascii(limit, 8) * n_ch
    header += _ascii("", 80) * n_ch + _ascii(spr, 8) * n_ch + _ascii("", 32) * n_ch
    records = digital[:, : n_rec * spr].astype("<i4").reshape(n_ch, n_rec, spr)
    three_bytes = records.transpose(1, 0, 2).reshape(-1, 1).view(np.uint8)[:, :3]
    path.write_bytes(header + three_bytes.tobytes())


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def small_files(shared_recordings: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Small real files (cut from the shared recordings) for corruption tests."""
    out = tmp_path_factory.mktemp("small")
    raw = mne.io.read_raw_edf(shared_recordings / R04, preload=True, verbose="error")
    raw.pick(raw.ch_names[:4]).crop(0, 4 - 1 / 160)  # exactly four 1-s records
    mne.export.export_raw(out / "small.edf", raw, fmt="edf", verbose="error")
    fif = mne.io.read_raw_fif(shared_recordings / SSVEP_FIF[0], preload=True, verbose="error")
    fif.crop(0, 2).save(out / "small_raw.fif", verbose="error")
    with gzip.open(shared_recordings / MUSE_P300, "rt") as f:
        (out / "small.csv").write_text("".join(f.readlines()[:300]))
    with gzip.open(shared_recordings / MYO_FILES[0], "rt") as f:
        lines = f.readlines()
    (out / "small.txt").write_text(lines[0] + "".join(lines[2300:2700]))
    shutil.copy(shared_recordings / MUSE_XDF, out / "small.xdf")
    return {p.suffix: p for p in out.iterdir()}


# --------------------------------------------------------------------------- PhysioNet EDF


def test_physionet_edf_channels_rate_and_events_match_mne(shared_recordings: Path) -> None:
    path = shared_recordings / R04
    raw = read_recording(path)
    direct = mne.io.read_raw_edf(path, preload=True, verbose="error")
    assert raw.get_channel_types() == ["eeg"] * 64
    assert raw.info["sfreq"] == 160.0 and raw.n_times == 20000
    assert raw.ch_names == direct.ch_names
    np.testing.assert_array_equal(raw.get_data(), direct.get_data())
    # Counts as the file's EDF+ annotations give them (15 rest, 8 left, 7 right).
    assert Counter(raw.annotations.description) == Counter(direct.annotations.description)
    assert Counter(raw.annotations.description) == {"T0": 15, "T1": 8, "T2": 7}
    np.testing.assert_array_equal(raw.annotations.onset, direct.annotations.onset)


def test_summarize_physionet_run(shared_recordings: Path) -> None:
    summary = summarize(shared_recordings / R04)
    json.dumps(summary)  # JSON-serialisable as `bci info --json` prints it
    assert summary["format"] == "EDF"
    assert summary["events"] == {"T0": 15, "T1": 8, "T2": 7}
    assert summary["duration_s"] == pytest.approx(125.0)
    (stream,) = summary["streams"]
    assert stream["n_channels"] == 64 and stream["sfreq"] == 160.0
    assert stream["n_samples"] == 20000 and stream["first_time"] == 0.0
    assert {ch["type"] for ch in stream["channels"]} == {"eeg"}
    assert {ch["unit"] for ch in stream["channels"]} == {"V"}
    text = format_summary(summary)
    assert "64 eeg [V]: Fc5., Fc3." in text and "…" in text
    assert "T1 ×8" in text and "T2 ×7" in text


# --------------------------------------------------------------------------- SSVEP FIF/GDF


@pytest.mark.parametrize("name", SSVEP_FIF)
def test_fif_sibling_events_become_annotations(shared_recordings: Path, name: str) -> None:
    path = shared_recordings / name
    raw = read_recording(path)
    events = mne.read_events(str(path).replace("_raw.fif", "-eve.fif"), verbose="error")
    assert Counter(raw.annotations.description) == {"1": 8, "2": 8, "3": 8, "4": 8}
    assert set(raw.annotations.duration) == {0.0}
    # Back to events through MNE: the very samples and codes of the -eve.fif.
    back, _ = mne.events_from_annotations(raw, event_id=int, verbose="error")
    np.testing.assert_array_equal(back[:, 0], events[:, 0])
    np.testing.assert_array_equal(back[:, 2], events[:, 2])
    assert raw.get_channel_types() == ["eeg"] * 8 and raw.info["sfreq"] == 256.0


def test_fif_gz_with_sibling_events(shared_recordings: Path, tmp_path: Path) -> None:
    source = shared_recordings / SSVEP_FIF[0]
    with open(source, "rb") as f, gzip.open(tmp_path / "rec_raw.fif.gz", "wb") as g:
        shutil.copyfileobj(f, g)
    shutil.copy(str(source).replace("_raw.fif", "-eve.fif"), tmp_path / "rec-eve.fif")
    raw = read_recording(tmp_path / "rec_raw.fif.gz")
    plain = read_recording(source)
    np.testing.assert_array_equal(raw.get_data(), plain.get_data())
    np.testing.assert_array_equal(raw.annotations.onset, plain.annotations.onset)


def test_fif_first_samp_stim_channel_and_events_file(tmp_path: Path) -> None:
    # A FIF cut from a longer acquisition (first_samp 2500) with a stim channel.
    info = mne.create_info(["Cz", "Pz", "STI 014"], 100.0, ["eeg", "eeg", "stim"])
    data = np.random.default_rng(0).normal(0, 1e-5, (3, 1000))
    data[2] = 0
    data[2, [100, 400]] = 3
    data[2, 700] = 5
    raw = mne.io.RawArray(data, info, first_samp=2500, verbose="error")
    raw.save(tmp_path / "cut_raw.fif", verbose="error")
    got = read_recording(tmp_path / "cut_raw.fif")
    # Stim triggers become annotations, counted from the first sample of the data.
    assert got.first_samp == 0
    assert list(got.annotations.description) == ["3", "3", "5"]
    np.testing.assert_allclose(got.annotations.onset, [1.0, 4.0, 7.0])
    np.testing.assert_allclose(got.get_data(), data, rtol=1e-6)  # FIF stores float32
    # With an events file (absolute samples, as MNE writes them), it wins over the stim.
    mne.write_events(tmp_path / "cut-eve.fif", np.array([[2600, 0, 1], [3000, 0, 2]]))
    got = read_recording(tmp_path / "cut_raw.fif")
    assert list(got.annotations.description) == ["1", "2"]
    np.testing.assert_allclose(got.annotations.onset, [1.0, 5.0])


def test_ssvep_fif_scale_is_flagged(shared_recordings: Path, caplog) -> None:
    # These FIF files store EEG about 1000 times too large to be volts: read as stored,
    # but the user is told.
    with caplog.at_level(logging.WARNING, logger="bci.io"):
        read_recording(shared_recordings / SSVEP_FIF[0])
        read_recording(shared_recordings / R04)
    ours = [r for r in caplog.records if r.name.startswith("bci.io")]
    assert len(ours) == 1 and "not volts" in ours[0].getMessage()
    assert SSVEP_FIF[0].rsplit("/", 1)[1] in ours[0].getMessage()


def test_gdf_matches_the_fif_of_the_same_session(shared_recordings: Path) -> None:
    gdf = read_recording(shared_recordings / SSVEP_GDF)
    fif = read_recording(shared_recordings / SSVEP_FIF[0])
    assert gdf.ch_names == fif.ch_names and gdf.n_times == fif.n_times
    assert gdf.info["sfreq"] == 256.0
    # Same samples; the GDF declares µV, the FIF volts, for the same numbers.
    np.testing.assert_allclose(gdf.get_data() * 1e6, fif.get_data(), rtol=1e-6, atol=1e-12)
    labels = {"33024": "1", "33025": "2", "33026": "3", "33027": "4"}
    ann = gdf.annotations
    is_label = np.isin(ann.description, list(labels))
    order = np.argsort(ann.onset[is_label])
    gdf_codes = [labels[d] for d in ann.description[is_label][order]]
    gdf_samples = np.round(ann.onset[is_label][order] * 256).astype(int)
    fif_order = np.argsort(fif.annotations.onset)
    fif_samples = np.round(fif.annotations.onset[fif_order] * 256).astype(int)
    # Same 32 trials in the same order: the FIF's events are the GDF's class labels...
    assert gdf_codes == list(fif.annotations.description[fif_order])
    # ...placed at OpenViBE's "visual stimulation start" (code 32779) 129 samples
    # (0.504 s) after each label, one sample later than that stimulation code.
    np.testing.assert_array_equal(fif_samples - gdf_samples, 129)
    stim_start = np.round(np.sort(ann.onset[ann.description == "32779"]) * 256).astype(int)
    np.testing.assert_array_equal(fif_samples, stim_start + 1)


# --------------------------------------------------------------------------- Muse CSV


@pytest.mark.parametrize("name", [MUSE_SSVEP, MUSE_P300])
def test_muse_csv_values_and_markers(shared_recordings: Path, name: str) -> None:
    path = shared_recordings / name
    with gzip.open(path, "rt", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    assert header[0] == "timestamps" and header[-1].startswith("Marker")
    raw = read_recording(path)
    assert raw.ch_names == ["TP9", "AF7", "AF8", "TP10", "Right AUX"]
    assert raw.get_channel_types() == ["eeg"] * 5
    assert raw.info["sfreq"] == 256.0 and raw.n_times == len(body)
    expected = np.array([[float(v) for v in row[1:6]] for row in body]).T * 1e-6
    assert raw.get_data().dtype == np.float64
    np.testing.assert_array_equal(raw.get_data(), expected)  # exact, not approximate
    marked = [(i, row[6]) for i, row in enumerate(body) if float(row[6]) != 0]
    samples = np.round(raw.annotations.onset * 256).astype(int)
    # On a sample (MNE keeps annotation onsets to the microsecond).
    np.testing.assert_allclose(raw.annotations.onset * 256, samples, atol=1e-3)
    assert list(zip(samples, raw.annotations.description, strict=True)) == [
        (i, str(int(float(code)))) for i, code in marked
    ]
    (stream,) = read_streams(path)
    assert stream.first_time == float(body[0][0]) and stream.stype == "EEG"


# --------------------------------------------------------------------------- UCI MYO


def _myo_rows(path: Path) -> tuple[list[str], list[list[float]]]:
    with gzip.open(path, "rt", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    return rows[0], [[float(v) for v in row] for row in rows[1:]]


def _dedupe(rows: list[tuple]) -> list[tuple]:
    return [r for i, r in enumerate(rows) if i == 0 or r != rows[i - 1]]


@pytest.mark.parametrize("name", MYO_FILES)
def test_myo_segments_and_values(shared_recordings: Path, name: str) -> None:
    path = shared_recordings / name
    header, rows = _myo_rows(path)
    assert header == ["time"] + [f"channel{i}" for i in range(1, 9)] + ["class"]
    raw = read_recording(path)
    assert raw.info["sfreq"] == 200.0 and raw.get_channel_types() == ["emg"] * 8

    # Segments: a direct scan of the class column, run by run.
    t0 = rows[0][0]
    runs = []
    for i, row in enumerate(rows):
        if i == 0 or row[9] != rows[i - 1][9]:
            runs.append((int(row[9]), (row[0] - t0) / 1000))
    expected = [(GESTURES[code], onset) for code, onset in runs if code != 0]
    got = list(zip(raw.annotations.description, raw.annotations.onset, strict=True))
    assert [g[0] for g in got] == [e[0] for e in expected]
    np.testing.assert_allclose([g[1] for g in got], [e[1] for e in expected], atol=1e-9)
    assert len(expected) == 12 and all(raw.annotations.duration > 1.0)

    # Values: the file's volts, every distinct sample exactly once, in order, nothing
    # invented (held ticks repeat the previous value, as the logger's rows do).
    file_samples = _dedupe([tuple(row[1:9]) for row in rows])
    raw_samples = _dedupe([tuple(col) for col in raw.get_data().T])
    assert raw_samples == file_samples
    # The grid spans the file's own clock.
    assert raw.n_times / 200 == pytest.approx((rows[-1][0] - t0) / 1000, abs=0.1)
    # The file holds about 100 distinct samples/s, which a 200 Hz grid keeps with room.
    assert 80 < len(file_samples) / raw.times[-1] < 120


# --------------------------------------------------------------------------- XDF


def test_real_xdf_every_stream_at_its_own_rate(shared_recordings: Path) -> None:
    path = shared_recordings / MUSE_XDF
    loaded, _ = pyxdf.load_xdf(str(path))
    non_empty = [s for s in loaded if len(s["time_stamps"])]
    streams = read_streams(path)
    assert len(non_empty) == 3 and len(loaded) == 4  # the empty PPG stream is skipped
    # The default stream (EEG) first, then the others in the file's order.
    assert [s.stype for s in streams] == ["EEG", "ACC", "GYRO"]
    by_type = {s["info"]["type"][0]: s for s in non_empty}
    for got in streams:
        ref = by_type[got.stype]
        assert isinstance(got, RecordedStream)
        assert got.raw.info["sfreq"] == float(ref["info"]["nominal_srate"][0])
        assert got.raw.n_times == len(ref["time_stamps"])
        assert got.first_time == ref["time_stamps"][0]
        factor = 1e-6 if ref["info"]["type"][0] == "EEG" else 1.0  # µV metadata
        np.testing.assert_array_equal(
            got.raw.get_data(), ref["time_series"].T.astype(np.float64) * factor
        )
    eeg = read_recording(path)  # default: the EEG stream
    assert eeg.info["sfreq"] == 256.0 and eeg.get_channel_types() == ["eeg"] * 5
    acc = read_recording(path, stream="ACC")  # every stream is named "Muse": by type
    assert acc.info["sfreq"] == 52.0 and acc.ch_names == ["ACC_X", "ACC_Y", "ACC_Z"]
    with pytest.raises(RecordingError, match="no stream named or typed 'PPG'"):
        read_recording(path, stream="PPG")


def _synthetic_xdf(path: Path) -> dict:
    rng = np.random.default_rng(1)
    eeg = rng.normal(0, 20, (500, 3)).astype(np.float32)  # µV
    emg = rng.normal(0, 50, (1000, 2)).astype(np.float32)
    acc = rng.normal(0, 1, (250, 3)).astype(np.float32)
    start = 1000.0
    streams = [
        {
            "name": "ExG",
            "type": "EEG",
            "srate": 100,
            "n_channels": 3,
            "channels": [
                ("Cz", "EEG", "microvolts"),
                ("Pz", "EEG", "microvolts"),
                ("Oz", "EEG", "microvolts"),
            ],
            "times": start + np.arange(500) / 100,
            "values": eeg,
        },
        {
            "name": "Markers",
            "type": "Markers",
            "srate": 0,
            "n_channels": 1,
            "fmt": "string",
            "times": [start + 1.0, start + 2.5, start - 1.0, start + 4.0],
            "values": ["left", "right", "early", "left"],
        },
        {
            "name": "Arm",
            "type": "EMG",
            "srate": 200,
            "n_channels": 2,
            "times": start + np.arange(1000) / 200,
            "values": emg,
        },
        {
            "name": "Codes",
            "type": "Stim",
            "srate": 0,
            "n_channels": 1,
            "times": [start + 3.0],
            "values": [[7.0]],
        },
        {
            "name": "Gaze",
            "type": "Gaze",
            "srate": 0,
            "n_channels": 2,
            "times": [start + 0.5, start + 0.7],
            "values": [[1, 2], [3, 4]],
        },
        {
            "name": "Acc",
            "type": "ACC",
            "srate": 50,
            "n_channels": 3,
            "times": start + np.arange(250) / 50,
            "values": acc,
        },
        {
            "name": "Silent",
            "type": "EEG",
            "srate": 256,
            "n_channels": 8,
            "times": [],
            "values": [],
        },
    ]
    write_xdf(path, streams)
    return {"eeg": eeg, "emg": emg, "acc": acc}


def test_xdf_markers_on_every_stream_and_stream_kinds(tmp_path: Path, caplog) -> None:
    path = tmp_path / "session.xdf"
    values = _synthetic_xdf(path)
    with caplog.at_level(logging.INFO, logger="bci.io"):
        streams = read_streams(path)
    # Irregular 2-channel numeric and empty streams are skipped, and the skip is logged.
    assert [s.name for s in streams] == ["ExG", "Arm", "Acc"]
    assert "'Gaze'" in caplog.text and "irregular" in caplog.text
    by_name = {s.name: s for s in streams}
    np.testing.assert_array_equal(
        by_name["ExG"].raw.get_data(), values["eeg"].T.astype(np.float64) * 1e-6
    )
    # EMG without unit metadata: LSL's microvolt convention; ACC: kept, misc, no unit.
    np.testing.assert_array_equal(
        by_name["Arm"].raw.get_data(), values["emg"].T.astype(np.float64) * 1e-6
    )
    assert by_name["Arm"].raw.get_channel_types() == ["emg", "emg"]
    assert by_name["Acc"].raw.ch_names == ["ch0", "ch1", "ch2"]
    assert by_name["Acc"].raw.get_channel_types() == ["misc"] * 3
    np.testing.assert_array_equal(by_name["Acc"].raw.get_data(), values["acc"].T)
    for stream in streams:
        assert stream.first_time == pytest.approx(1000.0)
        ann = stream.raw.annotations
        # The marker before every stream's first sample is left off; string and
        # numeric markers merge in time order.
        assert list(ann.description) == ["left", "right", "7", "left"]
        np.testing.assert_allclose(ann.onset, [1.0, 2.5, 3.0, 4.0], atol=1e-6)
    assert read_recording(path).ch_names == ["Cz", "Pz", "Oz"]  # EEG preferred
    assert read_recording(path, stream="Arm").info["sfreq"] == 200.0
    summary = summarize(path)
    json.dumps(summary)
    assert summary["events"] == {"7": 1, "left": 2, "right": 1}
    assert [s["sfreq"] for s in summary["streams"]] == [100.0, 200.0, 50.0]
    assert summary["streams"][2]["channels"][0]["unit"] == "AU"


def test_xdf_without_signal_streams_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "markers_only.xdf"
    write_xdf(
        path,
        [
            {
                "name": "M",
                "type": "Markers",
                "srate": 0,
                "n_channels": 1,
                "fmt": "string",
                "times": [1.0],
                "values": ["go"],
            }
        ],
    )
    with pytest.raises(RecordingError, match="no non-empty signal stream") as excinfo:
        read_recording(path)
    assert_one_line_error(path, excinfo)


def test_xdf_with_impossible_sample_count_fails_fast(tmp_path: Path) -> None:
    # A string chunk claiming 2**32-1 samples would make pyxdf build billions of lists.
    path = tmp_path / "lying.xdf"
    _synthetic_xdf(path)
    data = bytearray(path.read_bytes())
    # The chunk's sample count (varlen 1 byte: 4) sits before the first sample: a
    # timestamp flag, 8 timestamp bytes, then the string "left" with its varlen length.
    first_sample = data.index(b"\x01\x04left") - 9
    assert data[first_sample - 2 : first_sample] == b"\x01\x04"
    # A million samples (harmless if the guard failed; ~60 bytes could not hold them).
    data[first_sample - 2 : first_sample] = b"\x04" + struct.pack("<I", 1_000_000)
    path.write_bytes(bytes(data))
    with pytest.raises(RecordingError, match="corrupt XDF") as excinfo:
        read_recording(path)
    assert_one_line_error(path, excinfo)


# --------------------------------------------------------------------------- other formats


def test_brainvision_events_and_volts(tmp_path: Path) -> None:
    data = (np.arange(1500).reshape(500, 3) % 97 - 48).astype("<f4")  # µV, multiplexed
    data.tofile(tmp_path / "t.eeg")
    (tmp_path / "t.vhdr").write_text(
        "Brain Vision Data Exchange Header File Version 1.0\n[Common Infos]\nCodepage=UTF-8\n"
        "DataFile=t.eeg\nMarkerFile=t.vmrk\nDataFormat=BINARY\nDataOrientation=MULTIPLEXED\n"
        "NumberOfChannels=3\nSamplingInterval=4000\n[Binary Infos]\n"
        "BinaryFormat=IEEE_FLOAT_32\n[Channel Infos]\nCh1=Cz,,1,µV\nCh2=Pz,,1,µV\n"
        "Ch3=Oz,,1,µV\n",
        encoding="utf-8",
    )
    (tmp_path / "t.vmrk").write_text(
        "Brain Vision Data Exchange Marker File Version 1.0\n[Common Infos]\nCodepage=UTF-8\n"
        "DataFile=t.eeg\n[Marker Infos]\nMk1=New Segment,,1,1,0\n"
        "Mk2=Stimulus,S  1,101,1,0\nMk3=Stimulus,S  2,251,1,0\n",
        encoding="utf-8",
    )
    raw = read_recording(tmp_path / "t.vhdr")
    assert raw.info["sfreq"] == 250.0 and raw.get_channel_types() == ["eeg"] * 3
    np.testing.assert_allclose(raw.get_data(), data.T.astype(np.float64) * 1e-6, rtol=1e-12)
    np.testing.assert_allclose(raw.annotations.onset, [0.4, 1.0])
    assert [d.endswith("1") for d in raw.annotations.description] == [True, False]
    (tmp_path / "t.eeg").unlink()
    with pytest.raises(RecordingError, match=r"needs t\.eeg, which does not exist") as excinfo:
        read_recording(tmp_path / "t.vhdr")
    assert_one_line_error(tmp_path / "t.vhdr", excinfo)


def test_eeglab_events_and_volts(tmp_path: Path) -> None:
    n = 500
    data = (np.arange(3 * n).reshape(3, n) % 89 - 44).astype(np.float64)  # µV
    eeg = {
        "setname": "t", "filename": "t.set", "filepath": "", "nbchan": 3.0, "trials": 1.0,
        "pnts": float(n), "srate": 250.0, "xmin": 0.0, "xmax": (n - 1) / 250,
        "times": np.arange(n) / 250 * 1000, "data": data, "icawinv": np.array([]),
        "icasphere": np.array([]), "icaweights": np.array([]), "icachansind": np.array([]),
        "chanlocs": np.array([("Cz",), ("Pz",), ("Oz",)], dtype=[("labels", "O")]),
        "event": np.array([("left", 101.0), ("right", 251.0)],
                          dtype=[("type", "O"), ("latency", "f8")]),
        "ref": "common", "epoch": np.array([]), "chaninfo": {"nosedir": "+X"},
        "urevent": np.array([]),
    }  # fmt: skip
    scipy.io.savemat(tmp_path / "t.set", {"EEG": eeg}, appendmat=False)
    raw = read_recording(tmp_path / "t.set")
    np.testing.assert_allclose(raw.get_data(), data * 1e-6, rtol=1e-12)
    assert list(raw.annotations.description) == ["left", "right"]
    np.testing.assert_allclose(raw.annotations.onset, [0.4, 1.0])  # EEGLAB latency is 1-based


def test_bdf_status_triggers_masked_to_16_bits(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    digital = np.zeros((3, 512), dtype=np.int64)
    digital[:2] = rng.integers(-30000, 30000, (2, 512))
    digital[2] = 1 << 20  # a BioSemi system bit (CMS in range) set throughout
    digital[2, 100:110] |= 5
    digital[2, 300:305] |= 9
    path = tmp_path / "t.bdf"
    write_bdf(path, digital, ["Cz", "Pz", "Status"], ["uV", "uV", "Boolean"])
    raw = read_recording(path)
    assert raw.get_channel_types() == ["eeg", "eeg", "stim"]
    assert list(raw.annotations.description) == ["5", "9"]
    np.testing.assert_array_equal(raw.annotations.onset * 256, [100, 300])
    # Volts: physical range ±262144 µV over 24 bits.
    np.testing.assert_allclose(
        np.ptp(raw.get_data(picks="eeg"), axis=1),
        np.ptp(digital[:2], axis=1) * 524287 / 16777215 * 1e-6,
        rtol=1e-6,
    )
    full = raw.get_data()
    complete = path.read_bytes()
    # The last record cut short: the first one is read, and the summary says so.
    path.write_bytes(complete[:-1000])
    cut = read_recording(path)
    np.testing.assert_array_equal(cut.get_data(), full[:, :256])
    assert "read the 1 complete records of 2" in summarize(path)["recovered"]
    # Cut before the last record: trials would go missing without a word, refused.
    path.write_bytes(complete[:-3000])
    truncated = r"truncated BDF \(header says 2 records, file holds 0\)"
    with pytest.raises(RecordingError, match=truncated):
        read_recording(path)


# --------------------------------------------------------------------------- bad inputs


def _bad_inputs(src: dict, shared: Path) -> dict[str, bytes]:
    noise = np.random.default_rng(7).integers(0, 256, 20_000, dtype=np.uint8).tobytes()
    edf = (shared / R04).read_bytes()
    csv_lines = src[".csv"].read_text().splitlines()
    ragged = [csv_lines[0], *csv_lines[1:40], ",".join(csv_lines[40].split(",")[:-1])]
    return {
        "noise.edf": noise,
        "noise.fif": noise,
        "noise_raw.fif": noise,
        "noise.xdf": noise,
        "noise.gdf": noise,
        "noise.bdf": noise,
        "noise.csv": noise,
        "noise.csv.gz": noise,
        "noise.txt": noise,
        "noise.vhdr": noise,
        "noise.set": noise,
        "S001R04.edf": edf[: len(edf) // 2],
        "empty.edf": b"",
        "empty.xdf": b"",
        "empty.csv": b"",
        "muse_as.edf": src[".csv"].read_bytes(),
        "edf_as.fif": src[".edf"].read_bytes(),
        "missing_column.csv": "\n".join(ragged).encode(),
        "no_timestamps.csv": b"TP9,AF7\n1,2\n",
        "header_only.csv": csv_lines[0].encode() + b"\n",
        "readme.txt": b"This folder holds the recordings.\nSee the paper.\n",
        "myo_backwards.txt": b"time\tchannel1\tclass\n5\t1e-5\t0\n3\t2e-5\t0\n",
        "myo_far_future.txt": b"time\tchannel1\tclass\n5\t1e-5\t0\n9e12\t2e-5\t0\n",
        "xdf_signature_only.xdf": b"XDF:",
        "notes.xyz": b"hello",
        "rec.vmrk": b"Brain Vision Data Exchange Marker File",
        "rec-eve.fif": (src[".fif"]).read_bytes()[:64],
    }


def test_bad_inputs_raise_one_line_recording_errors(
    small_files: dict, shared_recordings: Path, tmp_path: Path
) -> None:
    for name, content in _bad_inputs(small_files, shared_recordings).items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(RecordingError) as excinfo:
            read_recording(path)
        assert_one_line_error(path, excinfo)
    with pytest.raises(RecordingError, match="no such file") as excinfo:
        read_recording(tmp_path / "gone.edf")
    assert_one_line_error(tmp_path / "gone.edf", excinfo)


def test_specific_messages(small_files: dict, shared_recordings: Path, tmp_path: Path) -> None:
    cases = _bad_inputs(small_files, shared_recordings)
    expected = {
        "S001R04.edf": "truncated EDF (header says 125 records, file holds 62)",
        "muse_as.edf": "its contents look like Muse CSV",
        "edf_as.fif": "its contents look like EDF",
        "notes.xyz": "unknown recording format '.xyz'",
        "empty.edf": "empty file",
        "missing_column.csv": "number of columns changed from 7 to 6",
        "readme.txt": "not a UCI MYO text file",
        "myo_backwards.txt": "goes backwards",
        "myo_far_future.txt": "jumps by",
        "rec.vmrk": "open the matching .vhdr",
    }
    for name, fragment in expected.items():
        path = tmp_path / name
        path.write_bytes(cases[name])
        with pytest.raises(RecordingError) as excinfo:
            read_recording(path)
        assert fragment in str(excinfo.value), str(excinfo.value)


# --------------------------------------------------------------------------- fuzzing

_mutation = st.one_of(
    st.tuples(
        st.just("set"),
        st.lists(
            st.tuples(st.one_of(st.integers(0, 1023), st.integers(0, 2**31)), st.integers(0, 255)),
            min_size=1,
            max_size=12,
        ),
    ),
    st.tuples(st.just("truncate"), st.floats(0.0, 1.0)),
    st.tuples(st.just("delete"), st.integers(0, 2**31), st.integers(1, 300)),
    st.tuples(st.just("insert"), st.integers(0, 2**31), st.binary(min_size=1, max_size=64)),
)


def _mutate(data: bytes, mutation: tuple) -> bytes:
    out = bytearray(data)
    kind = mutation[0]
    if kind == "set":
        for pos, value in mutation[1]:
            out[pos % len(out)] = value
    elif kind == "truncate":
        out = out[: int(len(out) * mutation[1])]
    elif kind == "delete":
        start = mutation[1] % len(out)
        del out[start : start + mutation[2]]
    else:
        start = mutation[1] % len(out)
        out[start:start] = mutation[2]
    return bytes(out)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("suffix", [".edf", ".fif", ".xdf", ".csv", ".txt"])
def test_mutated_real_files_read_or_fail_cleanly(
    small_files: dict, tmp_path_factory: pytest.TempPathFactory, suffix: str
) -> None:
    original = small_files[suffix].read_bytes()
    target = tmp_path_factory.mktemp("mutated") / small_files[suffix].name
    assert isinstance(read_recording(small_files[suffix]), mne.io.BaseRaw)

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(mutation=_mutation)
    def check(mutation: tuple) -> None:
        outcomes.append(mutation)
        target.write_bytes(_mutate(original, mutation))
        try:
            raw = read_recording(target)
        except RecordingError as exc:
            assert target.name in str(exc) and "\n" not in str(exc)
        else:
            assert isinstance(raw, mne.io.BaseRaw) and raw.preload and raw.n_times > 0

    outcomes: list[tuple] = []
    check()
    assert len(outcomes) >= 40  # the examples really ran
