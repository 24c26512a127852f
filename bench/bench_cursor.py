"""Benchmark: continuous-control decoders per bin, and decision rate and latency over LSL.

Part 1, decoder cost per bin: a Kalman filter (steady-state gain and time-varying gain)
and ridge regression, fitted on a simulated intracortical array (``bci simulate
--paradigm cursor``: 1-kHz spike counts, 20-ms bins), at 96, 256 and 1024 channels.
Each call is ``decoder.step(window)`` on one (n_channels x 20) window, which is what the
live pipeline does once per bin: the binned rate and the filter update. Timed with
``perf_counter_ns`` (wall) and ``thread_time_ns`` (the thread's CPU: wall minus CPU is
time the shared machine gave the core to someone else) under ``threadpool_limits(1)``
(as ``bci live`` runs), ``--calls`` calls after a warm-up, cycling over distinct
windows. Target: p99 <= 1 ms at 1024.

Part 2, decision rate and end-to-end latency against the raw floor, in the same run: a
simulated 96-channel recording is replayed over LSL (``Player``, 1 kHz, 20-sample
chunks), received by ``bci.stream.Inlet`` and, in turn:

- ``floor``: nothing else; latency = receipt time - LSL time of the chunk's newest
  sample (what any consumer waits for the data);
- ``kalman``: each chunk through the model's pipeline (picks, sliding 20-ms window) and
  ``decoder.step``; latency = time the output exists - LSL time of the window's newest
  sample (``window_end``), as the decision stream's ``latency_ms``.

Target: >= 50 decisions per second (one per 20-ms bin), p99 close to the floor's.

Usage::

    python bench/bench_cursor.py [--json FILE] [--quick] [--calls N] [--duration S]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from common import load, markdown_table, summarize, table, write_json

CHANNELS = (96, 256, 1024)
WINDOW = 20  # samples at 1 kHz: a 20-ms bin
TOML = """
[signal]
picks = "seeg"
[targets]
channels = ["cursor_vx", "cursor_vy"]
[online]
mode = "sliding"
window = 0.02
step = 0.02
[decoder]
kind = "kalman"
"""


def _training_windows(n_channels: int, seconds: float):
    from bci.datasets.cursor import simulate_cursor

    raw = simulate_cursor(duration=seconds, seed=1, n_channels=n_channels)
    data = raw.get_data()
    n = data.shape[1] // WINDOW
    X = data[:n_channels, :n * WINDOW].reshape(n_channels, n, WINDOW).transpose(1, 0, 2)
    y = data[-2:, :n * WINDOW].reshape(2, n, WINDOW).mean(axis=2).T
    return np.ascontiguousarray(X), y


def decoder_costs(calls: int, seconds: float) -> list[dict]:
    """Part 1: ms per ``step`` of one window, per decoder and channel count."""
    from threadpoolctl import threadpool_limits

    from bci.decoders.kalman import KalmanDecoder
    from bci.decoders.ridge import RidgeDecoder

    rows = []
    for n_channels in CHANNELS:
        X, y = _training_windows(n_channels, seconds)
        decoders = {"kalman (steady)": KalmanDecoder(sfreq=1000.0).fit(X, y),
                    "kalman (full)": KalmanDecoder(sfreq=1000.0, steady_state=False
                                                   ).fit(X, y),
                    "ridge": RidgeDecoder(sfreq=1000.0).fit(X, y)}
        windows = [X[i:i + 1] for i in range(min(len(X), 500))]
        for name, decoder in decoders.items():
            decoder.reset()
            times = np.empty(calls)
            cpu = np.empty(calls)
            with threadpool_limits(1):
                for w in windows[:50]:
                    decoder.step(w)
                for k in range(calls):
                    w = windows[k % len(windows)]
                    started, cpu_started = time.perf_counter_ns(), time.thread_time_ns()
                    decoder.step(w)
                    times[k] = (time.perf_counter_ns() - started) / 1e6
                    cpu[k] = (time.thread_time_ns() - cpu_started) / 1e6
            rows.append({"decoder": name, "channels": n_channels, **summarize(times),
                         "cpu_p99": float(np.percentile(cpu, 99))})
            print(f"  {name:<16} {n_channels:>5} ch  p50 {rows[-1]['p50']:.4f}  "
                  f"p99 {rows[-1]['p99']:.4f} ms", file=sys.stderr)
        del X, y, decoders, windows
    return rows


def live_latency(duration: float) -> dict:
    """Part 2: floor and Kalman decisions over LSL, one after the other, same recording."""
    import pylsl
    from threadpoolctl import threadpool_limits

    from bci.datasets.cursor import simulate_cursor
    from bci.learn.training import train_sources
    from bci.outputs import Collector
    from bci.pipeline.config import parse_config
    from bci.pipeline.spec import build_pipeline
    from bci.replay import Player, ReplaySource
    from bci.runtime import LiveSource, Session
    from bci.stream import Inlet

    model, _, _ = train_sources(parse_config(TOML), [ReplaySource.from_raw(
        simulate_cursor(duration=60, seed=1), "calibration")], n_folds=1)
    source = ReplaySource.from_raw(simulate_cursor(duration=duration + 2, seed=5), "bench")
    out = {}
    for variant in ("floor", "kalman"):
        source_id = uuid.uuid4().hex
        player = Player([source], chunk=WINDOW, lead=0.5, source_id=source_id)
        player.open_outlets()
        pipeline = build_pipeline(model, sfreq=source.sfreq, ch_names=source.ch_names,
                                  ch_types=source.ch_types)  # the decoder starts reset
        latencies, n_decisions = [], 0
        try:
            with Inlet(source_id=f"{source_id}-0", timeout=10, recover=False) as inlet, \
                    threadpool_limits(1):
                if variant == "kalman":  # the one session loop, as bci live runs it
                    collector = Collector(events=False)
                    session = Session(LiveSource(inlet), pipeline, sinks=[collector])
                    session.start()
                    player.start()
                    started = time.monotonic()
                    while inlet.n_received < source.n_times and player.is_running():
                        time.sleep(0.05)
                    time.sleep(0.2)
                    session.stop()
                    elapsed = time.monotonic() - started
                    latencies = [(t - d.window_end) * 1e3 for d, t
                                 in zip(collector.decisions, collector.push_times, strict=True)]
                    n_decisions = len(latencies)
                else:
                    player.start()
                    started = None
                    while inlet.n_received < source.n_times:
                        chunk = inlet.pull(timeout=0.5)
                        if chunk is None:
                            if not player.is_running():
                                break
                            continue
                        started = started or time.monotonic()
                        latencies.append((pylsl.local_clock() - chunk.times[-1]) * 1e3)
                        n_decisions += 1
                    elapsed = time.monotonic() - started
        finally:
            player.stop()
        skip = int(1.0 * 1000 / WINDOW)  # the first second: connection settling
        out[variant] = {"decisions": n_decisions, "rate_hz": n_decisions / elapsed,
                        "latency_ms": summarize(np.asarray(latencies[skip:]))}
        s = out[variant]["latency_ms"]
        print(f"  {variant:<7} {out[variant]['rate_hz']:.1f}/s  p50 {s['p50']:.3f}  "
              f"p99 {s['p99']:.3f} ms", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument("--quick", action="store_true", help="fewer calls, shorter replay")
    parser.add_argument("--calls", type=int, default=None, help="timed calls (default 3000)")
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds of replay per variant (default 20)")
    args = parser.parse_args(argv)
    calls = args.calls or (500 if args.quick else 3000)
    duration = args.duration or (6.0 if args.quick else 20.0)
    import mne

    mne.set_log_level("WARNING")
    result = {"benchmark": "cursor", "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
              "loadavg_start": list(os.getloadavg()), "calls": calls,
              "replay_seconds": duration,
              "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])}
    result["decoders"] = decoder_costs(calls, 20.0 if args.quick else 40.0)
    result["live"] = live_latency(duration)
    result["loadavg_end"] = load()
    cols = ["decoder", "channels", "p50 ms", "p95 ms", "p99 ms", "max ms", "CPU p99 ms"]
    rows = [[r["decoder"], r["channels"], r["p50"], r["p95"], r["p99"], r["max"],
             r["cpu_p99"]]
            for r in result["decoders"]]
    live_cols = ["variant", "decisions", "per second", "p50 ms", "p99 ms", "max ms"]
    live_rows = [[k, v["decisions"], v["rate_hz"], v["latency_ms"]["p50"],
                  v["latency_ms"]["p99"], v["latency_ms"]["max"]]
                 for k, v in result["live"].items()]
    steady_1024 = next(r for r in result["decoders"]
                       if r["decoder"] == "kalman (steady)" and r["channels"] == 1024)
    kalman = result["live"]["kalman"]
    floor = result["live"]["floor"]
    result["targets"] = [
        {"target": "Kalman (steady) step p99 <= 1 ms at 1024 channels",
         "value": steady_1024["p99"], "met": steady_1024["p99"] <= 1.0},
        {"target": "decision rate >= 50 Hz", "value": kalman["rate_hz"],
         "met": kalman["rate_hz"] >= 49.5},
        {"target": "Kalman p99 latency minus the floor's p99 (ms)",
         "value": kalman["latency_ms"]["p99"] - floor["latency_ms"]["p99"],
         "met": kalman["latency_ms"]["p99"] - floor["latency_ms"]["p99"] <= 1.0},
    ]
    print(f"\nDecoder cost per 20-ms bin (decoder.step on one window, 1 BLAS thread), "
          f"{calls} calls; load {result['loadavg_start'][0]:.2f} -> "
          f"{result['loadavg_end'][0]:.2f}\n")
    print(table(cols, rows))
    print(f"\nOver LSL: 96 channels at 1 kHz, 20-sample chunks, {duration:g} s per variant\n")
    print(table(live_cols, live_rows))
    print("\nTargets:")
    for t in result["targets"]:
        print(f"  {'MET ' if t['met'] else 'MISS'}  {t['target']}: {t['value']:.4g}")
    result["markdown"] = {"decoders": markdown_table(cols, rows),
                          "live": markdown_table(live_cols, live_rows)}
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
