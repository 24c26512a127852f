"""Replay pacing: bci's ``Player`` against mne-lsl's ``PlayerLSL``, in the same run.

64 EEG channels + 1 counter channel at 1 kHz, synthetic (an ``mne.io.RawArray``),
replayed with chunks of 1, 10 and 32 samples by each player. An independent receiver
process (spawned, blocking ``pull_chunk(timeout, min_samples=1, dest_obj=...)``, no
clock post-processing: all on one machine's clock) records ``local_clock()`` when each
pull returns. Per sample, with ``k`` read from the counter channel:

- lateness = receipt time - sample timestamp (negative: stamped in the future);
- stamp error = timestamp - due time, due = t0 + k / sfreq. For bci, t0 is
  ``player.t0``. PlayerLSL has no t0 to ask: it is estimated from the first sample
  received, t0 = stamp(first) - k(first) / sfreq (so the stamp error measures how
  regular its stamps are, and being early shows in the lateness).

Then a drift run: 10 minutes of signal replayed by bci at ``--speed 20`` (30 s wall):
last sample's stamp error minus the first's, max |stamp error|, and the lateness at the
start and end of the run. PlayerLSL has no speed factor, so it has no such run.

Usage: ``python bench/bench_replay.py [--json FILE] [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid

import numpy as np
from common import (  # bench/ is on sys.path when run as a script
    Receiver,
    cleanup,
    exit_on_sigterm,
    load,
    machine,
    markdown_table,
    summarize,
    table,
    write_json,
)
from common import (
    loads_text as _loads,
)

SFREQ = 1000.0
N_EEG = 64
COUNTER = N_EEG  # index of the counter channel


def make_raw(duration: float, seed: int = 0):
    """64 EEG channels of noise (~10 µV) plus a ``counter`` misc channel (sample index)."""
    import mne

    n = int(round(duration * SFREQ))
    rng = np.random.default_rng(seed)
    data = np.empty((N_EEG + 1, n))
    data[:N_EEG] = rng.standard_normal((N_EEG, n)) * 10e-6
    data[COUNTER] = np.arange(n)
    info = mne.create_info([f"EEG{i:02d}" for i in range(N_EEG)] + ["counter"], SFREQ,
                           ["eeg"] * N_EEG + ["misc"], verbose=False)
    return mne.io.RawArray(data, info, verbose=False)


def analyse(rx: dict, *, chunk: int, t0: float | None, speed: float = 1.0) -> dict:
    """Lateness and stamp error of every received sample (ms).

    ``lateness_chunk_end_ms`` is the lateness of the samples that complete a chunk
    (``k % chunk == chunk - 1``): when the newest data of each push reaches a consumer.
    (The newest sample of each *pull* is not that: a receiver woken while liblsl is still
    unpacking a chunk gets it in several pulls, the first ones ending on older samples.)
    """
    k = np.rint(rx["values"][:, COUNTER]).astype(np.int64)
    stamps, receipt = rx["stamps"], rx["receipt"]
    if k.size == 0:
        raise RuntimeError("the receiver got no samples")
    steps = np.diff(k)
    t0_source = "player.t0"
    if t0 is None:
        t0 = stamps[0] - (k[0] / SFREQ) / speed
        t0_source = "first sample: stamp - k / sfreq"
    due = t0 + (k / SFREQ) / speed
    stamp_err = (stamps - due) * 1e3
    lateness = (receipt - stamps) * 1e3
    newest = lateness[k % chunk == chunk - 1]
    tenth = max(k.size // 10, 1)
    return {
        "samples": int(k.size),
        "first_k": int(k[0]),
        "missing": int(np.sum(steps[steps > 1] - 1)),
        "out_of_order_or_doubled": int(np.sum(steps < 1)),
        "pulls": int(rx["pull_n"].size),
        "t0_from": t0_source,
        "lateness_ms": summarize(lateness),
        "lateness_chunk_end_ms": summarize(newest),
        "future_samples": int(np.sum(lateness < 0)),
        "stamp_error_ms": summarize(stamp_err),
        "stamp_error_abs_p99_ms": float(np.percentile(np.abs(stamp_err), 99)),
        "stamp_error_abs_max_ms": float(np.max(np.abs(stamp_err))),
        "drift_ms": float(stamp_err[-1] - stamp_err[0]),
        "lateness_first_tenth_p50_ms": float(np.median(lateness[:tenth])),
        "lateness_last_tenth_p50_ms": float(np.median(lateness[-tenth:])),
    }


def run_bci(raw, chunk: int, *, speed: float = 1.0) -> dict:
    """Replay ``raw`` with bci's Player to an independent receiver."""
    from bci.replay import Player, ReplaySource

    source = ReplaySource.from_raw(raw, "bench-bci")
    base = uuid.uuid4().hex
    player = Player([source], name=f"bench-bci-{base[:8]}", chunk=chunk, speed=speed,
                    source_id=base, lead=0.3)
    player.record_lateness = True
    player.open_outlets()
    expected = source.n_times + 1024
    rx = Receiver(f"{base}-0", capacity=expected).start()
    load_before = load()
    started = time.monotonic()
    player.start()
    duration = source.n_times / SFREQ / speed
    try:
        if not player.wait(duration + 30):
            raise RuntimeError("bci replay did not finish in time")
        wall = time.monotonic() - started
        data = rx.stop()
    finally:
        player.stop()
    out = analyse(data, chunk=chunk, t0=player.t0, speed=speed)
    out.update(player="bci", chunk=chunk, speed=speed, wall_s=wall, load=load_before,
               sent=player.n_pushed[0],
               push_lateness_ms=summarize(np.asarray(player.lateness) * 1e3))
    return out


