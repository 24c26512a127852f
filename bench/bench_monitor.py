"""Benchmark of ``bci monitor``: frames per second and CPU at 8, 64 and 256 channels.

The feed is a real LSL replay, in a separate process (so its CPU is not counted as the
monitor's): a synthetic 1 kHz recording (pink-ish noise plus a 10 Hz rhythm, a marker
every 2 s), looped by :class:`bci.replay.Player` in 10 ms chunks. The monitor runs
offscreen (``QT_QPA_PLATFORM=offscreen``) at its default 1600 x 1000 size with a 10 s
window, raw view, all channels of the page on screen (64 per page, so at 256 channels
the traces show one page of 64 while the reader keeps all 256 in its ring).

Measured after a warm-up (the ring full, the first auto-scale done): frames drawn per
second, frame time (the timer's work plus Qt's painting of it) p50/p99, and CPU as
process CPU time over wall time (1.0 = one core; the reader thread included).

Usage::

    python bench/bench_monitor.py [--seconds 10] [--channels 8 64 256] [--fps F]
                                  [--repeat N] [--profile N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import uuid

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def synthetic_source(n_channels: int, sfreq: float, seconds: float, name: str):
    """A looped recording: 1/f-ish noise plus a 10 Hz rhythm, in volts, with markers."""
    from bci.replay import ReplaySource

    rng = np.random.default_rng(0)
    n = int(seconds * sfreq)
    white = rng.standard_normal((n_channels, n))
    spectrum = np.fft.rfft(white, axis=1)
    freqs = np.fft.rfftfreq(n, 1 / sfreq)
    spectrum[:, 1:] /= np.sqrt(freqs[1:])
    noise = np.fft.irfft(spectrum, n=n, axis=1)
    noise /= noise.std(axis=1, keepdims=True)
    t = np.arange(n) / sfreq
    alpha = np.sin(2 * np.pi * 10.0 * t + rng.uniform(0, 2 * np.pi, (n_channels, 1)))
    data = (10.0 * noise + 5.0 * alpha) * 1e-6
    names = [f"ch{k + 1:03d}" for k in range(n_channels)]
    markers = tuple((float(s), "stim") for s in np.arange(1.0, seconds, 2.0))
    return ReplaySource(name=name, stype="EEG", data=data, sfreq=sfreq,
                        ch_names=tuple(names), ch_types=tuple("eeg" for _ in names),
                        markers=markers)


def serve(n_channels: int, name: str, sfreq: float, duration: float) -> None:
    """Replay the synthetic recording as LSL stream ``name`` for ``duration`` seconds."""
    from bci.replay import Player

    source = synthetic_source(n_channels, sfreq, 20.0, name)
    with Player([source], name=name, loop=True, source_id=uuid.uuid4().hex):
        time.sleep(duration)


def run_events(seconds: float) -> None:
    """Run the Qt event loop for ``seconds`` (blocking in it: no polling loop here, which
    would burn the CPU being measured)."""
    from PySide6 import QtCore

    loop = QtCore.QEventLoop()
    QtCore.QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def measure(n_channels: int, seconds: float, sfreq: float, warmup: float,
            fps: float | None = None, profile: int = 0) -> dict:
    """Run the monitor against a replay of ``n_channels`` for ``seconds`` after warm-up.

    ``fps``: the timer's target (None: the monitor's default). ``profile``: print the
    ``profile`` functions of the Qt thread with the most own time over the measured
    seconds (cProfile; it slows the frames it measures, so not for the table).
    """
    import pyqtgraph as pg

    from bci_apps.monitor import MonitorWindow

    name = f"bench-monitor-{n_channels}-{uuid.uuid4().hex[:8]}"
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(n_channels), "--name", name,
         "--sfreq", str(sfreq), "--serve-seconds", str(warmup + seconds + 30)])
    pg.mkQApp("bench")
    kwargs = {} if fps is None else {"fps": fps}
    window = MonitorWindow(name, decisions=None, discover=False, **kwargs)
    window.resize(1600, 1000)
    window.show()
    try:
        deadline = time.monotonic() + 30
        # Warm up: the stream found, the 10 s ring full, the first auto-scale done.
        while time.monotonic() < deadline:
            run_events(0.1)
            state = window.signal_reader.state
            if state.ring is not None and state.ring.n_written >= (10 + warmup) * sfreq:
                break
        else:
            raise RuntimeError(f"the replay of {n_channels} channels never filled the ring")
        frames0, ticks0 = window.frames, len(window.frame_ms)
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        run_events(seconds)
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        if profiler is not None:
            import pstats

            profiler.disable()
            print(f"-- {n_channels} channels: the Qt thread's {profile} costliest functions "
                  f"(own time) over {wall:.1f} s, {window.frames - frames0} frames",
                  file=sys.stderr)
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(
                profile)
        frames = window.frames - frames0
        frame_ms = np.asarray(window.frame_ms[ticks0:])
        received = window.signal_reader.n_received
        gaps = window.signal_reader.n_gaps
    finally:
        window.close()
        server.terminate()
        server.wait(timeout=10)
    return {
        "channels": n_channels, "fps_target": window.fps_target,
        "channels_on_screen": len(window.traces.rows_on_screen),
        "sfreq": sfreq, "window_s": window.traces.window_seconds, "seconds": wall,
        "frames": frames, "fps": frames / wall,
        "frame_p50_ms": float(np.percentile(frame_ms, 50)),
        "frame_p99_ms": float(np.percentile(frame_ms, 99)),
        "cpu_fraction": cpu / wall, "samples_received": received, "gaps": gaps,
    }


def median_row(runs: list[dict]) -> dict:
    """The median of every numeric column over repeated runs (gaps: the maximum)."""
    row = dict(runs[0])
    for key, value in row.items():
        if key == "gaps":
            row[key] = max(r[key] for r in runs)
        elif isinstance(value, float):
            row[key] = float(np.median([r[key] for r in runs]))
    return row


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print a table, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, nargs="+", default=[8, 64, 256])
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="measured seconds per channel count (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="seconds after the ring is full before measuring")
    parser.add_argument("--sfreq", type=float, default=1000.0)
    parser.add_argument("--fps", type=float, default=None,
                        help="the monitor's frame-rate target (default: its own default)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure each channel count this many times; the table gives "
                             "the median of each column")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print the N functions with the most own time (cProfile)")
    parser.add_argument("--json", default=None, help="write the results to this file")
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--name", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--serve-seconds", type=float, default=60.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve(args.serve, args.name, args.sfreq, args.serve_seconds)
        return 0
    runs = [[measure(n, args.seconds, args.sfreq, args.warmup, args.fps, args.profile)
             for _ in range(args.repeat)] for n in args.channels]
    rows = [median_row(r) for r in runs]
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"monitor, offscreen 1600x1000, {args.sfreq:g} Hz, 10 s window, LSL replay "
          f"in another process; median of {args.repeat} run(s) of {args.seconds:g} s; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'channels':>8} {'on screen':>9} {'target':>6} {'fps':>6} {'frame p50':>10} "
          f"{'frame p99':>10} {'CPU':>6} {'gaps':>5}")
    for r in rows:
        print(f"{r['channels']:>8} {r['channels_on_screen']:>9} {r['fps_target']:>6.0f} "
              f"{r['fps']:>6.1f} {r['frame_p50_ms']:>8.1f}ms {r['frame_p99_ms']:>8.1f}ms "
              f"{100 * r['cpu_fraction']:>5.0f}% {r['gaps']:>5}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"benchmark": "monitor", "machine": platform.platform(),
                       "cpus": os.cpu_count(), "load_average": load,
                       "results": rows, "runs": runs}, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
