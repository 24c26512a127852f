"""Benchmark: offline evaluation speed and per-window decision latency of each paradigm.

Part 1, ``bci evaluate`` speed: each paradigm's config is trained with
:func:`bci.learn.training.train` on real recordings (``../shared/recordings``) and
scored with :func:`bci.learn.evaluation.evaluate`, which runs the live ``Pipeline``
pseudo-online and returns ``speed_x_realtime`` (seconds of signal per second of pipeline
time; reading the file is not in it). One warm-up call, then ``--repeats`` timed calls;
the median is the figure, min and max show the noise. ``with reading`` is the same ratio
over the whole ``evaluate()`` call (files read and converted too). ``1 BLAS thread``: the
same call under ``threadpool_limits(1)`` (as ``bci live`` runs), interleaved with the
plain one so both see the same background load.

| paradigm | config | trained on | evaluated on |
|---|---|---|---|
| motor imagery | motor-imagery.toml | S001R04.edf | S001R08.edf |
| SSVEP | ssvep-exoskeleton.toml (CCA, training-free) | subject01 session 1 FIF | the same |
| P300 | p300-muse.toml | visual P300 files 1-4 | files 5-6 |
| EMG | emg-gestures.toml, if present | UCI subject01 series 1 | series 2 |
| alpha | alpha-eyes-closed.toml (the soak's; ``run_offline`` speed) | - | S001R02.edf |

Part 2, decision latency at each model's natural window size: the evaluation recording
is fed, looped (``iter_virtual(loop=True)``), in live-sized chunks (the replay's default
of about 10 ms of signal) to the model's live pipeline (``build_pipeline``), in a worker
thread under ``threadpoolctl.threadpool_limits(1)`` as ``Session`` runs it. Timed with
``perf_counter_ns`` (wall) and ``thread_time_ns`` (CPU of the thread; wall minus CPU is
time the OS gave the core to someone else):

- ``process``: ``Pipeline.process`` for each call that returned a decision (the chunk, or
  the marker, that completes a window: filters + window cut + decoder);
- ``decide``: ``Pipeline.decide(window)`` alone, cycled over the distinct windows of one
  lap of the recording, ``--decides`` calls;
- ``chunk``: ``Pipeline.process`` for chunks that complete no window (filters only), for
  scale.

Usage::

    python bench/bench_decoders.py [--json FILE] [--quick] [--repeats N] [--windows N]

The machine is shared (2 cores): the table prints the load average; quote medians and
p99 with it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
from common import (  # bench/ is on sys.path when run as a script
    load,
    machine,
    markdown_table,
    summarize,
    table,
    write_json,
)

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "docs" / "configs"
TARGET_MI_SPEED = 100.0  # x real time, motor imagery


def find_recordings() -> Path | None:
    """``../shared/recordings`` beside the project (or above it), if present."""
    for base in (ROOT.parent, ROOT.parent.parent):
        candidate = base / "shared" / "recordings"
        if candidate.is_dir():
            return candidate
    return None


def paradigms(rec: Path) -> list[dict]:
    """What to train and evaluate for each paradigm (``skip`` says why one cannot run)."""
    mi = rec / "physionet-eegmmidb" / "S001"
    ssvep = sorted((rec / "ssvep-exoskeleton").glob("subject*/*_raw.fif"))
    p300 = sorted((rec / "eeg-notebooks-muse" / "visual" / "P300").rglob("*.csv.gz"))
    emg = sorted((rec / "uci-emg-gestures" / "subject01").glob("*.txt.gz"))
    out = [
        {"name": "motor imagery", "config": CONFIGS / "motor-imagery.toml",
         "train": [mi / "S001R04.edf"], "eval": [mi / "S001R08.edf"]},
        {"name": "SSVEP", "config": CONFIGS / "ssvep-exoskeleton.toml",
         "train": ssvep[:1], "eval": ssvep[:1]},
        {"name": "P300", "config": CONFIGS / "p300-muse.toml",
         "train": p300[:4], "eval": p300[4:6]},
        {"name": "EMG", "config": CONFIGS / "emg-gestures.toml",
         "train": [p for p in emg if p.name.startswith("1_")],
         "eval": [p for p in emg if p.name.startswith("2_")]},
        {"name": "alpha", "config": CONFIGS / "alpha-eyes-closed.toml", "train": [],
         "eval": [mi / "S001R02.edf"], "training_free": True},
    ]
    for p in out:
        if not p["config"].exists():
            p["skip"] = f"{p['config'].relative_to(ROOT)} does not exist (yet)"
        elif not p["eval"] or not all(f.exists() for f in [*p["train"], *p["eval"]]):
            p["skip"] = "recordings missing"
    return out


# -- part 1: evaluate speed ------------------------------------------------------------------

def fit(paradigm: dict):
    """The trained model of a paradigm (or, training-free, its config), and the fit time."""
    from bci.learn.training import train
    from bci.pipeline.config import load_config

    config = load_config(paradigm["config"])
    if paradigm.get("training_free"):
        return config, 0.0
    started = time.perf_counter()
    model, _, _ = train(config, paradigm["train"], n_folds=0)
    return model, time.perf_counter() - started


def _evaluate_once(paradigm: dict, spec) -> tuple[float, float, dict]:
    """One ``evaluate()`` (or ``run_offline`` for a config): speed, signal s, result."""
    from bci.learn.evaluation import evaluate
    from bci.pipeline.model import Model
    from bci.pipeline.pipeline import Pipeline
    from bci.replay.files import sources_from_file
    from bci.runtime.offline import run_offline

    if isinstance(spec, Model):
        result = evaluate(spec, paradigm["eval"])
        return result["speed_x_realtime"], result["signal_seconds"], result
    signal = elapsed = 0.0
    n = 0
    for path in paradigm["eval"]:
        source = sources_from_file(path)[0]
        pipeline = Pipeline(spec, sfreq=source.sfreq, ch_names=source.ch_names,
                            ch_types=source.ch_types)
        t = time.perf_counter()
        n += len(run_offline(pipeline, source))
        elapsed += time.perf_counter() - t
        signal += source.n_times / source.sfreq
    return signal / elapsed, signal, {"n_decisions": n, "signal_seconds": signal}


def evaluate_speed(paradigm: dict, spec, repeats: int) -> dict:
    """``speed_x_realtime`` of ``evaluate()``, repeated; the same under one BLAS thread.

    As the library is called (``bci evaluate`` sets no BLAS limit), interleaved with the
    same call under ``threadpool_limits(1)`` (what ``bci live`` sets), so both see the
    same background load.
    """
    from threadpoolctl import threadpool_limits

    speeds, walls, one_blas, result = [], [], [], {}
    for i in range(repeats + 1):  # the first call warms caches and imports: not counted
        started = time.perf_counter()
        speed, signal, result = _evaluate_once(paradigm, spec)
        wall = time.perf_counter() - started
        with threadpool_limits(limits=1):
            speed_1, _, _ = _evaluate_once(paradigm, spec)
        if i:
            speeds.append(speed)
            walls.append(signal / wall)
            one_blas.append(speed_1)
        print(f"  {paradigm['name']}: evaluate {i}/{repeats} {speed:7.0f}x "
              f"({signal / wall:5.0f}x with reading; {speed_1:7.0f}x with 1 BLAS thread), "
              f"load {load()[0]}", file=sys.stderr, flush=True)
    out = {"speed_x_realtime": speeds, "speed_median": statistics.median(speeds),
           "speed_min": min(speeds), "speed_max": max(speeds),
           "with_reading_median": statistics.median(walls),
           "one_blas_thread": one_blas,
           "one_blas_thread_median": statistics.median(one_blas),
           "signal_seconds": result["signal_seconds"],
           "n_decisions": result["n_decisions"]}
    for key in ("accuracy", "balanced_accuracy", "roc_auc", "n_labelled"):
        if key in result:
            out[key] = result[key]
    return out


# -- part 2: decision latency ----------------------------------------------------------------

def _pipeline(spec, source, *, windows_only: bool = False):
    from bci.pipeline.model import Model
    from bci.pipeline.pipeline import Pipeline
    from bci.pipeline.spec import build_pipeline

    if windows_only:
        config = spec.config if isinstance(spec, Model) else spec
        picks = spec.ch_names if isinstance(spec, Model) else None
        return Pipeline(config, sfreq=source.sfreq, ch_names=source.ch_names,
                        ch_types=source.ch_types, picks=picks, windows_only=True)
    return build_pipeline(spec, sfreq=source.sfreq, ch_names=source.ch_names,
                          ch_types=source.ch_types)


def _latency(spec, path: Path, n_windows: int, n_decides: int) -> dict:
    """Time ``process`` and ``decide`` (runs in the worker thread)."""
    from bci.replay.files import sources_from_file
    from bci.replay.schedule import default_chunk
    from bci.replay.virtual import VirtualMarker, iter_virtual
    from bci.runtime.offline import windows_offline

    source = sources_from_file(path)[0]
    chunk = default_chunk(source.sfreq)
    n_laps_max = 200

    # decide() alone: the distinct windows of one lap, cycled.
    windows = windows_offline(_pipeline(spec, source, windows_only=True), source, chunk=chunk)
    pipeline = _pipeline(spec, source)
    if not windows:
        raise RuntimeError(f"{path.name}: no window")
    for w in windows[:20]:  # warm-up
        pipeline.decide(w)
    decide_wall, decide_cpu = [], []
    for i in range(n_decides):
        window = windows[i % len(windows)]
        cpu = time.thread_time_ns()
        started = time.perf_counter_ns()
        pipeline.decide(window)
        decide_wall.append(time.perf_counter_ns() - started)
        decide_cpu.append(time.thread_time_ns() - cpu)

    # process(): the call that completes a window, on a fresh pipeline fed in live chunks.
    pipeline = _pipeline(spec, source)
    lap = source.n_times
    done_wall, done_cpu, other_wall = [], [], []
    for item in iter_virtual([source], chunk=chunk, loop=True):
        if isinstance(item, VirtualMarker):
            cpu = time.thread_time_ns()
            started = time.perf_counter_ns()
            decisions = pipeline.process(None, [item.marker]).decisions
        else:
            cpu = time.thread_time_ns()
            started = time.perf_counter_ns()
            decisions = pipeline.process(item.chunk).decisions
        wall = time.perf_counter_ns() - started
        cpu = time.thread_time_ns() - cpu
        if decisions:
            done_wall.append(wall)
            done_cpu.append(cpu)
        elif not isinstance(item, VirtualMarker):
            other_wall.append(wall)
        if len(done_wall) >= n_windows:
            break
        if not isinstance(item, VirtualMarker) and item.chunk.first_index > n_laps_max * lap:
            break

    def ms(v: list[int]) -> np.ndarray:
        return np.asarray(v) / 1e6

    return {"file": path.name, "chunk_samples": chunk, "sfreq": source.sfreq,
            "window_shape": list(windows[0].data.shape),
            "window_seconds": windows[0].data.shape[1] / source.sfreq,
            "n_distinct_windows": len(windows),
            "decide": summarize(ms(decide_wall)), "decide_cpu": summarize(ms(decide_cpu)),
            "process": summarize(ms(done_wall)), "process_cpu": summarize(ms(done_cpu)),
            "chunk": summarize(ms(other_wall)),
            "pipeline_decoder_stage": pipeline.stats.stage("decoder").summary()}


def decision_latency(spec, path: Path, n_windows: int, n_decides: int) -> dict:
    """:func:`_latency` in a worker thread limited to one BLAS thread, as ``Session``."""
    box: dict = {}

    def work() -> None:
        from threadpoolctl import threadpool_limits

        try:
            with threadpool_limits(limits=1):
                box["result"] = _latency(spec, path, n_windows, n_decides)
        except BaseException as err:  # re-raised below
            box["error"] = err

    thread = threading.Thread(target=work, name="bench-decoders-worker")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]


# -- main ---------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    """Run both parts, print the tables, optionally write JSON; 0 if on target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2 repeats, 60 windows, 300 decides")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed evaluate() calls per paradigm (default 7)")
    parser.add_argument("--windows", type=int, default=None,
                        help="completing process() calls timed per paradigm (default 500)")
    parser.add_argument("--decides", type=int, default=None,
                        help="decide() calls timed per paradigm (default 2000)")
    parser.add_argument("--only", nargs="+", default=None,
                        help="paradigms to run (names as in the table, e.g. 'P300')")
    args = parser.parse_args(argv)
    # MNE's note on S001R02's last annotation, once per read: noise here.
    warnings.filterwarnings("ignore", message="Limited .* annotation", category=RuntimeWarning)
    repeats = args.repeats or (2 if args.quick else 7)
    n_windows = args.windows or (60 if args.quick else 500)
    n_decides = args.decides or (300 if args.quick else 2000)

    rec = find_recordings()
    if rec is None:
        reason = "../shared/recordings not found: nothing to measure"
        print(f"bench_decoders: skipped: {reason}", file=sys.stderr)
        write_json(args.json, {"benchmark": "decoders", "skipped": reason})
        return 0
    env = machine()
    print(f"load at start {env['loadavg_start']}, {env['cpus']} cores, "
          f"commit {env.get('git_head')}", file=sys.stderr)
    results = []
    for p in paradigms(rec):
        if args.only and p["name"] not in args.only:
            continue
        row = {"paradigm": p["name"], "config": p["config"].name,
               "train": [f.name for f in p["train"]], "eval": [f.name for f in p["eval"]]}
        if "skip" in p:
            row["skipped"] = p["skip"]
            print(f"{p['name']}: skipped: {p['skip']}", file=sys.stderr)
            results.append(row)
            continue
        print(f"{p['name']}: training on {row['train']}", file=sys.stderr, flush=True)
        spec, row["train_seconds"] = fit(p)
        row["load_before"] = load()
        row["evaluate"] = evaluate_speed(p, spec, repeats)
        print(f"  {p['name']}: latency on {p['eval'][0].name}", file=sys.stderr, flush=True)
        row["latency"] = decision_latency(spec, p["eval"][0], n_windows, n_decides)
        row["load_after"] = load()
        results.append(row)

    ran = [r for r in results if "skipped" not in r]
    speed_cols = ["paradigm", "decisions", "signal s", "x RT median", "x RT min",
                  "x RT max", "w/ reading", "1 BLAS thread", "score"]
    speed_rows = []
    for r in ran:
        e = r["evaluate"]
        if "roc_auc" in e and r["paradigm"] == "P300":
            score = f"AUC {e['roc_auc']:.2f}"
        else:
            score = f"acc {e['accuracy']:.2f}" if "accuracy" in e else "-"
        speed_rows.append([r["paradigm"], e["n_decisions"], round(e["signal_seconds"], 1),
                           round(e["speed_median"]), round(e["speed_min"]),
                           round(e["speed_max"]), round(e["with_reading_median"]),
                           round(e["one_blas_thread_median"]), score])
    lat_cols = ["paradigm", "window", "chunk", "decide p50", "decide p99", "cpu p50",
                "cpu p99", "process p50", "process p99", "cpu p50", "cpu p99",
                "filters-only p50", "n"]
    lat_rows = []
    for r in ran:
        lt = r["latency"]
        shape = lt["window_shape"]
        lat_rows.append([r["paradigm"], f"{shape[0]}x{shape[1]} ({lt['window_seconds']:g} s)",
                         lt["chunk_samples"], lt["decide"]["p50"], lt["decide"]["p99"],
                         lt["decide_cpu"]["p50"], lt["decide_cpu"]["p99"],
                         lt["process"]["p50"], lt["process"]["p99"],
                         lt["process_cpu"]["p50"], lt["process_cpu"]["p99"],
                         lt["chunk"]["p50"], lt["process"]["n"]])
    print(f"\nevaluate() speed, x real time (median of {repeats}; load at start "
          f"{env['loadavg_start']}, at end {load()}; commit {env.get('git_head')}"
          f"{' + uncommitted bci/ changes' if env.get('bci_uncommitted') else ''})")
    print(table(speed_cols, speed_rows))
    print("\ndecision latency per window, ms (worker thread, 1 BLAS thread; cpu = the "
          "thread's CPU time)")
    print(table(lat_cols, lat_rows))
    for r in results:
        if "skipped" in r:
            print(f"skipped {r['paradigm']}: {r['skipped']}")
    mi = next((r for r in ran if r["paradigm"] == "motor imagery"), None)
    on_target = mi is not None and mi["evaluate"]["speed_median"] >= TARGET_MI_SPEED
    if mi is not None:
        print(f"\nmotor imagery >= {TARGET_MI_SPEED:g}x real time (median): "
              f"{'yes' if on_target else 'NO'} ({mi['evaluate']['speed_median']:.0f}x)")
    write_json(args.json, {"benchmark": "decoders", "machine": env, "load_end": load(),
                           "repeats": repeats, "windows": n_windows, "decides": n_decides,
                           "results": results,
                           "markdown": {"speed": markdown_table(speed_cols, speed_rows),
                                        "latency": markdown_table(lat_cols, lat_rows)},
                           "target": {"motor_imagery_x_realtime": TARGET_MI_SPEED,
                                      "met": on_target}})
    return 0 if on_target else 1


if __name__ == "__main__":
    sys.exit(main())
