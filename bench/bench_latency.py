"""End-to-end decision latency of ``bci live`` beside two baselines, in the same run.

Source, for all three: bci's replay ``Player`` (every sample stamped with its due time and
never pushed early) in this process, 64 EEG channels + 1 counter channel at 1 kHz,
chunks of 10 samples. Each variant runs in its own spawned process and pushes one
decision sample whose ``window_end`` channel (second to last, as in bci's decision
stream) is the LSL time of the newest sample the decision used. An independent receiver
process (blocking ``pull_chunk(timeout, min_samples=1, dest_obj=...)``) records
``local_clock()`` at receipt; latency = receipt - window_end, which is receipt - due time
of the window's last sample because the replay stamps each sample with its due time.

Variants:

- ``floor``: two pylsl hops and no processing: a relay process pulls each chunk and at
  once pushes one sample carrying the chunk's newest timestamp; the receiver gets it.
  Counted: the relays whose newest sample ends a pushed chunk (the sample a window
  ending there waits for), not those of a pull that woke while the chunk was still
  being unpacked.
- ``bci``: ``bci.runtime.open_live`` on a pipeline (bandpass 8-30 Hz, notch 50 Hz,
  common average reference, sliding window 0.5 s every 0.05 s, ``[budget] end_to_end =
  10``) with a trained decoder: ``--decoder csp-lda`` (the default: a model trained
  before the rounds on a labelled 64-channel simulation, as ``bci train`` would, and
  loaded from its file) or the training-free ``band-power`` alpha decoder; its
  ``Session`` pushing the decisions.
- ``mne-lsl``: what an mne-lsl user writes: ``StreamLSL(bufsize=2).connect()`` (default
  acquisition every 1 ms), ``.filter(8, 30)`` and ``.notch_filter(50)``, then a loop
  that sleeps 0.05 s and calls ``get_data(winsize=0.5)``, computes the same alpha log power
  (``scipy.signal.welch``, Hann, 1 s or whole-window segments, averaged over channels)
  and pushes the decision with a pylsl outlet.

The variants run one after another, in rounds (floor, bci, mne-lsl, floor, ...), so
all three see the same background load.

Usage: ``python bench/bench_latency.py [--json FILE] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid

import numpy as np
from common import (  # bench/ is on sys.path when run as a script
    CTX,
    Receiver,
    cleanup,
    exit_on_sigterm,
    load,
    machine,
    markdown_table,
    summarize,
    table,
    track,
    write_json,
)
from common import (
    loads_text as _loads,
)

SFREQ = 1000.0
N_EEG = 64
CHUNK = 10
WINDOW = 0.5
STEP = 0.05
BUDGET_MS = 10.0
WARMUP = 1.0  # seconds after the first sample's due time whose decisions are not counted

PIPELINE_TOML = f"""
name = "bench-latency"
[signal]
picks = "eeg"
[[filters]]
kind = "bandpass"
l_freq = 8.0
h_freq = 30.0
[[filters]]
kind = "notch"
freq = 50.0
[[filters]]
kind = "reference"
ref = "average"
[epochs]
events = {{ a = "a", b = "b" }}
window = {WINDOW}
step = 0.25
[online]
mode = "sliding"
window = {WINDOW}
step = {STEP}
[decoder]
kind = "band-power"
bands = {{ alpha = [8, 12] }}
[budget]
end_to_end = {BUDGET_MS}
"""

#: Where the worker finds the trained model (spawned processes inherit the environment).
MODEL_ENV = "BCI_BENCH_LATENCY_MODEL"


def train_model(kind: str, path: str) -> str:
    """Fit ``kind`` on a labelled 64-channel simulation (alpha that shifts between the
    two halves of the cap, 2-s segments) through the live path; save it to ``path``."""
    import mne

    from bci.learn.training import train_sources
    from bci.pipeline import parse_config, save_model
    from bci.replay import ReplaySource

    duration = 60.0
    n = int(round(duration * SFREQ))
    rng = np.random.default_rng(1)
    t = np.arange(n) / SFREQ
    data = rng.standard_normal((N_EEG + 1, n)) * 10e-6
    onsets, labels = [], []
    for k in range(int(duration / 2)):
        label = "a" if k % 2 == 0 else "b"
        segment = slice(int(k * 2 * SFREQ), int((k + 1) * 2 * SFREQ))
        amplitude = 20e-6 if label == "a" else 5e-6
        alpha = np.sin(2 * np.pi * 10 * t[segment])
        data[:N_EEG // 2, segment] += amplitude * alpha
        data[N_EEG // 2:N_EEG, segment] += (25e-6 - amplitude) * alpha
        onsets.append(k * 2.0)
        labels.append(label)
    data[N_EEG] = np.arange(n)
    info = mne.create_info([f"EEG{i:02d}" for i in range(N_EEG)] + ["counter"], SFREQ,
                           ["eeg"] * N_EEG + ["misc"], verbose=False)
    raw = mne.io.RawArray(data, info, verbose=False)
    raw.set_annotations(mne.Annotations(onsets, 2.0, labels))
    config = parse_config(PIPELINE_TOML.replace('kind = "band-power"\nbands = { alpha = [8, 12] }',
                                                f'kind = "{kind}"'),
                          origin="bench_latency.py")
    model, _, _ = train_sources(config, [ReplaySource.from_raw(raw, "calibration")], n_folds=0)
    save_model(model, path)
    return path

VARIANTS = ("floor", "bci", "mne-lsl")


def make_raw(duration: float, seed: int = 0):
    """64 EEG channels (noise plus a 10 Hz rhythm, ~10 µV) and a ``counter`` channel."""
    import mne

    n = int(round(duration * SFREQ))
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SFREQ
    data = np.empty((N_EEG + 1, n))
    data[:N_EEG] = (rng.standard_normal((N_EEG, n)) + np.sin(2 * np.pi * 10 * t)) * 10e-6
    data[N_EEG] = np.arange(n)
    info = mne.create_info([f"EEG{i:02d}" for i in range(N_EEG)] + ["counter"], SFREQ,
                           ["eeg"] * N_EEG + ["misc"], verbose=False)
    return mne.io.RawArray(data, info, verbose=False)


def alpha_log_power(data: np.ndarray, sfreq: float) -> float:
    """Alpha (8-12 Hz) log10 power averaged over channels, as bci's ``band-power`` does."""
    from scipy.signal import welch

    nperseg = int(min(data.shape[-1], round(sfreq)))
    freqs, psd = welch(data, fs=sfreq, nperseg=nperseg, axis=-1)
    mask = (freqs >= 8.0) & (freqs <= 12.0)
    power = psd[..., mask].sum(axis=-1) * (freqs[1] - freqs[0])
    return float(np.mean(np.log10(np.maximum(power, 1e-30))))


