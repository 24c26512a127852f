"""Soak: hours of signal through ``bci live``, replayed fast; memory and latency over time.

Three processes, as a user would run them:

- this one: a :class:`bci.replay.Player` with ``loop=True`` at ``--speed`` (default 40: five
  hours of signal in 7.5 minutes of wall time), replaying ``S001R01.edf`` (64 EEG channels
  at 160 Hz, 60 s, looped) or a 64-channel simulated resting recording (``--recording
  sim``: ``bci.datasets.simulate("rest", duration=600, n_channels=64)``);
- ``python -m bci.cli live CONFIG --stream NAME --stats FILE`` (default config
  ``docs/configs/alpha-eyes-closed.toml``: bandpass 1-40 Hz, sliding 2 s window every
  0.25 s, alpha band power of O1/Oz/O2), whose resident memory (RSS) and CPU use this
  process samples with psutil every ``--sample-every`` seconds;
- an independent receiver (``multiprocessing`` spawn) that reads the decision stream with
  a blocking ``pull_chunk(timeout, min_samples=1)`` and keeps every decision's
  ``window_end`` and ``latency_ms`` (push time - ``window_end``, stamped by ``bci live``)
  and its own receipt time.

Each decision is put in an hour of *signal* by its ``window_end``:
``signal time = (window_end - player.t0) * speed``. Latencies are wall-clock milliseconds,
i.e. what the pipeline and LSL cost; at ``--speed 40`` the same milliseconds stand for 40
times as much signal time, so they are not the latency a real-time run would show in
signal time (at 1x they are the same figures, with more idle time between chunks).

Reported: RSS at the start of the replay, after the first hour of signal and at the end
(growth = end - start; target under 20 MB), the slope of RSS over the second half of the
run, p50/p99/max latency per hour of signal (target: the last hour's p99 within 10 % of
the first's), decisions per hour against the number expected, the replay's pacing lag,
and the live process's final statistics (``--stats``: skipped windows, overruns, gaps).

Usage::

    python bench/bench_soak.py [--hours 5] [--speed 40] [--chunk 8] [--json FILE]
    python bench/bench_soak.py --quick          # 0.2 h of signal: about 18 s

The machine is shared (2 cores): the load average is recorded at the start and end;
quote medians and p99 with it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from itertools import pairwise
from pathlib import Path

import numpy as np
from common import (  # bench/ is on sys.path when run as a script
    CTX,
    cleanup,
    load,
    machine,
    markdown_table,
    summarize,
    table,
    track,
    write_json,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = ROOT / "docs" / "configs" / "alpha-eyes-closed.toml"
TARGET_GROWTH_MB = 20.0
TARGET_P99_RATIO = 1.10
MB = 1024 * 1024


# -- the independent receiver (spawned child) ---------------------------------------------

def _receive(name: str, out_path: str, ready, stop, timeout: float) -> None:
    """Child process: pull every decision of stream ``name`` until ``stop``; save them.

    Saved: ``values`` (n, n_channels) as sent, ``stamps`` (push times), ``receipt``
    (``local_clock()`` when the pull that delivered the decision returned).
    """
    import pylsl

    infos = pylsl.resolve_byprop("name", name, 1, timeout)
    if not infos:
        np.savez(out_path, error=np.array(f"decision stream {name} not found"))
        ready.set()
        return
    info = infos[0]
    n_ch = info.channel_count()
    # No clock post-processing: sender and receiver share this machine's clock.
    inlet = pylsl.StreamInlet(info, max_buflen=360, max_chunklen=0, recover=False,
                              processing_flags=0)
    inlet.open_stream(timeout)
    buf = np.empty((1024, n_ch), dtype=np.float64)
    values, stamps, receipt = [], [], []
    ready.set()
    stop_seen = None
    while True:
        try:
            _, ts = inlet.pull_chunk(timeout=0.2, max_samples=1024, dest_obj=buf,
                                     min_samples=1)
        except pylsl.util.LostError:  # bci live stopped and withdrew its outlet
            break
        now = pylsl.local_clock()
        k = len(ts)
        if k:
            values.append(buf[:k].copy())
            stamps.append(np.asarray(ts, dtype=np.float64))
            receipt.append(np.full(k, now))
        if stop.is_set():
            stop_seen = stop_seen or time.monotonic()
            if not k or time.monotonic() - stop_seen > 3.0:
                break
    inlet.close_stream()
    del inlet

    def cat(parts: list, shape: tuple) -> np.ndarray:
        return np.concatenate(parts) if parts else np.empty(shape)

    np.savez(out_path, values=cat(values, (0, n_ch)), stamps=cat(stamps, (0,)),
             receipt=cat(receipt, (0,)))


def start_receiver(name: str, timeout: float = 90.0):
    """Spawn the receiver; return (process, ready, stop, npz path)."""
    folder = tempfile.mkdtemp(prefix="bci-soak-rx-")
    path = os.path.join(folder, "rx.npz")
    ready, stop = CTX.Event(), CTX.Event()
    process = CTX.Process(target=_receive, name="soak-receiver",
                          args=(name, path, ready, stop, timeout), daemon=True)
    process.start()
    track(process)
    return process, ready, stop, path


# -- setup ----------------------------------------------------------------------------------

def find_recordings() -> Path | None:
    """``../shared/recordings`` beside the project, if present."""
    for base in (ROOT.parent, ROOT.parent.parent):
        candidate = base / "shared" / "recordings"
        if candidate.is_dir():
            return candidate
    return None


def make_source(recording: str, name: str, workdir: Path):
    """The replay source and the pipeline config that matches its channels."""
    from bci.replay.files import sources_from_file
    from bci.replay.source import ReplaySource

    config = DEFAULT_CONFIG
    if recording == "sim":
        from bci.datasets import simulate

        raw = simulate("rest", duration=600, n_channels=64)
        source = ReplaySource.from_raw(raw, name)
        # Same pipeline as alpha-eyes-closed.toml, with the simulator's channel names.
        text = DEFAULT_CONFIG.read_text().replace('"O1..", "Oz..", "O2.."',
                                                  '"O1", "Oz", "O2"')
        config = workdir / "alpha-sim.toml"
        config.write_text(text)
        return source, config, "simulate('rest', duration=600, n_channels=64)"
    path = Path(recording)
    if not path.exists():
        rec = find_recordings()
        path = (rec / "physionet-eegmmidb" / "S001" / recording) if rec else path
    if not path.exists():
        raise SystemExit(f"bench_soak: recording {recording} not found: give a path, "
                         "or --recording sim")
    return sources_from_file(path, name=name)[0], config, path.name


# -- analysis -------------------------------------------------------------------------------

def per_bin(signal_s: np.ndarray, values: dict[str, np.ndarray], bin_s: float,
            total_s: float, step_s: float, samples: list[dict], n_sub: int = 4
            ) -> list[dict]:
    """Latency summaries per bin of signal time, with what the machine was doing.

    ``<key>_sub_p99`` are the p99 of each of ``n_sub`` equal parts of the bin;
    ``<key>_typical_p99`` their median: one burst of load from another process (the
    machine is shared) moves a bin's p99 but not this. ``load1`` and ``live_cpu`` are
    the means of the RSS samples taken during the bin.
    """
    n_bins = max(1, math.ceil(total_s / bin_s - 1e-9))
    sample_s = np.array([s["signal_s"] for s in samples])
    rows = []
    for b in range(n_bins):
        lo, hi = b * bin_s, min((b + 1) * bin_s, total_s)
        mask = (signal_s >= lo) & (signal_s < hi)
        row = {"bin": b, "from_s": lo, "to_s": hi, "n": int(mask.sum()),
               "expected": int(round((hi - lo) / step_s))}
        for key, v in values.items():
            row[key] = summarize(v[mask])
            edges = np.linspace(lo, hi, n_sub + 1)
            subs = [v[(signal_s >= a) & (signal_s < c)] for a, c in pairwise(edges)]
            row[f"{key}_sub_p99"] = [float(np.percentile(x, 99)) if x.size else None
                                     for x in subs]
            valid = [x for x in row[f"{key}_sub_p99"] if x is not None]
            row[f"{key}_typical_p99"] = float(np.median(valid)) if valid else None
        during = [s for s, t in zip(samples, sample_s, strict=True) if lo <= t < hi]
        row["load1"] = float(np.mean([s["load1"] for s in during])) if during else None
        row["live_cpu"] = (float(np.mean([s["cpu_percent"] for s in during]))
                           if during else None)
        rows.append(row)
    return rows


def rss_figures(samples: list[dict], bin_s: float) -> dict:
    """RSS at start, after the first bin, at the end; growth and the second half's slope."""
    signal = np.array([s["signal_s"] for s in samples])
    rss = np.array([s["rss"] for s in samples]) / MB
    start, end = float(rss[0]), float(rss[-1])
    after_first = rss[signal >= bin_s]
    half = signal >= signal[-1] / 2
    slope = (float(np.polyfit(signal[half] / 3600.0, rss[half], 1)[0])
             if half.sum() >= 3 else None)
    return {"rss_start_mb": start, "rss_end_mb": end, "rss_max_mb": float(rss.max()),
            "rss_after_first_bin_mb": float(after_first[0]) if after_first.size else None,
            "growth_mb": end - start,
            "growth_after_first_bin_mb": (end - float(after_first[0])
                                          if after_first.size else None),
            "slope_second_half_mb_per_hour": slope}


