"""Load test: several bci programs at once on this machine, each its own process.

What a lab runs side by side, on real recordings from ``../shared/recordings``:

- ``eeg``: ``bci live`` of a 64-channel motor-imagery model (tangent space + logistic
  regression, trained on PhysioNet eegmmidb S001R04) deciding **every 0.1 s** from 2 s
  windows, on ``bci replay S001R08.edf --loop`` (64 EEG channels, 160 Hz);
- ``emg``: ``bci live`` of the EMG gesture model (``docs/configs/emg-gestures.toml``:
  features + LDA every 25 ms, hysteresis ``[postprocess]``), trained on UCI subject 01
  series 1, on ``bci replay`` of series 2 ``--loop`` (8 channels, 200 Hz);
- ``monitor``: ``bci monitor`` on the EEG stream, offscreen, 1600 x 1000 at 60 fps;
- ``record``: ``bci record`` of both signals, their markers and both decision streams.

Each program is stopped with SIGTERM after ``--seconds`` (the clean stop: every
``--stats`` and summary gets written). Reported per program:

- **overruns**: stage and end-to-end values above the ``[budget]``, from ``--stats``;
- **skipped windows**: windows dropped as stale (``skip_stale``) because the worker fell
  behind;
- **lost samples**: for ``bci live``, the gaps and samples missing its inlet found (a
  dropped sample of a regular stream is a gap in its stamps), and samples received
  against those due at the nominal rate over the time it ran; for the recorder, the same
  from the XDF file it wrote (stamps of each stream: gaps, count against due); for the
  monitor, the gaps its reader counted;
- **CPU %**: the process's CPU time over its wall time (100 % = one core), from
  ``/proc`` via psutil, over the measured period (the start-up excluded);
- the end-to-end decision latency p50/p99 and the monitor's frames per second.

The machine's load average is recorded at the start and end: on a shared machine, other
work shows in every column. Usage::

    python bench/bench_load.py [--seconds 120] [--json FILE] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import load, machine, markdown_table, table, write_json  # noqa: E402

SHARED = ROOT.parent / "shared" / "recordings"
EEG_TRAIN = SHARED / "physionet-eegmmidb" / "S001" / "S001R04.edf"
EEG_REPLAY = SHARED / "physionet-eegmmidb" / "S001" / "S001R08.edf"
EMG_TRAIN = SHARED / "uci-emg-gestures" / "subject01" / "1_raw_data_13-12_22.03.16.txt.gz"
EMG_REPLAY = SHARED / "uci-emg-gestures" / "subject01" / "2_raw_data_13-13_22.03.16.txt.gz"

#: The 64-channel session: motor imagery decided continuously (heavier than one decision
#: per cue: a 64 x 64 covariance, its tangent-space projection and a prediction, 10 / s).
EEG_CONFIG = """
name = "64-channel motor imagery, sliding (load test)"
[signal]
picks = "eeg"
[[filters]]
kind = "bandpass"
l_freq = 8.0
h_freq = 30.0
[epochs]
events = { left = "T1", right = "T2" }
tmin = 0.5
tmax = 2.5
[online]
mode = "sliding"
window = 2.0
step = 0.1
[decoder]
kind = "tangent-space-lr"
estimator = "oas"
[budget]
chunk = 2.0
end_to_end = 20.0
"""

#: Seconds for a program to start and connect before the measured period begins.
WARMUP = 5.0


def _bci(args: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    with open(log, "w", encoding="utf-8") as err:
        return subprocess.Popen([sys.executable, "-m", "bci.cli", *args], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=err, text=True,
                                env=env or dict(os.environ))


def _train(folder: Path) -> tuple[Path, Path]:
    """Fit the two models (not timed; a few seconds each)."""
    config = folder / "eeg-sliding.toml"
    config.write_text(EEG_CONFIG, encoding="utf-8")
    models = []
    for cfg, data, out in ((config, EEG_TRAIN, folder / "eeg.model"),
                           (ROOT / "docs" / "configs" / "emg-gestures.toml", EMG_TRAIN,
                            folder / "emg.model")):
        done = subprocess.run([sys.executable, "-m", "bci.cli", "train", str(cfg), "--data",
                               str(data), "--out", str(out), "--cv", "2"], cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise SystemExit(f"training {cfg.name} failed: {done.stderr.strip()[-400:]}")
        models.append(out)
        print(f"trained {out.name}", file=sys.stderr)
    return models[0], models[1]


def _wait_for(log: Path, text: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text(encoding="utf-8", errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{log.stem} did not start ({text!r}):\n"
                             + log.read_text(encoding="utf-8", errors="replace")[-800:])
        time.sleep(0.2)  # polls a log file; the programs run in their own processes


def _recorded_losses(path: Path) -> dict:
    """Per regular stream of the XDF file: samples, due from the stamps' span, gaps."""
    import numpy as np
    import pyxdf

    streams, _ = pyxdf.load_xdf(str(path), dejitter_timestamps=False)
    out = {}
    for s in streams:
        name, sfreq = s["info"]["name"][0], float(s["info"]["nominal_srate"][0])
        stamps = np.asarray(s["time_stamps"])
        if sfreq <= 0 or stamps.size < 2:
            out[name] = {"samples": int(stamps.size)}
            continue
        steps = np.diff(stamps) * sfreq
        due = int(round((stamps[-1] - stamps[0]) * sfreq)) + 1
        out[name] = {"samples": int(stamps.size), "due": due,
                     "lost": max(due - int(stamps.size), 0),
                     "gaps": int(np.sum(steps > 1.5))}
    return out