# -- the workers (each in its own spawned process) ---------------------------------------

def _decision_outlet(name: str, source_id: str):
    import pylsl

    info = pylsl.StreamInfo(name, "Decisions", 4, pylsl.IRREGULAR_RATE, pylsl.cf_double64,
                            source_id)
    channels = info.desc().append_child("channels")
    for label in ("value", "counter", "window_end", "latency_ms"):
        channels.append_child("channel").append_child_value("label", label)
    return pylsl.StreamOutlet(info)


def worker_floor(signal_id: str, out_name: str, out_id: str, ready, stop, result: str) -> None:
    """Relay: pull each chunk, push one sample with its newest timestamp at once.

    The sample carries the counter of the newest sample too: a pull that wakes while
    liblsl is still unpacking a chunk returns only its first samples, and relaying those
    says nothing about when the chunk's newest sample arrives; the analysis keeps the
    relays whose newest sample ends a chunk (what a window ending there waits for).
    """
    import pylsl

    info = pylsl.resolve_byprop("source_id", signal_id, 1, 30)[0]
    inlet = pylsl.StreamInlet(info, max_buflen=360, max_chunklen=0, recover=False,
                              processing_flags=pylsl.proc_clocksync)
    inlet.open_stream(30)
    inlet.time_correction(5.0)  # the first estimate, before data flows
    buf = np.empty((1024, info.channel_count()), dtype=np.float32)
    outlet = _decision_outlet(out_name, out_id)
    sample = np.zeros(4)
    ready.set()
    n = 0
    while not stop.is_set():
        _, ts = inlet.pull_chunk(timeout=0.05, max_samples=1024, dest_obj=buf, min_samples=1)
        if len(ts):
            now = pylsl.local_clock()
            sample[1] = buf[len(ts) - 1, -1]  # the counter channel
            sample[2] = ts[-1]
            sample[3] = (now - ts[-1]) * 1e3
            outlet.push_sample(sample, now)
            n += 1
    inlet.close_stream()
    del inlet, outlet
    with open(result, "w") as f:
        json.dump({"relayed": n}, f)