def run_mne_lsl(raw, chunk: int) -> dict:
    """Replay ``raw`` with mne-lsl's PlayerLSL to an independent receiver."""
    from mne_lsl.player import PlayerLSL

    sid = uuid.uuid4().hex
    player = PlayerLSL(raw, chunk_size=chunk, n_repeat=1, name=f"bench-mne-{sid[:8]}",
                       source_id=sid, annotations=False)
    rx = Receiver(sid, capacity=raw.n_times + 1024).launch()  # resolves while we start
    load_before = load()
    started = time.monotonic()
    player.start()
    try:
        rx.wait_ready()
        # PlayerLSL has no "finished" event: the file lasts n_times / sfreq seconds.
        time.sleep(max(raw.n_times / SFREQ - (time.monotonic() - started), 0) + 0.5)
        wall = time.monotonic() - started
        data = rx.stop()
    finally:
        try:
            player.stop()
        except RuntimeError:  # it stops by itself at the end of the file (n_repeat=1)
            pass
    out = analyse(data, chunk=chunk, t0=None)
    out.update(player="mne-lsl", chunk=chunk, speed=1.0, wall_s=wall, load=load_before,
               sent=None, push_lateness_ms=None)
    return out


def rows_pacing(runs: list[dict]) -> tuple[list[str], list[list]]:
    cols = ["player", "chunk", "samples", "lost", "late min", "late p50", "late p99",
            "late max", "end p50", "end p99", "future", "err min", "err p50",
            "err p99", "err max", "abs err p99", "drift", "push p50", "push p99"]
    rows = []
    for r in runs:
        la, nw, er = r["lateness_ms"], r["lateness_chunk_end_ms"], r["stamp_error_ms"]
        rows.append([r["player"], str(r["chunk"]), r["samples"],
                     r["missing"] + r["out_of_order_or_doubled"], la["min"], la["p50"],
                     la["p99"], la["max"], nw["p50"], nw["p99"], r["future_samples"],
                     er["min"], er["p50"], er["p99"], er["max"],
                     r["stamp_error_abs_p99_ms"], r["drift_ms"],
                     *(["-", "-"] if r["push_lateness_ms"] is None else
                       [r["push_lateness_ms"]["p50"], r["push_lateness_ms"]["p99"]])])
    return cols, rows


def rows_drift(run: dict) -> tuple[list[str], list[list]]:
    cols = ["player", "speed", "chunk", "signal s", "wall s", "samples", "lost", "future",
            "drift ms", "max abs err ms", "late p50 first 10%", "late p50 last 10%",
            "late p99", "push late p99"]
    row = [run["player"], f"{run['speed']:g}", str(run["chunk"]),
           f"{run['samples'] / SFREQ:.0f}", f"{run['wall_s']:.1f}", run["samples"],
           run["missing"] + run["out_of_order_or_doubled"], run["future_samples"],
           run["drift_ms"], run["stamp_error_abs_max_ms"],
           run["lateness_first_tenth_p50_ms"], run["lateness_last_tenth_p50_ms"],
           run["lateness_ms"]["p99"], run["push_lateness_ms"]["p99"]]
    return cols, [row]