# -- main -----------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> dict:
    import psutil

    from bci.pipeline.config import load_config
    from bci.replay import Player

    uid = uuid.uuid4().hex[:8]
    name, out_name = f"soak-{uid}", f"soak-{uid}-decisions"
    workdir = Path(tempfile.mkdtemp(prefix="bci-soak-"))
    source, config_path, recording = make_source(args.recording, name, workdir)
    config = load_config(config_path)
    step_s, window_s = config.step, config.window
    signal_total = args.hours * 3600.0
    wall_total = signal_total / args.speed
    bin_s = args.bin or (3600.0 if args.hours >= 2 else signal_total / 4)
    stats_path = workdir / "live-stats.json"
    log_path = workdir / "live.log"
    print(f"soak: {recording}, {len(source.ch_names)} ch at {source.sfreq:g} Hz, "
          f"{args.hours:g} h of signal at {args.speed:g}x = {wall_total:.0f} s wall, "
          f"chunks of {args.chunk} samples; config {config_path.name}; load {load()}",
          file=sys.stderr, flush=True)

    player = Player([source], speed=args.speed, chunk=args.chunk, loop=True,
                    source_id=uuid.uuid4().hex)
    player.open_outlets()
    command = [sys.executable, "-m", "bci.cli", "live", str(config_path), "--stream", name,
               "--out-stream", out_name, "--stats", str(stats_path), "--timeout", "90"]
    with open(log_path, "w") as log:
        live = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log,
                                cwd=str(ROOT))
    receiver = rx_ready = rx_stop = None
    try:
        receiver, rx_ready, rx_stop, rx_path = start_receiver(out_name)
        deadline = time.monotonic() + 120
        while not rx_ready.wait(0.2):
            if live.poll() is not None:
                raise RuntimeError(f"bci live exited ({live.returncode}): "
                                   f"{log_path.read_text()[-2000:]}")
            if not receiver.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the receiver did not connect to the decision stream")
        time.sleep(0.2)  # the session thread starts right after the outlet exists
        proc = psutil.Process(live.pid)
        proc.cpu_percent(None)
        player.start()
        t0 = player.t0
        samples = []
        next_report = bin_s
        wall_start = time.monotonic()
        while True:
            now = time.monotonic() - wall_start
            mem = proc.memory_info()
            signal_s = now * args.speed
            pushed_s = player.n_pushed[0] / source.sfreq
            samples.append({"wall_s": now, "signal_s": signal_s, "rss": mem.rss,
                            "cpu_percent": proc.cpu_percent(None),
                            "lag_s": max(0.0, signal_s - pushed_s), "load1": load()[0]})
            if signal_s >= next_report:
                print(f"  {signal_s / 3600:5.2f} h of signal: live RSS "
                      f"{mem.rss / MB:7.1f} MB, CPU {samples[-1]['cpu_percent']:5.1f} %, "
                      f"replay lag {samples[-1]['lag_s']:.2f} s, load {load()[0]}",
                      file=sys.stderr, flush=True)
                next_report += bin_s
            if live.poll() is not None:
                raise RuntimeError(f"bci live died ({live.returncode}): "
                                   f"{log_path.read_text()[-2000:]}")
            if player.error is not None or not player.is_running():
                raise RuntimeError(f"the replay stopped: {player.error!r}")
            if now >= wall_total:
                break
            time.sleep(min(args.sample_every, max(0.05, wall_total - now)))
        # Stop: bci live first (SIGTERM -> clean stop, --stats written), then the rest.
        live.send_signal(signal.SIGTERM)
        try:
            live.wait(60)
        except subprocess.TimeoutExpired:
            live.kill()
            live.wait(10)
        rx_stop.set()
        receiver.join(60)
    finally:
        player.stop()
        if live.poll() is None:
            live.kill()
            live.wait(10)
        cleanup()
    if receiver.exitcode != 0:
        raise RuntimeError(f"receiver failed (exit {receiver.exitcode})")
    with np.load(rx_path) as data:
        rx = {k: data[k] for k in data.files}
    if "error" in rx:
        raise RuntimeError(str(rx["error"]))
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else None
    log_tail = log_path.read_text()[-3000:]
    if args.keep:
        print(f"kept {rx_path} (decisions) and {workdir} (live log, stats)", file=sys.stderr)
    else:
        shutil.rmtree(Path(rx_path).parent, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)

    values = rx["values"]
    window_end, latency_ms = values[:, -2], values[:, -1]
    receipt_ms = (rx["receipt"] - window_end) * 1e3
    signal_s = (window_end - t0) * args.speed
    keep = signal_s < signal_total  # decisions after the nominal end are not binned
    bins = per_bin(signal_s[keep], {"latency_ms": latency_ms[keep],
                                    "receipt_ms": receipt_ms[keep]},
                   bin_s, signal_total, step_s, samples)
    # The very first window ends window_s after the start: the first bin expects fewer.
    bins[0]["expected"] -= int(round(window_s / step_s)) - 1
    ends = np.sort(window_end)
    steps_s = np.diff(ends) * args.speed
    rss = rss_figures(samples, bin_s)
    first_p99 = bins[0]["latency_ms"]["p99"]
    last_p99 = bins[-1]["latency_ms"]["p99"]
    ratio = (last_p99 / first_p99) if first_p99 and last_p99 else None
    first_typ = bins[0]["latency_ms_typical_p99"]
    last_typ = bins[-1]["latency_ms_typical_p99"]
    typical_ratio = (last_typ / first_typ) if first_typ and last_typ else None
    return {
        "recording": recording, "config": config_path.name,
        "channels": len(source.ch_names), "sfreq": source.sfreq,
        "hours": args.hours, "speed": args.speed, "chunk": args.chunk,
        "bin_signal_s": bin_s, "wall_s": wall_total, "step_s": step_s,
        "window_s": window_s, "command_live": " ".join(command[1:]),
        "decisions": int(values.shape[0]), "decisions_binned": int(keep.sum()),
        "expected_decisions": int(sum(b["expected"] for b in bins)),
        "missing_steps": int(np.sum(np.round(steps_s / step_s) > 1)),
        "duplicates": int(np.sum(steps_s < step_s / 2)),
        "bins": bins, "overall": {"latency_ms": summarize(latency_ms[keep]),
                                  "receipt_ms": summarize(receipt_ms[keep])},
        "p99_last_over_first": ratio, "typical_p99_last_over_first": typical_ratio,
        "rss": rss, "samples": samples,
        "live_cpu_percent_median": float(np.median([s["cpu_percent"] for s in samples[1:]]))
        if len(samples) > 1 else None,
        "replay_lag_max_s": max(s["lag_s"] for s in samples),
        "live_stats": stats, "live_log_tail": log_tail,
        "targets": {"growth_mb": TARGET_GROWTH_MB, "p99_ratio": TARGET_P99_RATIO,
                    "growth_met": rss["growth_mb"] < TARGET_GROWTH_MB,
                    "p99_met": ratio is not None and ratio <= TARGET_P99_RATIO},
    }


