"""Cut files: every cut offset gives the complete chunks before it, or one line."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pytest

from bci.errors import RecordingError
from bci.io import read_streams
from bci.io.summary import format_summary, summarize
from bci.record.xdf_writer import XdfWriter, encode_numeric, encode_strings
from tests.conftest import SHARED_RECORDINGS

SFREQ = 100.0
PER_CHUNK = 5
N_CHUNKS = 5

# As small as a header can be (every cut offset is read): the counter channel is misc,
# so its values stay as they are.
_SIGNAL_XML = (
    "<info><name>Cut</name><type>EEG</type><channel_count>2</channel_count>"
    "<nominal_srate>100</nominal_srate><channel_format>float32</channel_format><desc>"
    "<channels><channel><label>counter</label><type>misc</type></channel><channel>"
    "<label>Cz</label></channel></channels></desc></info>")
_MARKER_XML = (
    "<info><name>M</name><type>Markers</type><channel_count>1</channel_count>"
    "<nominal_srate>0</nominal_srate><channel_format>string</channel_format></info>")


def _shared() -> Path:
    """The shared recordings (``BCI_SHARED_RECORDINGS`` overrides where they are)."""
    root = Path(os.environ.get("BCI_SHARED_RECORDINGS", SHARED_RECORDINGS))
    if not root.is_dir():
        pytest.skip(f"real recordings not found at {root}: set BCI_SHARED_RECORDINGS")
    return root


def _write_small(path: Path) -> list[tuple[int, int]]:
    """An XDF written by the recorder's writer; (end byte, samples so far) per chunk."""
    writer = XdfWriter(path)
    ends = []
    writer.stream_header(1, _SIGNAL_XML)
    writer.stream_header(2, _MARKER_XML)
    writer.clock_offset(1, 10.0, 1e-4)
    ends.append((writer.n_bytes + writer.flush(), 0))
    for k in range(N_CHUNKS):
        index = np.arange(k * PER_CHUNK, (k + 1) * PER_CHUNK)
        values = np.stack([index, np.sin(index)], axis=1).astype(np.float32)
        writer.samples(encode_numeric(1, values, 10.0 + index / SFREQ))
        ends.append((writer.n_bytes + writer.flush(), (k + 1) * PER_CHUNK))
        if k == 2:
            writer.samples(encode_strings(2, [[b"go"]], np.array([10.0 + index[0] / SFREQ])))
            ends.append((writer.n_bytes + writer.flush(), (k + 1) * PER_CHUNK))
    writer.stream_footer(1, 10.0, 10.0 + (N_CHUNKS * PER_CHUNK - 1) / SFREQ,
                         N_CHUNKS * PER_CHUNK, [(10.0, 1e-4)])
    writer.close()
    return ends


def _samples_before(ends: list[tuple[int, int]], cut: int) -> int:
    done = [n for end, n in ends if end <= cut]
    return done[-1] if done else -1  # -1: not even the headers are complete


def test_every_cut_offset_of_a_recorded_xdf(tmp_path: Path) -> None:
    """Each prefix reads exactly the samples of its complete chunks, or fails in one line."""
    full = tmp_path / "full.xdf"
    ends = _write_small(full)
    data = full.read_bytes()
    cut_file = tmp_path / "cut.xdf"
    n_read, n_errors = 0, 0
    if True:
        for cut in range(len(data)):
            cut_file.write_bytes(data[:cut])
            expected = _samples_before(ends, cut)
            try:
                streams = read_streams(cut_file)
            except RecordingError as err:
                assert "\n" not in str(err) and "cut.xdf" in str(err)
                # Only a file without one complete sample chunk may be refused.
                assert expected <= 0, f"cut at {cut}: {err}"
                n_errors += 1
                continue
            n_read += 1
            (stream,) = streams
            counter = stream.raw.get_data()[0]
            assert counter.size == expected, f"cut at {cut}"
            assert np.array_equal(counter, np.arange(expected))  # never more than written
            # Short of the footers, the file says it was cut (inside a chunk or after one).
            assert bool(stream.recovered) == (cut < len(data))
    # Refused exactly while not one samples chunk is complete; read at every cut after.
    first_samples = ends[1][0]
    assert n_errors == first_samples and n_read == len(data) - first_samples


def test_info_says_where_the_cut_was(tmp_path: Path, caplog) -> None:
    full = tmp_path / "full.xdf"
    ends = _write_small(full)
    cut = ends[3][0] + 5  # inside the chunk after the third samples chunk
    path = tmp_path / "cut.xdf"
    path.write_bytes(full.read_bytes()[:cut])
    with caplog.at_level(logging.WARNING, logger="bci.io"):
        summary = summarize(path)
    assert "cut.xdf: cut inside the chunk" in caplog.text  # one log line
    assert summary["streams"][0]["n_samples"] == _samples_before(ends, cut)
    assert f"at byte {ends[3][0]} (the file ends at {cut})" in summary["recovered"]
    assert "recovered: cut inside the chunk" in format_summary(summary)


