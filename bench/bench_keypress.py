"""Benchmark: key-press-to-marker latency of the assessment window (``bci assess``).

A precise Qt timer posts a response key event at a random phase of the frame grid
(``t_post``, LSL clock, taken just before ``postEvent``) while the CPT window draws its
frames; the window stamps the press in its key handler and pushes the marker on a real
LSL outlet at once. Per press:

- **stamp - post**: how late the stamp is after the key event entered Qt's queue (what
  this design adds: the event loop's delay);
- **push - stamp**: the time to push the marker on the outlet;
- **received == stamp**: the marker an inlet receives carries exactly that stamp;
- baseline, **next flip - post**: the stamp a frame-locked design (marker at the next
  flip, as the stimulus markers are) would give the same press, measured in the same run.

Offscreen (the raster window) by default; ``xvfb-run python bench/bench_keypress.py
--backend opengl`` for the OpenGL window. Neither has vertical sync.

Usage::

    python bench/bench_keypress.py [--presses 150] [--backend raster] [--json FILE]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--presses", type=int, default=150)
    parser.add_argument("--backend", default="raster", choices=["raster", "opengl", "auto"])
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.backend == "raster":
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pylsl
    from PySide6 import QtCore

    from bci.attention.protocol import parse_assess_protocol
    from bci.attention.task import PRESS
    from bci.stream.description import StreamDescription
    from bci.stream.outlet import Outlet
    from bci_apps.assess_command import run_window
    from bci_apps.cpt import press_event

    gap = 0.083  # s between presses: not a multiple of the 16.7-ms frame
    n_letters = int(args.presses * gap / 0.5) + 20
    protocol = parse_assess_protocol({
        "resting": {"eyes_open": 0, "eyes_closed": 0, "instructions": 0},
        "cpt": {"blocks": 1, "stimuli_per_block": n_letters, "instructions": 0.5,
                "soa": [0.5], "stimulus": 0.2, "target_ratio": 0.9},
        "lead": 0.5, "tail": 0.5})
    source_id = uuid.uuid4().hex
    outlet = Outlet(StreamDescription.for_markers("bench-keypress", source_id=source_id))
    info = pylsl.resolve_bypred(f"source_id='{source_id}'", 1, 5.0)[0]
    inlet = pylsl.StreamInlet(info, max_buflen=60)
    inlet.open_stream(5.0)
    posted: list[float] = []
    rng = np.random.default_rng(0)
    keep = []

    def hook(window):
        def post():
            posted.append(pylsl.local_clock())
            QtCore.QCoreApplication.postEvent(window, press_event())
            if len(posted) < args.presses:
                timer.start(int(round(1000 * (gap + rng.uniform(0, 0.017)))))
        timer = QtCore.QTimer()
        timer.setSingleShot(True)
        timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        timer.timeout.connect(post)
        timer.start(1000)
        keep.append(timer)

    cpu0, wall0 = time.process_time(), time.monotonic()
    view, presenter = run_window(protocol, outlet, backend=args.backend, resting=False,
                                 window_hook=hook)
    cpu = (time.process_time() - cpu0) / (time.monotonic() - wall0)
    received = []
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        sample, stamp = inlet.pull_sample(timeout=0.2)
        if sample is None:
            break
        if sample[0] == PRESS:
            received.append(stamp)
    inlet.close_stream()
    outlet.close()
    stamps = np.array([s for s, _ in view.presses])
    pushes = np.array([p for _, p in view.presses])
    post = np.array(posted[: stamps.size])
    flips = np.array(presenter.stats.flips)
    next_flip = flips[np.searchsorted(flips, post)] if flips.size else post
    stamp_ms = (stamps - post) * 1000
    push_ms = (pushes - stamps) * 1000
    frame_ms = (next_flip - post) * 1000
    exact = received == stamps.tolist()
    rows = []
    for name, values in (("stamp - post (this design)", stamp_ms),
                         ("push - stamp", push_ms),
                         ("next flip - post (frame-locked baseline)", frame_ms)):
        s = summarize(values)
        rows.append([name, s["n"], f"{s['p50']:.3f}", f"{s['p99']:.3f}", f"{s['max']:.3f}"])
    ratio = float(np.median(frame_ms) / np.median(stamp_ms)) if np.median(stamp_ms) > 0 \
        else float("inf")
    m = machine()
    print(f"key press -> marker, {args.backend} window, {stamps.size} presses "
          f"({loads_text(m)}); CPU {cpu:.2f} of a core")
    print(table(["measure", "n", "p50 ms", "p99 ms", "max ms"], rows))
    print(f"received stamps == handler stamps: {exact}; frame-locked / this design "
          f"(medians): {ratio:.1f}x")
    write_json(args.json, {"backend": args.backend, "n": int(stamps.size),
                           "stamp_minus_post_ms": summarize(stamp_ms),
                           "push_minus_stamp_ms": summarize(push_ms),
                           "next_flip_minus_post_ms": summarize(frame_ms),
                           "received_equal_stamps": bool(exact), "ratio_median": ratio,
                           "cpu_cores": cpu, "machine": m})
    return 0 if exact and stamps.size == len(posted) else 1


if __name__ == "__main__":
    sys.exit(main())
