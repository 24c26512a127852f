"""Benchmark of the presentation window: flip intervals, marker-to-flip offsets, CPU.

Runs in one process, one after the other:

- **baseline**: a bare Qt precise timer re-armed for every 1/refresh s frame, the pacing
  the window uses where there is no vertical sync, stamping each tick and drawing
  nothing: the jitter and CPU that the event loop alone costs on this machine;
- **ssvep**: three sampled-sinusoid targets flickering (13, 17, 21 Hz) in a 960 x 600
  window, markers on a real LSL outlet;
- **p300**: the 6 x 6 speller flashing rows and columns every 200 ms (text drawing).

For each: flip interval p50/p99/max (ms), dropped frames (an interval over 1.5 frames),
marker offsets (flip time - the time the schedule asked for, and flip - the moment the
frame was requested), and CPU as process CPU time over wall time (1.0 = one core). Run
it under Xvfb for the OpenGL window (``xvfb-run -s "-screen 0 1280x800x24" python
bench/bench_present.py``), or offscreen for the raster one. Neither has vertical sync:
the numbers are the cost and jitter of the loop, not of a display's refresh.

Usage::

    python bench/bench_present.py [--seconds 10] [--backend auto|opengl|raster] [--quick]
                                  [--json FILE]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import loads_text, machine, summarize, table, write_json

if "DISPLAY" not in os.environ:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]


def baseline(seconds: float, refresh: float) -> dict:
    """A precise Qt timer re-armed per frame, doing nothing else."""
    import pylsl
    from PySide6 import QtCore

    stamps: list[float] = []
    timer = QtCore.QTimer()
    timer.setSingleShot(True)
    timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
    loop = QtCore.QEventLoop()
    interval = 1.0 / refresh

    def tick() -> None:
        now = pylsl.local_clock()
        stamps.append(now)
        if now - stamps[0] >= seconds:
            loop.quit()
            return
        due = stamps[-1] + interval
        timer.start(max(0, int((due - pylsl.local_clock()) * 1000)))

    timer.timeout.connect(tick)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    timer.start(0)
    loop.exec()
    cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    d = np.diff(stamps) * 1000.0
    return {"intervals_ms": summarize(d), "cpu": cpu,
            "dropped": int(np.sum(d > 1.5 * interval * 1000.0)), "n_frames": len(stamps)}


def protocol(kind: str, seconds: float):
    from bci.present import parse_protocol

    configs = ROOT / "docs" / "configs"
    if kind == "ssvep":
        text = f"""paradigm = "ssvep"
config = "{configs / 'ssvep.toml'}"
trials = 1
[timing]
lead = 0.2
cue = 0.3
flicker = {seconds}
rest = [0.2, 0.2]
tail = 0.1
[[cues]]
label = "13Hz"
frequency = 13.0
[[cues]]
label = "17Hz"
frequency = 17.0
[[cues]]
label = "21Hz"
frequency = 21.0
"""
    else:
        reps = max(1, int(seconds / (12 * 0.2)))
        text = f"""paradigm = "p300"
config = "{configs / 'p300.toml'}"
trials = 1
[timing]
lead = 0.2
cue = 0.3
flash = 0.1
isi = 0.1
rest = [0.2, 0.2]
tail = 0.1
[p300]
repetitions = {reps}
"""
    return parse_protocol(text, origin=f"bench-{kind}.toml")


def present(kind: str, seconds: float, backend: str) -> dict:
    from bci_apps.present import run_presentation

    p = protocol(kind, seconds)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    stats = run_presentation(p, markers=f"bench-cues-{uuid.uuid4().hex[:8]}",
                             backend=backend)
    cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    flips = np.asarray(stats["markers"]["events"])
    late = np.array([m["flip_minus_scheduled_ms"] for m in flips])
    request = np.array([m["flip_minus_request_ms"] for m in flips])
    return {"backend": stats["backend"], "pacing": stats["pacing"],
            "n_frames": stats["n_frames"],
            "measured_refresh_hz": stats.get("measured_refresh_hz"),
            "intervals_ms": stats["flip_interval_ms"],
            "dropped": stats["dropped_frames"]["count"],
            "dropped_events": len(stats["dropped_frames"]["events"]),
            "marker_flip_minus_scheduled_ms": summarize(late),
            "marker_flip_minus_request_ms": summarize(request),
            "n_markers": int(late.size), "cpu": cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--backend", choices=["auto", "opengl", "raster"], default="auto")
    parser.add_argument("--json", default=None)
    parser.add_argument("--quick", action="store_true", help="3 s per run (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.seconds = 3.0

    from PySide6 import QtGui

    app = QtGui.QGuiApplication.instance() or QtGui.QGuiApplication([])
    refresh = float(app.primaryScreen().refreshRate() or 60.0)
    info = machine()
    info["qt_platform"] = app.platformName()
    base = baseline(args.seconds, refresh)
    runs = {kind: present(kind, args.seconds, args.backend) for kind in ("ssvep", "p300")}
    info["loadavg_end"] = list(os.getloadavg())

    rows = [["baseline timer", "-", base["n_frames"], base["intervals_ms"]["p50"],
             base["intervals_ms"]["p99"], base["dropped"], None, None, base["cpu"], 1.0]]
    for kind, r in runs.items():
        rows.append([f"{kind} ({r['backend']}, {r['pacing']})", r["n_markers"],
                     r["n_frames"], r["intervals_ms"]["p50"], r["intervals_ms"]["p99"],
                     r["dropped"], r["marker_flip_minus_scheduled_ms"]["p50"],
                     r["marker_flip_minus_scheduled_ms"]["p99"], r["cpu"],
                     r["cpu"] / base["cpu"] if base["cpu"] > 0 else None])
    print(f"bci present, {args.seconds:g} s each, Qt '{app.platformName()}', "
          f"nominal refresh {refresh:g} Hz; load {loads_text(info)}")
    print(table(["run", "markers", "frames", "flip p50 ms", "flip p99 ms", "dropped",
                 "marker late p50 ms", "p99 ms", "CPU (cores)", "CPU / baseline"], rows))
    write_json(args.json, {"machine": info, "refresh_hz": refresh, "baseline": base,
                           "runs": runs})
    return 0


if __name__ == "__main__":
    sys.exit(main())
