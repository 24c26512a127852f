"""A source process killed and restarted while ``bci live``, ``bci record`` and
``bci monitor`` run, each its own process, as in a lab: the amplifier's app dies
(SIGKILL, no goodbye) and is started again, under a new source id.

The source is ``bci replay`` of the shipped motor-imagery sample (so this runs on a fresh
clone); the recorder also records the decision and status streams of ``bci live``, so
the XDF file holds everything the assertions need on one clock. Each scenario runs once
per module: 8 s of it, plus the programs' start-up, which is mostly imports (3-4 s of
CPU each; 35-45 s in all on the shared 2-core machine, 60-100 s at load 10); the tests
below check what each program made of it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import mne
import numpy as np
import pylsl
import pytest
import pyxdf

ROOT = Path(__file__).resolve().parents[1]
RECORDING = ROOT / "recordings" / "sample-motor-imagery_raw.fif"

#: A training-free sliding pipeline: a decision every STEP seconds from WINDOW seconds.
WINDOW, STEP = 1.0, 0.1
CONFIG = f"""
name = "alpha band power, for the restart test"
[signal]
picks = "eeg"
[[filters]]
kind = "bandpass"
l_freq = 1.0
h_freq = 40.0
[online]
mode = "sliding"
window = {WINDOW}
step = {STEP}
[decoder]
kind = "band-power"
bands = {{ alpha = [8.0, 12.0] }}
"""

#: Rate of the shipped motor-imagery sample.
SFREQ = 160.0
#: Seconds the source stays dead between SIGKILL and the new replay's start.
DEAD = 2.0
#: Seconds of the new source the programs see before they are stopped.
AFTER = 4.0
#: Seconds a program may take to start and connect.
STARTUP = 60.0


@dataclass
class Program:
    """A ``bci`` command running in its own process, its stderr in a file."""

    name: str
    process: subprocess.Popen
    log: Path

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, pattern: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.stderr()):
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} ended early:\n{self.stderr()}")
            assert time.monotonic() < deadline, (f"{self.name}: no '{pattern}' within "
                                                 f"{timeout} s:\n{self.stderr()}")
            time.sleep(0.1)  # polls a log file; the program runs in its own process

    def stop(self, timeout: float = 15.0) -> str:
        """SIGTERM (the clean stop: summaries and --stats files get written); stdout."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=timeout)
        return out