@pytest.mark.filterwarnings("ignore")
def test_cut_real_xdf_gives_a_prefix_of_each_stream(tmp_path: Path) -> None:
    """120 cuts of a real muse-lsl XDF: every stream a prefix of the full one."""
    path = sorted((_shared() / "muselsl-xdf").rglob("*.xdf"))[0]
    data = path.read_bytes()
    reference = {s.name + s.stype: s.raw.get_data() for s in read_streams(path)}
    rng = np.random.default_rng(15)
    cuts = np.sort(rng.choice(np.arange(4, len(data)), size=120, replace=False))
    cut_file = tmp_path / path.name
    previous: dict[str, int] = {}
    for cut in cuts:
        cut_file.write_bytes(data[:cut])
        try:
            streams = read_streams(cut_file)
        except RecordingError as err:
            assert "\n" not in str(err)
            continue
        for s in streams:
            key = s.name + s.stype
            got, full = s.raw.get_data(), reference[key]
            assert got.shape[1] <= full.shape[1]
            assert np.array_equal(got, full[:, :got.shape[1]]), f"cut at {cut}"
            # A longer prefix never reads fewer samples.
            assert got.shape[1] >= previous.get(key, 0)
            previous[key] = got.shape[1]
        assert streams[0].recovered


def test_edf_with_a_short_last_record_reads_the_complete_ones(tmp_path: Path) -> None:
    """A real PhysioNet EDF cut inside its last record: every complete record, said so."""
    path = _shared() / "physionet-eegmmidb" / "S001" / "S001R04.edf"
    full = read_streams(path)[0].raw.get_data()
    data = path.read_bytes()
    n_records, per_record = 125, 160  # 1-s records at 160 Hz (header of this file)
    record_bytes = (len(data) - 256 * 66) // n_records
    target = tmp_path / "S001R04.edf"
    for short in (1, 2, record_bytes // 2, record_bytes - 1):
        target.write_bytes(data[:-short])
        (stream,) = read_streams(target)
        got = stream.raw.get_data()
        assert got.shape[1] == (n_records - 1) * per_record
        assert np.array_equal(got, full[:, :got.shape[1]])
        assert "read the 124 complete records of 125" in stream.recovered
    target.write_bytes(data[:-record_bytes - 1])  # two records short: trials would vanish
    with pytest.raises(RecordingError, match="truncated EDF") as excinfo:
        read_streams(target)
    assert "\n" not in str(excinfo.value)


_MAT_SCRIPT = r"""
import sys
from pathlib import Path
from bci.errors import RecordingError
from bci.io import read_streams
try:
    read_streams(Path(sys.argv[1]))
except RecordingError as err:
    print("refused:", err)
"""


def _mat_elements(data: bytes, start: int):
    """(type, tag offset) of each element from ``start`` on, one level (little-endian)."""
    pos = start
    while pos < len(data):
        first = int.from_bytes(data[pos:pos + 4], "little")
        if first >> 16:  # a small element: 8 bytes in all
            yield first & 0xFFFF, pos
            pos += 8
            continue
        size = int.from_bytes(data[pos + 4:pos + 8], "little")
        yield first, pos
        pos += 8 + (size + 7) // 8 * 8


@pytest.mark.parametrize("patch", ["type", "size", "complex", "name", "dims"])
def test_damaged_eeglab_file_is_refused_not_a_segfault(tmp_path: Path, patch: str) -> None:
    """scipy's MAT reader segfaults (or hangs) on such files; bci refuses them in one line.

    ``type`` and ``size`` break an element tag; the other three are single bytes that
    ``bench_fuzz.py`` found at 10,000 files, with every tag intact: the complex flag on a
    real array (scipy reads an imaginary part that is not there), an array name whose
    size swallows the array's data, and a struct dimension of tens of thousands.
    """
    import subprocess
    import sys

    import scipy.io

    n = 200
    eeg = {
        "setname": "t", "filename": "t.set", "filepath": "", "nbchan": 2.0, "trials": 1.0,
        "pnts": float(n), "srate": 100.0, "xmin": 0.0, "xmax": (n - 1) / 100,
        "times": np.arange(n) * 10.0, "data": np.zeros((2, n)), "icawinv": np.array([]),
        "icasphere": np.array([]), "icaweights": np.array([]), "icachansind": np.array([]),
        "chanlocs": np.array([("Cz",), ("Pz",)], dtype=[("labels", "O")]),
        "event": np.array([], dtype=[("type", "O"), ("latency", "f8")]),
        "ref": "common", "epoch": np.array([]), "chaninfo": {"nosedir": "+X"},
        "urevent": np.array([]),
    }  # fmt: skip
    path = tmp_path / "t.set"
    scipy.io.savemat(path, {"EEG": eeg}, appendmat=False)
    assert read_streams(path)[0].raw.n_times == n
    data = bytearray(path.read_bytes())
    # The first element inside the top-level miMATRIX (its array flags) at byte 136, its
    # dimensions' values at 160; the struct's fields are the arrays after its names.
    nbchan = [pos for kind, pos in _mat_elements(bytes(data), 136) if kind == 14][3]
    if patch == "type":
        data[136:140] = (237).to_bytes(4, "little")  # no such data type
    elif patch == "size":
        data[140:144] = (3_500_000_000).to_bytes(4, "little")  # past the file's end
    elif patch == "complex":
        data[nbchan + 17] |= 0x08  # array flags: complex, on a real 1 x 1 double
    elif patch == "name":
        data[nbchan + 44] = 15  # the (empty) name's size: now it covers the value
    else:
        data[160:164] = (40_000).to_bytes(4, "little")  # a 40 000 x 1 struct array
    path.write_bytes(bytes(data))
    done = subprocess.run([sys.executable, "-c", _MAT_SCRIPT, str(path)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, f"the reader died ({done.returncode}): {done.stderr[-500:]}"
    assert done.stdout.startswith("refused: t.set: corrupt MATLAB file")
    assert len(done.stdout.strip().splitlines()) == 1


_READ_SCRIPT = r"""
import sys
from pathlib import Path
from bci.errors import RecordingError
from bci.io import read_streams
try:
    read_streams(Path(sys.argv[1]))
    print("read")
except RecordingError as err:
    print("refused:", err)
"""


def test_fif_digitizer_count_past_its_tag_is_refused_not_a_hang(tmp_path: Path) -> None:
    """A digitizer-string tag claiming 808 million points: MNE loops on empty reads.

    ``bench_fuzz.py`` found it at 10,000 mutated FIF files: one byte turned an ID tag's
    type into ``FIFFT_DIG_STRING_STRUCT`` (36), whose third word MNE takes as a point
    count and reads that many points one by one past the end of the file.
    """
    import subprocess
    import sys

    import mne

    info = mne.create_info(["Cz", "Pz"], 100.0, "eeg")
    raw = mne.io.RawArray(np.zeros((2, 200)), info, verbose="error")
    path = tmp_path / "t_raw.fif"
    raw.save(path, verbose="error")
    assert read_streams(path)[0].raw.n_times == 200
    data = bytearray(path.read_bytes())
    pos, id_tag = 0, None
    while pos + 16 <= len(data):  # the tag chain: kind, type, size, next (big-endian)
        _, tag_type, size, nxt = (int.from_bytes(data[pos + 4 * k:pos + 4 * k + 4], "big",
                                                 signed=True) for k in range(4))
        if pos and tag_type == 31 and id_tag is None:  # an ID struct after the file's own
            id_tag = pos
        if nxt < 0:
            break
        pos = pos + 16 + size if nxt == 0 else nxt
    assert id_tag is not None
    data[id_tag + 4:id_tag + 8] = (36).to_bytes(4, "big")
    data[id_tag + 24:id_tag + 28] = (808_661_043).to_bytes(4, "big")  # its point count
    path.write_bytes(bytes(data))
    done = subprocess.run([sys.executable, "-c", _READ_SCRIPT, str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"the reader died ({done.returncode}): {done.stderr[-500:]}"
    assert done.stdout.startswith("refused: t_raw.fif: corrupt FIF (the digitizer tag")
    assert len(done.stdout.strip().splitlines()) == 1


def test_gdf_signal_count_past_its_header_is_refused_not_a_hang(tmp_path: Path) -> None:
    """A GDF 1 signal count of millions (one byte at 254): MNE parses that many headers.

    ``bench_fuzz.py`` found three such hangs in 2,000 mutated GDF files; the header's own
    length (byte 184) bounds the count, so bci refuses the file in one line at once.
    """
    import shutil
    import subprocess
    import sys

    gdf = next((_shared() / "ssvep-exoskeleton").rglob("*.gdf"))
    path = tmp_path / "t.gdf"
    shutil.copy(gdf, path)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    assert data[:8] == b"GDF 1.25" and data[252:256] == (8).to_bytes(4, "little")
    data[254] = 0x4B  # 8 signals -> 4 915 208
    path.write_bytes(bytes(data))
    done = subprocess.run([sys.executable, "-c", _READ_SCRIPT, str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"the reader died ({done.returncode}): {done.stderr[-500:]}"
    assert done.stdout.startswith("refused: t.gdf: corrupt GDF header (4915208 signals")
    assert len(done.stdout.strip().splitlines()) == 1