def _live_row(stats: dict, sfreq: float, seconds: float) -> dict:
    counters = stats["counters"]
    stages = stats["stages"]
    e2e = stats["end_to_end"]
    return {
        "overruns": sum(s["overruns"] for s in stages.values()) + e2e["overruns"],
        "overruns_by": {**{k: s["overruns"] for k, s in stages.items() if s["overruns"]},
                        "end_to_end": e2e["overruns"]},
        "skipped_windows": counters.get("skipped_windows", 0),
        "gaps": counters.get("gaps", 0),
        "samples_missing": counters.get("samples_missing", 0),
        "samples": counters.get("samples", 0),
        "samples_due": int(round(sfreq * seconds)),
        "decisions": counters.get("decisions", 0),
        "e2e_p50_ms": e2e["p50_ms"], "e2e_p99_ms": e2e["p99_ms"],
        "budget_ms": e2e["budget_ms"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0,
                        help="measured seconds, all programs running (default 120)")
    parser.add_argument("--json", default=None)
    parser.add_argument("--quick", action="store_true", help="20 s")
    args = parser.parse_args(argv)
    seconds = 20.0 if args.quick else args.seconds
    for path in (EEG_TRAIN, EEG_REPLAY, EMG_TRAIN, EMG_REPLAY):
        if not path.exists():
            raise SystemExit(f"{path} not found: run beside a 'shared/recordings' folder")
    import psutil

    info = machine()
    tag = uuid.uuid4().hex[:6]
    eeg, emg = f"load-eeg-{tag}", f"load-emg-{tag}"
    folder = Path(tempfile.mkdtemp(prefix="bci-load-"))
    eeg_model, emg_model = _train(folder)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    procs: dict[str, subprocess.Popen] = {}
    logs = {k: folder / f"{k}.log" for k in ("replay-eeg", "replay-emg", "eeg", "emg",
                                             "monitor", "record")}
    files = {"eeg": folder / "eeg.json", "emg": folder / "emg.json",
             "monitor": folder / "monitor.json", "xdf": folder / "load.xdf"}
    try:
        procs["replay-eeg"] = _bci(["replay", str(EEG_REPLAY), "--name", eeg, "--loop"],
                                   logs["replay-eeg"])
        procs["replay-emg"] = _bci(["replay", str(EMG_REPLAY), "--name", emg, "--loop"],
                                   logs["replay-emg"])
        procs["eeg"] = _bci(["live", str(eeg_model), "--stream", eeg, "--timeout", "120",
                             "--stats", str(files["eeg"])], logs["eeg"])
        procs["emg"] = _bci(["live", str(emg_model), "--stream", emg, "--timeout", "120",
                             "--stats", str(files["emg"])], logs["emg"])
        procs["monitor"] = _bci(["monitor", "--stream", eeg, "--stats",
                                 str(files["monitor"])], logs["monitor"], env)
        for key in ("eeg", "emg"):
            _wait_for(logs[key], "decoding '", procs[key], 180)
        procs["record"] = _bci(["record", "--stream", eeg, "--stream", f"{eeg}-markers",
                                "--stream", emg, "--stream", f"{emg}-markers", "--stream",
                                f"{eeg}-decisions", "--stream", f"{emg}-decisions",
                                "--out", str(files["xdf"]), "--timeout", "60", "--json"],
                               logs["record"])
        _wait_for(logs["record"], "recording to", procs["record"], 180)
        _wait_for(logs["monitor"], "monitor: showing", procs["monitor"], 180)
        time.sleep(WARMUP)
        handles = {k: psutil.Process(p.pid) for k, p in procs.items()}
        cpu0 = {k: sum(h.cpu_times()[:2]) for k, h in handles.items()}
        load_start = load()
        started = time.monotonic()
        print(f"all running; measuring {seconds:g} s (load {load_start})", file=sys.stderr)
        loads = [load_start]
        while time.monotonic() - started < seconds:
            time.sleep(min(10.0, seconds - (time.monotonic() - started)))
            loads.append(load())
            for key, p in procs.items():
                if p.poll() is not None:
                    raise SystemExit(f"{key} ended early:\n"
                                     + logs[key].read_text(encoding="utf-8")[-800:])
        wall = time.monotonic() - started
        cpu = {k: (sum(h.cpu_times()[:2]) - cpu0[k]) / wall * 100 for k, h in handles.items()}
        load_end = load()
        # Receivers first (they flush their summaries), the sources last.
        outputs = {}
        for key in ("record", "monitor", "eeg", "emg", "replay-eeg", "replay-emg"):
            procs[key].send_signal(signal.SIGTERM)
            outputs[key], _ = procs[key].communicate(timeout=60)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.communicate(timeout=10)
    live_seconds = {}
    results: dict = {"seconds": seconds, "wall": wall, "cpu_percent": cpu,
                     "loadavg": {"start": load_start, "end": load_end, "every_10s": loads}}
    for key, sfreq in (("eeg", 160.0), ("emg", 200.0)):
        stats = json.loads(files[key].read_text(encoding="utf-8"))
        live_seconds[key] = stats["elapsed_s"]
        results[key] = _live_row(stats, sfreq, stats["elapsed_s"])
    monitor = json.loads(files["monitor"].read_text(encoding="utf-8"))
    health = monitor.get("health", {})
    results["monitor"] = {"fps": monitor["fps"], "frame_p99_ms": monitor["frame_ms"]["p99"],
                          "gaps": health.get("n_gaps"), "samples_missing": health.get("n_missing"),
                          "samples": monitor.get("samples_received")}
    results["record"] = {"summary": json.loads(outputs["record"]),
                         "streams": _recorded_losses(files["xdf"])}
    results["machine"] = info
    rows = []
    for key, label in (("eeg", "bci live, 64 ch MI, 10 decisions/s"),
                       ("emg", "bci live, EMG gestures, 40 decisions/s")):
        r = results[key]
        rows.append([label, r["overruns"], r["skipped_windows"],
                     f"{r['gaps']} / {r['samples_missing']}",
                     f"{r['samples']} / {r['samples_due']}", f"{cpu[key]:.0f}",
                     f"{r['e2e_p50_ms']:.1f} / {r['e2e_p99_ms']:.1f}"])
    m = results["monitor"]
    rows.append(["bci monitor, 64 ch, offscreen", "-", "-",
                 f"{m['gaps']} / {m['samples_missing']}", f"{m['samples']} / -",
                 f"{cpu['monitor']:.0f}", f"{m['fps']:.1f} fps"])
    rec = results["record"]["streams"]
    regular = [v for v in rec.values() if "due" in v]
    rows.append(["bci record, 6 streams", "-", "-",
                 f"{sum(v['gaps'] for v in regular)} / {sum(v['lost'] for v in regular)}",
                 f"{sum(v['samples'] for v in regular)} / {sum(v['due'] for v in regular)}",
                 f"{cpu['record']:.0f}", "-"])
    for key in ("replay-eeg", "replay-emg"):
        rows.append([f"bci {key.replace('-', ' ')}", "-", "-", "-", "-", f"{cpu[key]:.0f}", "-"])
    columns = ["program", "overruns", "skipped windows", "gaps / samples missing",
               "samples got / due", "CPU %", "e2e p50 / p99 ms"]
    print(table(columns, rows))
    print(f"\nmeasured {wall:.0f} s with all programs running; load average "
          f"{load_start} -> {load_end} (1/5/15 min) on {os.cpu_count()} CPUs")
    print("\n" + markdown_table(columns, rows), file=sys.stderr)
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