def verdict(runs: list[dict], drift: dict) -> list[dict]:
    """The targets, checked for bci."""
    bci = [r for r in runs if r["player"] == "bci"] + [drift]
    return [
        {"target": "no sample stamped in the future",
         "value": sum(r["future_samples"] for r in bci),
         "met": all(r["future_samples"] == 0 for r in bci)},
        {"target": "|timestamp - due| p99 <= 1 ms",
         "value": max(r["stamp_error_abs_p99_ms"] for r in bci),
         "met": all(r["stamp_error_abs_p99_ms"] <= 1.0 for r in bci)},
        {"target": "drift <= 1 ms over the run",
         "value": max(abs(r["drift_ms"]) for r in bci),
         "met": all(abs(r["drift_ms"]) <= 1.0 for r in bci)},
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument("--quick", action="store_true",
                        help="short runs (4 s per configuration, 60 s of signal for drift)")
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds per configuration (default 15; 4 with --quick)")
    parser.add_argument("--chunks", type=int, nargs="+", default=[1, 10, 32])
    parser.add_argument("--speed", type=float, default=20.0, help="speed of the drift run")
    parser.add_argument("--drift-signal", type=float, default=None,
                        help="seconds of signal in the drift run (default 600; 60 --quick)")
    args = parser.parse_args(argv)
    exit_on_sigterm()
    duration = args.duration or (4.0 if args.quick else 15.0)
    drift_signal = args.drift_signal or (60.0 if args.quick else 600.0)

    import warnings

    import mne
    import mne_lsl

    # PlayerLSL warns about its own empty last chunk at the end of a non-looping replay.
    warnings.filterwarnings("ignore", message=".*End of file reached with an empty chunk")
    mne.set_log_level("WARNING")
    mne_lsl.set_log_level("WARNING")
    result = {"benchmark": "replay", "machine": machine(), "sfreq": SFREQ,
              "n_channels": N_EEG + 1, "duration_s": duration, "runs": []}
    raw = make_raw(duration)
    try:
        for chunk in args.chunks:
            # Alternate the players so both see the same background load.
            for run in (run_bci, run_mne_lsl):
                r = run(raw, chunk)
                print(f"  {r['player']:<8} chunk {chunk:>2}: lateness p50 "
                      f"{r['lateness_ms']['p50']:.3f} ms, future {r['future_samples']}",
                      file=sys.stderr)
                result["runs"].append(r)
        print(f"  drift run: {drift_signal:g} s of signal at speed {args.speed:g}",
              file=sys.stderr)
        drift = run_bci(make_raw(drift_signal, seed=1), 10, speed=args.speed)
    finally:
        cleanup()
    result["drift"] = drift
    result["targets"] = verdict(result["runs"], drift)
    result["machine"]["loadavg_end"] = load()

    cols, rows = rows_pacing(result["runs"])
    dcols, drows = rows_drift(drift)
    m = result["machine"]
    print(f"\nReplay pacing, {N_EEG}+1 channels at {SFREQ:g} Hz, {duration:g} s per run "
          f"({m['date']}, bci {m.get('git_head', '?')}, load {_loads(m)})")
    print("late = receipt - timestamp per sample; end = the same for the sample that ends "
          "each pushed chunk;\nerr = timestamp - due; future = samples received before their "
          "timestamp;\npush = the player's own push time - due (bci only); all ms\n")
    print(table(cols, rows))
    print(f"\nDrift: bci Player, {drift_signal:g} s of signal at speed {args.speed:g}\n")
    print(table(dcols, drows))
    print("\nTargets (bci):")
    for t in result["targets"]:
        print(f"  {'MET ' if t['met'] else 'MISS'}  {t['target']}: {t['value']:.6g}")
    result["markdown"] = {"pacing": markdown_table(cols, rows),
                          "drift": markdown_table(dcols, drows)}
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