def worker_bci(stream_name: str, out_name: str, out_id: str, ready, stop, result: str
               ) -> None:
    """``bci live`` through the library: open_live + Session (one BLAS thread, as the CLI)."""
    from threadpoolctl import threadpool_limits

    from bci.pipeline import load_model, parse_config
    from bci.runtime import open_live

    threadpool_limits(limits=1)
    model = os.environ.get(MODEL_ENV)
    spec = (load_model(model) if model
            else parse_config(PIPELINE_TOML, origin="bench_latency.py"))
    setup = open_live(spec, stream_name, out_stream=out_name, source_id=out_id,
                      timeout=30.0)
    setup.session.start()
    ready.set()
    stop.wait()
    try:
        setup.session.stop()
    finally:
        setup.close()
    with open(result, "w") as f:
        json.dump({"snapshot": setup.session.stats.snapshot(),
                   "gaps": len(setup.inlet.gaps)}, f)


def worker_mne_lsl(signal_id: str, out_name: str, out_id: str, ready, stop, result: str
                   ) -> None:
    """The mne-lsl way: StreamLSL + filters, get_data polled every step.

    The loop sleeps ``step`` after each decision, as user code usually does, so the
    polling phase slides across the replay's chunk period instead of sitting at one
    arbitrary (lucky or unlucky) offset for the whole run.
    """
    import mne_lsl
    import pylsl
    from mne_lsl.stream import StreamLSL

    mne_lsl.set_log_level("WARNING")
    stream = StreamLSL(bufsize=2.0, source_id=signal_id).connect(timeout=30)
    stream.filter(8.0, 30.0, picks="eeg")
    stream.notch_filter(50.0, picks="eeg")
    sfreq = stream.info["sfreq"]
    outlet = _decision_outlet(out_name, out_id)
    sample = np.zeros(4)
    sample[1] = -1.0
    compute_ms = []
    ready.set()
    while not stop.is_set():
        time.sleep(STEP)
        started = time.perf_counter()
        data, ts = stream.get_data(winsize=WINDOW, picks="eeg")
        if ts.size == 0 or ts[-1] == 0:
            continue
        sample[0] = alpha_log_power(data, sfreq)
        now = pylsl.local_clock()
        sample[2] = ts[-1]
        sample[3] = (now - ts[-1]) * 1e3
        outlet.push_sample(sample, now)
        compute_ms.append((time.perf_counter() - started) * 1e3)
    stream.disconnect()
    del outlet
    with open(result, "w") as f:
        json.dump({"compute_ms": summarize(np.array(compute_ms))}, f)


WORKERS = {"floor": worker_floor, "bci": worker_bci, "mne-lsl": worker_mne_lsl}


# -- one run --------------------------------------------------------------------------------