def report(result: dict) -> str:
    """The tables printed on stdout."""
    unit = "h" if result["bin_signal_s"] >= 3600 else "min"
    scale = 3600.0 if unit == "h" else 60.0
    cols = ["signal", "decisions", "expected", "latency p50", "p99", "typical p99", "max",
            "receipt p50", "receipt p99", "load", "live CPU %"]
    rows = []
    for b in result["bins"]:
        lat, rec = b["latency_ms"], b["receipt_ms"]
        rows.append([f"{b['from_s'] / scale:g}-{b['to_s'] / scale:g} {unit}", b["n"],
                     b["expected"], lat["p50"], lat["p99"], b["latency_ms_typical_p99"],
                     lat["max"], rec["p50"], rec["p99"],
                     None if b["load1"] is None else round(b["load1"], 2),
                     None if b["live_cpu"] is None else round(b["live_cpu"])])
    r = result["rss"]
    live = result["live_stats"] or {}
    e2e = live.get("end_to_end", {})
    counters = live.get("counters", {})
    lines = [
        f"soak: {result['hours']:g} h of signal ({result['recording']}, "
        f"{result['channels']} ch at {result['sfreq']:g} Hz) at {result['speed']:g}x in "
        f"{result['wall_s']:.0f} s, chunks of {result['chunk']}, {result['config']}",
        "latency: wall-clock ms (push - window_end as bci live stamps it; receipt = the "
        "independent receiver's clock - window_end); typical p99 = median of the p99s of "
        "the bin's four quarters; load = 1-min load average",
        table(cols, rows),
        "",
        f"decisions {result['decisions_binned']} binned of {result['expected_decisions']} "
        f"expected; missing steps {result['missing_steps']}, duplicates "
        f"{result['duplicates']}; last-bin p99 / first-bin p99 = "
        + (f"{result['p99_last_over_first']:.3f}" if result["p99_last_over_first"]
           else "-")
        + " (typical p99: "
        + (f"{result['typical_p99_last_over_first']:.3f}"
           if result["typical_p99_last_over_first"] else "-") + ")",
        f"live RSS: start {r['rss_start_mb']:.1f} MB, after first bin "
        + (f"{r['rss_after_first_bin_mb']:.1f}" if r["rss_after_first_bin_mb"] else "-")
        + f" MB, end {r['rss_end_mb']:.1f} MB, max {r['rss_max_mb']:.1f} MB; growth "
        f"{r['growth_mb']:+.1f} MB (after first bin "
        + (f"{r['growth_after_first_bin_mb']:+.1f}" if r["growth_after_first_bin_mb"]
           is not None else "-")
        + " MB); second-half slope "
        + (f"{r['slope_second_half_mb_per_hour']:+.2f} MB/h of signal"
           if r["slope_second_half_mb_per_hour"] is not None else "-"),
        f"live CPU (median of samples) {result['live_cpu_percent_median']:.0f} % of one "
        f"core; replay lag max {result['replay_lag_max_s']:.2f} s of signal",
        f"bci live --stats: decisions {counters.get('decisions')}, skipped_windows "
        f"{counters.get('skipped_windows', 0)}, end-to-end overruns "
        f"{e2e.get('overruns')} (budget {e2e.get('budget_ms')} ms), p50 "
        f"{e2e.get('p50_ms') or 0:.3f} / p99 {e2e.get('p99_ms') or 0:.3f} / max "
        f"{e2e.get('max_ms') or 0:.3f} ms (last {min(e2e.get('count', 0), 100_000)}), "
        f"gaps {counters.get('gaps', 0)}, stalls {counters.get('stalls', 0)}, "
        f"restarts {counters.get('restarts', 0)}",
        f"targets: growth < {TARGET_GROWTH_MB:g} MB: "
        f"{'yes' if result['targets']['growth_met'] else 'NO'}; last p99 within "
        f"{TARGET_P99_RATIO - 1:.0%} of first (per bin): "
        f"{'yes' if result['targets']['p99_met'] else 'NO'}",
    ]
    result["markdown"] = markdown_table(cols, rows)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the soak, print the tables, optionally write JSON; 0 if both targets are met."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=5.0,
                        help="hours of signal to replay (default 5)")
    parser.add_argument("--speed", type=float, default=40.0,
                        help="replay speed factor (default 40)")
    parser.add_argument("--chunk", type=int, default=8,
                        help="samples per pushed chunk (default 8: 50 ms of signal at "
                             "160 Hz, 1.25 ms of wall time at 40x; divides the 40-sample "
                             "step, so a window's last sample ends a chunk)")
    parser.add_argument("--recording", default="S001R01.edf",
                        help="a recording file (default S001R01.edf from "
                             "../shared/recordings) or 'sim' (64-channel simulated rest)")
    parser.add_argument("--bin", type=float, default=None,
                        help="seconds of signal per latency bin (default 3600; a quarter "
                             "of the run when under 2 h)")
    parser.add_argument("--sample-every", type=float, default=2.0,
                        help="seconds of wall time between RSS samples (default 2)")
    parser.add_argument("--quick", action="store_true", help="0.2 h of signal (smoke run)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary files (every decision received, the live "
                             "log and --stats file) and print where they are")
    parser.add_argument("--json", help="write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.quick:
        args.hours = 0.2
    env = machine()
    result = run(args)
    text = report(result)
    print(text)
    print(f"load at start {env['loadavg_start']}, at end {load()}; commit "
          f"{env.get('git_head')}"
          f"{' + uncommitted bci/ changes' if env.get('bci_uncommitted') else ''}")
    write_json(args.json, {"benchmark": "soak", "machine": env, "load_end": load(),
                           **result})
    return 0 if result["targets"]["growth_met"] and result["targets"]["p99_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