def _start(name: str, args: list[str], folder: Path) -> Program:
    log = folder / f"{name}.log"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with open(log, "w", encoding="utf-8") as err:
        process = subprocess.Popen([sys.executable, "-m", "bci.cli", *args], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    return Program(name, process, log)


def _replay(name: str, path: Path, source_id: str, folder: Path, tag: str) -> Program:
    return _start(f"replay-{tag}", ["replay", str(path), "--name", name,
                                    "--source-id", source_id], folder)


def _run(folder: Path, second: Path, *, monitor: bool) -> dict:
    """Source A; live, record (and monitor) on it; SIGKILL A; DEAD s later, source B
    from ``second`` under a new source id; AFTER s of it; stop everything."""
    name = f"bci-test-{uuid.uuid4().hex[:10]}"
    config = folder / "alpha.toml"
    config.write_text(CONFIG, encoding="utf-8")
    ids = {"A": uuid.uuid4().hex, "B": uuid.uuid4().hex}
    out = {"name": name, "ids": ids, "xdf": folder / "session.xdf",
           "stats": folder / "live.json", "monitor_stats": folder / "monitor.json"}
    programs: list[Program] = []
    try:
        first = _replay(name, RECORDING, ids["A"], folder, "A")
        programs.append(first)
        live = _start("live", ["live", str(config), "--stream", name, "--timeout", "60",
                               "--stats", str(out["stats"])], folder)
        programs.append(live)
        record = _start("record", ["record", "--stream", name, "--stream",
                                   f"{name}-decisions", "--stream", f"{name}-decisions-status",
                                   "--out", str(out["xdf"]), "--timeout", "60", "--json"],
                        folder)
        programs.append(record)
        if monitor:
            viewer = _start("monitor", ["monitor", "--stream", name, "--decisions", "none",
                                        "--fps", "10", "--size", "640x480",
                                        "--stats", str(out["monitor_stats"])], folder)
            programs.append(viewer)
        # Start-up is mostly imports: seconds on a quiet machine, more on a loaded one.
        live.wait_for(r"decoding '", STARTUP)
        record.wait_for(r"recording '.*-decisions-status'", STARTUP)
        if monitor:
            viewer.wait_for(r"monitor: showing '", STARTUP)
        time.sleep(1.5)  # decisions flowing, the file growing, the monitor drawing
        first.process.kill()  # SIGKILL: the outlet vanishes without a word
        first.process.wait(5)
        out["killed_at"] = pylsl.local_clock()
        time.sleep(DEAD)
        replacement = _replay(name, second, ids["B"], folder, "B")
        programs.append(replacement)
        replacement.wait_for(r"sample 0 is stamped [0-9.]+", STARTUP)
        # The new source's first stamp: what every pick-up is measured from.
        out["restarted_at"] = float(re.search(r"sample 0 is stamped ([0-9.]+)",
                                              replacement.stderr()).group(1))
        time.sleep(AFTER)
        out["live_stderr"] = (live.stop(), live.stderr())[1]
        out["record_json"] = json.loads(record.stop())
        out["record_stderr"] = record.stderr()
        if monitor:
            viewer.stop()  # SIGTERM closes the window, writing its --stats
            assert viewer.process.returncode == 0, viewer.stderr()
            out["monitor_stderr"] = viewer.stderr()
        assert live.process.returncode == 0, live.stderr()
        assert record.process.returncode == 0, record.stderr()
    finally:
        for program in programs:
            if program.process.poll() is None:
                program.process.kill()
                program.process.communicate(timeout=10)
    streams, _ = pyxdf.load_xdf(str(out["xdf"]), dejitter_timestamps=False,
                                synchronize_clocks=True)
    out["streams"] = {s["info"]["name"][0]: s for s in streams}
    out["live"] = json.loads(out["stats"].read_text(encoding="utf-8"))
    return out


@pytest.fixture(scope="module")
def restarted(tmp_path_factory):
    """The scenario with the same recording coming back under a new source id."""
    return _run(tmp_path_factory.mktemp("restart"), RECORDING, monitor=True)


@pytest.fixture(scope="module")
def narrower(tmp_path_factory):
    """The scenario with a 6-channel recording coming back under the same name."""
    folder = tmp_path_factory.mktemp("refused")
    raw = mne.io.read_raw_fif(RECORDING, verbose="error").load_data()
    path = folder / "narrow_raw.fif"
    raw.pick(raw.ch_names[:6]).save(path, verbose="error")
    return _run(folder, path, monitor=False)


def _signal_gap(run: dict) -> tuple[np.ndarray, float, float]:
    """The recorded signal's stamps, and the last stamp before / first after the kill."""
    stamps = run["streams"][run["name"]]["time_stamps"]
    before = stamps[stamps < run["killed_at"]]
    after = stamps[stamps > run["killed_at"]]
    return stamps, before[-1], (after[0] if after.size else np.nan)


def _decisions(run: dict) -> np.ndarray:
    """``window_end`` of every decision recorded."""
    stream = run["streams"][f"{run['name']}-decisions"]
    labels = [c["label"][0] for c in stream["info"]["desc"][0]["channels"][0]["channel"]]
    return stream["time_series"][:, labels.index("window_end")]


def _status(run: dict) -> list[str]:
    stream = run["streams"].get(f"{run['name']}-decisions-status")
    return [] if stream is None else [row[0] for row in stream["time_series"]]


def test_recording_holds_both_parts_with_the_outage_as_a_gap(restarted):
    """One stream in the file, the old source's part, a gap, the new source's part."""
    stamps, last_old, first_new = _signal_gap(restarted)
    assert np.all(np.diff(stamps) > 0)
    gaps = np.flatnonzero(np.diff(stamps) > 0.5)
    assert gaps.size == 1, "the outage is one gap in the stream's timestamps"
    assert stamps[gaps[0]] == last_old and stamps[gaps[0] + 1] == first_new
    # Both parts are whole: one sample per period on each side of the gap.
    for part in (stamps[:gaps[0] + 1], stamps[gaps[0] + 1:]):
        assert part.size > 2 * SFREQ
        assert np.allclose(np.diff(part), 1 / SFREQ, atol=1e-3)
    # The new source was picked up soon after its first sample: the recorder looks every
    # 0.2 s and subscribing takes a round trip or two (0.3-1.05 s measured at load 7-11
    # on 2 cores), so the bound is 1.5 s; what it missed before that is part of the gap.
    assert 0 <= first_new - restarted["restarted_at"] < 1.5
    summary = restarted["record_json"]["streams"]
    signal_summary = next(s for s in summary if s["name"] == restarted["name"])
    assert signal_summary["n_outages"] == 1
    # The recorder said at once which source it records on, in one line.
    back = [line for line in restarted["record_stderr"].splitlines() if "is back after" in line]
    assert len(back) == 1 and restarted["ids"]["B"] in back[0]


def _live_view(run: dict) -> tuple[float, float, np.ndarray]:
    """What bci live saw: the end of the last decision before the outage, the first
    stamp of the new source (from its --stats outage, which runs from one period after
    its last old stamp), and the decisions after the outage.

    The recorder and bci live are two consumers of the killed outlet, and each got what
    was in flight when the source died, or not: so this uses bci live's own numbers.
    """
    ends = _decisions(run)
    jump = np.flatnonzero(np.diff(ends) > 1.0)
    assert jump.size == 1, "one pause in the decisions: the outage"
    last_before, after = ends[jump[0]], ends[jump[0] + 1:]
    outage = run["live"]["counters"]["source_outage_ms"] / 1e3
    # bci live's last old stamp is at or after its last decision's window end.
    return last_before, last_before + 1 / SFREQ + outage, after


def test_live_decisions_resume_within_a_second(restarted):
    """The first decision after the outage comes within 1 s of the first full window of
    the new source; then one every STEP, none lost; no window spans the outage."""
    last_before, first_new_bound, after = _live_view(restarted)
    assert np.sum(_decisions(restarted) <= last_before) > 10, "decisions before the kill"
    # No window spans the outage: the first one after it starts on the new source.
    assert after[0] - WINDOW + 1 / SFREQ >= first_new_bound - 1e-3
    assert after[0] - (restarted["restarted_at"] + WINDOW) < 1.0
    due = (after[-1] - after[0]) / STEP + 1
    assert after.size >= due - 1


def test_live_counts_the_outage_once_with_its_duration(restarted):
    """--stats: one outage, as long as from the kill to the new source's first sample;
    the status stream says it in one line, with the new source id."""
    counters = restarted["live"]["counters"]
    assert counters["source_outages"] == 1
    assert counters["source_replaced_events"] == 1
    # From the last sample before the kill to the first of the new source (which bci
    # live took within a second of its start), so at least the dead time.
    _, last_old, _ = _signal_gap(restarted)
    outage = counters["source_outage_ms"] / 1e3
    assert outage > DEAD
    assert outage < restarted["restarted_at"] - last_old + 1.0
    replaced = [m for m in _status(restarted) if "a new source" in m]
    assert len(replaced) == 1 and "\n" not in replaced[0]
    assert restarted["ids"]["B"] in replaced[0]
    said = float(re.search(r"resumed after ([0-9.]+) s", replaced[0]).group(1))
    assert said == pytest.approx(counters["source_outage_ms"] / 1e3, abs=1e-3)


def test_monitor_draws_the_new_source(restarted):
    """The monitor reconnected once, to the new source id, and draws its samples."""
    stats = json.loads(restarted["monitor_stats"].read_text(encoding="utf-8"))
    _, _, first_new = _signal_gap(restarted)
    assert stats["connections"] == 2
    assert stats["source_id"] == f"{restarted['ids']['B']}-0"
    # Samples of the new source on the current connection: most of what it sent.
    shown = AFTER - (first_new - restarted["restarted_at"])
    assert stats["samples_received"] > 0.5 * shown * SFREQ
    assert "connection 2" in restarted["monitor_stderr"]


def test_changed_channel_count_is_refused_reported_and_not_decoded(narrower):
    """A comeback with 6 channels instead of 8: one-line refusal, no decision, no data."""
    _, _, first_new = _signal_gap(narrower)
    assert np.isnan(first_new), "samples of the wrong source reached the file"
    ends = _decisions(narrower)
    assert ends.size > 10 and np.all(ends < narrower["killed_at"]), "decoded the wrong source"
    counters = narrower["live"]["counters"]
    assert counters["source_refused_events"] == 1 and counters["source_outages"] == 0
    refused = [m for m in _status(narrower) if "refused" in m or "channels" in m]
    assert len(refused) == 1 and "\n" not in refused[0]
    assert "6" in refused[0] and "8" in refused[0]
    assert narrower["ids"]["B"] in refused[0]
    # The recorder refused it too, in one line of its log.
    lines = [line for line in narrower["record_stderr"].splitlines()
             if narrower["ids"]["B"] in line]
    assert lines and all("6" in line for line in lines)