def run_variant(variant: str, raw, duration: float) -> dict:
    """Replay, run ``variant`` in its own process, receive its decisions elsewhere."""
    import psutil

    from bci.replay import Player, ReplaySource

    base = uuid.uuid4().hex
    name = f"bench-lat-{base[:8]}"
    player = Player([ReplaySource.from_raw(raw, name)], name=name, chunk=CHUNK, loop=True,
                    source_id=base, lead=0.5)
    player.record_lateness = True
    player.open_outlets()
    out_id = uuid.uuid4().hex
    out_name = f"{name}-decisions"
    result_path = os.path.join(tempfile.gettempdir(), f"bci-bench-latency-{out_id}.json")
    ready, stop = CTX.Event(), CTX.Event()
    signal = name if variant == "bci" else f"{base}-0"
    worker = CTX.Process(target=WORKERS[variant], name=f"bench-{variant}",
                         args=(signal, out_name, out_id, ready, stop, result_path),
                         daemon=True)
    worker.start()
    track(worker)
    rx = None
    try:
        while not ready.wait(0.1):
            if not worker.is_alive():
                raise RuntimeError(f"{variant} worker died (exit code {worker.exitcode})")
        rx = Receiver(out_id, capacity=int(duration / STEP * 3) + 1000).start()
        load_before = load()
        proc = psutil.Process(worker.pid)
        cpu_before = sum(proc.cpu_times()[:2])
        player.start()
        time.sleep(duration + 0.5)
        cpu = sum(proc.cpu_times()[:2]) - cpu_before
        stop.set()
        worker.join(30)
        if worker.exitcode != 0:
            raise RuntimeError(f"{variant} worker failed (exit code {worker.exitcode})")
        data = rx.stop()
        rx = None
    finally:
        stop.set()
        if rx is not None:  # an error above: release the receiver, keep that error
            try:
                rx.stop()
            except RuntimeError:
                pass
        player.stop()
    with open(result_path) as f:
        extra = json.load(f)
    os.remove(result_path)

    window_end = data["values"][:, -2]
    keep = window_end >= player.t0 + WARMUP
    if variant == "floor":  # only relays whose newest sample ends a pushed chunk
        counter = np.rint(data["values"][:, 1]).astype(np.int64)
        keep &= counter % CHUNK == CHUNK - 1
    latency = (data["receipt"][keep] - window_end[keep]) * 1e3
    return {
        "variant": variant,
        "duration_s": duration,
        "decisions": int(keep.sum()),
        "latency_ms": summarize(latency),
        "over_budget": int(np.sum(latency > BUDGET_MS)),
        "load": load_before,
        "worker_cpu_percent": 100.0 * cpu / (duration + 0.5),
        "replay_push_lateness_ms": summarize(np.asarray(player.lateness) * 1e3),
        "latencies_ms": latency,
        **extra,
    }


def combine(runs: list[dict]) -> dict:
    """Pool the rounds of one variant."""
    latency = np.concatenate([r["latencies_ms"] for r in runs])
    out = {"variant": runs[0]["variant"], "rounds": len(runs),
           "decisions": int(latency.size), "latency_ms": summarize(latency),
           "over_budget": int(np.sum(latency > BUDGET_MS)),
           "round_p99_ms": [r["latency_ms"]["p99"] for r in runs],
           "worker_cpu_percent": [round(r["worker_cpu_percent"], 1) for r in runs],
           "replay_push_lateness_p99_ms": [r["replay_push_lateness_ms"]["p99"]
                                           for r in runs]}
    if "snapshot" in runs[0]:
        out["bci_overruns"] = sum(r["snapshot"]["end_to_end"]["overruns"] for r in runs)
        out["bci_snapshots"] = [r["snapshot"] for r in runs]
    if "compute_ms" in runs[0]:
        out["compute_ms"] = [r["compute_ms"] for r in runs]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument("--quick", action="store_true", help="one round of 5 s per variant")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 3)")
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds per variant per round (default 10)")
    parser.add_argument("--decoder", default="csp-lda",
                        help="csp-lda (trained first, the default), tangent-space-lr, or "
                             "band-power (training-free)")
    args = parser.parse_args(argv)
    exit_on_sigterm()
    rounds = args.rounds or (1 if args.quick else 3)
    duration = args.duration or (5.0 if args.quick else 10.0)

    import mne

    mne.set_log_level("WARNING")
    result = {"benchmark": "latency", "machine": machine(), "sfreq": SFREQ,
              "n_channels": N_EEG + 1, "chunk": CHUNK, "window_s": WINDOW, "step_s": STEP,
              "budget_ms": BUDGET_MS, "rounds": rounds, "duration_s": duration,
              "pipeline": PIPELINE_TOML.strip()}
    raw = make_raw(max(duration + 5.0, 20.0))
    per_variant: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    result["decoder"] = args.decoder
    if args.decoder != "band-power":
        model_path = os.path.join(tempfile.gettempdir(), f"bci-bench-{uuid.uuid4().hex}.skops")
        os.environ[MODEL_ENV] = train_model(args.decoder, model_path)
    try:
        for r in range(rounds):
            for variant in VARIANTS:
                run = run_variant(variant, raw, duration)
                per_variant[variant].append(run)
                s = run["latency_ms"]
                print(f"  round {r + 1} {variant:<8} n={s['n']:<5} p50 {s['p50']:.3f} "
                      f"p99 {s['p99']:.3f} max {s['max']:.3f} ms  load {run['load']}",
                      file=sys.stderr)
    finally:
        cleanup()
        model_path = os.environ.pop(MODEL_ENV, None)
        if model_path:
            os.remove(model_path)
    result["machine"]["loadavg_end"] = load()
    result["variants"] = {v: combine(runs) for v, runs in per_variant.items()}
    for runs in per_variant.values():
        for run in runs:
            run.pop("latencies_ms")
    result["runs"] = per_variant

    v = result["variants"]
    cols = ["variant", "decisions", "p50 ms", "p95 ms", "p99 ms", "max ms",
            f"> {BUDGET_MS:g} ms", "p99 per round", "worker CPU %"]
    rows = [[name, s["decisions"], s["latency_ms"]["p50"], s["latency_ms"]["p95"],
             s["latency_ms"]["p99"], s["latency_ms"]["max"], s["over_budget"],
             " / ".join(f"{x:.2f}" for x in s["round_p99_ms"]),
             " / ".join(f"{x:.0f}" for x in s["worker_cpu_percent"])]
            for name, s in v.items()]
    # bci's own accounting, pooled over rounds: per-stage p50/p99 of each round.
    stage_cols = ["stage", "count", "p50 ms", "p99 ms", "max ms", "budget", "overruns"]
    stage_rows = []
    for snap in v["bci"]["bci_snapshots"]:
        for stage, s in [*snap["stages"].items(), ("end_to_end", snap["end_to_end"])]:
            stage_rows.append([stage, s["count"], s["p50_ms"], s["p99_ms"], s["max_ms"],
                               "-" if s["budget_ms"] is None else f"{s['budget_ms']:g}",
                               s["overruns"]])
    floor, bci, mne_ = (v[k]["latency_ms"]["p99"] for k in VARIANTS)
    result["targets"] = [
        {"target": "bci p99 within 1.5 ms of the raw floor's p99",
         "value": bci - floor, "met": bci - floor <= 1.5},
        {"target": "bci p99 below the mne-lsl loop's p99",
         "value": bci - mne_, "met": bci < mne_},
        {"target": f"no bci budget overrun at end_to_end = {BUDGET_MS:g} ms",
         "value": v["bci"]["bci_overruns"], "met": v["bci"]["bci_overruns"] == 0},
    ]

    m = result["machine"]
    print(f"\nDecision latency (receipt - due time of the window's last sample), "
          f"{N_EEG}+1 channels at {SFREQ:g} Hz, chunks of {CHUNK}; {rounds} round(s) of "
          f"{duration:g} s per variant\n({m['date']}, bci {m.get('git_head', '?')}, "
          f"load {_loads(m)})\n")
    print(table(cols, rows))
    print("\nbci's own accounting (session.stats.snapshot(), one block per round; "
          "end_to_end = push - window_end):\n")
    print(table(stage_cols, stage_rows))
    counters = [snap["counters"] for snap in v["bci"]["bci_snapshots"]]
    print(f"counters: {counters}")
    print("\nTargets:")
    for t in result["targets"]:
        print(f"  {'MET ' if t['met'] else 'MISS'}  {t['target']}: {t['value']:.6g}")
    result["markdown"] = {"latency": markdown_table(cols, rows),
                          "bci_stages": markdown_table(stage_cols, stage_rows)}
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
