"""Benchmark: ``bci benchmark`` on 2 workers against a sequential run, and Dask's cost per unit.

Part 1, speed-up. The SPEC is ``docs/benchmarks/example.toml`` (5 pipelines, 3 public
datasets in ``../shared/recordings``, 14 units) plus, unless ``--quick``, within-recording
cross-validation of the same pipelines on the same data: 5 folds of both motor-imagery
pipelines on PhysioNet S001's left/right fist runs R03, R04, R07, R08 (40 units), 4 folds
of both SSVEP pipelines on the 4 Kalunga sessions (32), 2 folds of the EMG pipeline on the
4 UCI series (8): 94 units in all, so that starting workers is not the whole run.
The same units run, each into a new result folder:

- ``sequential``: one after the other in this process (the baseline);
- ``joblib``: 2 loky worker processes;
- ``dask local``: a ``LocalCluster`` of 2 single-threaded worker processes, started and
  closed inside the timed call (as ``bci benchmark --jobs 2`` does);
- ``plain``: no scheduler, two new Python processes each running every other unit
  (planning not timed; no tables): the floor for two processes on this machine.

Wall time is a whole ``python -m bci.cli benchmark SPEC --json`` process (the interpreter,
imports, planning, checksums, workers' start-up, tables and plots); the speed-up is
sequential / parallel, measured in the same run, the backends interleaved when
``--repeats`` > 1 (median reported). Every run's records are
compared with the sequential run's, timing fields aside: ``identical`` must say yes.

Part 2, overhead per unit: a no-op unit (returns its input) sent ``--noop`` times through
warm joblib workers and through an already running, warm 2-worker ``LocalCluster``
(start-up of each timed on its own), results taken one by one as ``bci benchmark`` takes
them; per unit = wall time / N.

The ceiling: how much two processes can get out of this shared machine at that moment.
A pure-Python loop and a numpy/scipy filtering loop are timed alone and as two processes
at once, before and after part 1; ``ceiling = 2 x alone / together`` (2.0 on two idle
cores). The speed-up is reported
against 1 and against this ceiling, since other engineers' jobs share the same cores.

Usage::

    python bench/bench_benchmark.py [--json FILE] [--quick] [--repeats N] [--noop N]

The machine is shared (2 cores): the table prints the load average at the start and end;
a speed-up near 2 needs the second core free.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import load, machine, markdown_table, write_json  # noqa: E402

TARGET_SPEEDUP = 1.6

WITHIN_MI = """
[[datasets]]
name = "eegmmidb-within"
path = "{recordings}/physionet-eegmmidb"
include = "S*/S*R0[3478].edf"
entities = '(?P<subject>S\\d+)R(?P<run>\\d+)'
pipelines = ["mi-tangent-space", "mi-csp-lda"]
evaluation = {{ scheme = "within", folds = 5 }}

[[datasets]]
name = "ssvep-within"
path = "{recordings}/ssvep-exoskeleton"
include = "subject*/*_raw.fif"
entities = '(?P<subject>subject\\d+)/record-\\[(?P<session>[^\\]]+)\\]'
pipelines = ["ssvep-cca", "ssvep-tangent-space"]
evaluation = {{ scheme = "within", folds = 4 }}

[[datasets]]
name = "emg-within"
path = "{recordings}/uci-emg-gestures"
include = "subject*/*_raw_data_*.txt.gz"
entities = '(?P<subject>subject\\d+)/(?P<run>\\d)_raw_data'
pipelines = ["emg-lda"]
evaluation = {{ scheme = "within", folds = 2 }}
"""


def find_recordings() -> Path | None:
    """``../shared/recordings`` beside the project (or above it), if present."""
    for base in (ROOT.parent, ROOT.parent.parent):
        candidate = base / "shared" / "recordings"
        if candidate.is_dir():
            return candidate
    return None


def bench_spec(recordings: Path, quick: bool) -> str:
    """The example SPEC's text, pointed at ``recordings``, plus the within-recording part."""
    text = (ROOT / "docs" / "benchmarks" / "example.toml").read_text()
    text = text.replace('"../shared/recordings', f'"{recordings}')
    text = text.replace('root = "../.."', f'root = "{ROOT}"')
    if not quick:
        text += WITHIN_MI.format(recordings=recordings)
    return text


def _strip(records: list[dict]) -> list[dict]:
    from bci.benchmark.unit import TIMING_FIELDS

    return sorted(({k: v for k, v in r.items() if k not in TIMING_FIELDS} for r in records),
                  key=lambda r: r["key"])


def timed_run(spec_path: Path, backend: str, folder: Path) -> tuple[float, list[dict]]:
    """Wall time of one whole ``bci benchmark`` process into a new folder, and its records.

    A new process each time, as a user runs it: every backend pays the interpreter's
    start and the imports (numpy, scipy, mne, scikit-learn, pyriemann), in the driver or
    in each worker.
    """
    import json
    import subprocess

    from bci.benchmark.store import ResultStore

    command = [sys.executable, "-m", "bci.cli", "benchmark", str(spec_path), "--out", str(folder),
               "--json"]
    if backend != "sequential":
        command += ["--jobs", "2", "--scheduler", backend]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")])}
    started = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"{backend}: {run.stderr.strip().splitlines()[-1]}")
    keys = [row["key"] for row in json.loads(run.stdout)["results"]]
    store = ResultStore(folder, resume=True)
    return elapsed, [store.get(key) for key in keys]


_HALF = """
import pickle, sys
from bci.benchmark.unit import run_unit
units = pickle.load(open(sys.argv[1], "rb"))[int(sys.argv[2])::2]
records = [run_unit(u) for u in units]
pickle.dump(records, open(sys.argv[3], "wb"))
"""


def plain_processes(spec_path: Path, folder: Path) -> tuple[float, list[dict]]:
    """No scheduler at all: two new Python processes, each running every other unit.

    The floor of what any backend can do with two processes here: the same imports and
    units, a static split, nothing sent between processes but the result at the end.
    """
    import json
    import pickle
    import subprocess

    from bci.benchmark import load_spec
    from bci.benchmark.runner import plan
    from bci.benchmark.store import ResultStore

    units = plan(load_spec(spec_path), ResultStore(folder))
    (folder / "units.pkl").write_bytes(pickle.dumps(units))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")])}
    started = time.perf_counter()
    children = [subprocess.Popen([sys.executable, "-c", _HALF, str(folder / "units.pkl"),
                                  str(k), str(folder / f"half{k}.pkl")], env=env,
                                 stderr=subprocess.DEVNULL) for k in (0, 1)]
    for child in children:
        child.wait(timeout=900)
    elapsed = time.perf_counter() - started
    halves = [pickle.loads((folder / f"half{k}.pkl").read_bytes()) for k in (0, 1)]
    # As stored (JSON): the other backends' records are read back from their folders.
    by_key = {r["key"]: json.loads(json.dumps(r)) for half in halves for r in half}
    return elapsed, [by_key[u.key] for u in units]


def _noop(x):
    return x


def _burn(n: int = 3_000_000) -> float:
    started = time.perf_counter()
    total = 0
    for i in range(n):
        total += i * i
    return time.perf_counter() - started


def _filter_burn(repeats: int = 30) -> float:
    """The units' kind of work: causal filtering and covariances of 64 x 20 000 samples."""
    import numpy as np
    from scipy.signal import butter, sosfilt
    from threadpoolctl import threadpool_limits

    x = np.random.default_rng(0).normal(size=(64, 20_000))
    sos = butter(4, [8, 30], btype="band", fs=160, output="sos")
    with threadpool_limits(limits=1):
        started = time.perf_counter()
        for _ in range(repeats):
            y = sosfilt(sos, x, axis=-1)
            _ = y @ y.T
        return time.perf_counter() - started


def _both(_: int) -> tuple[float, float]:
    return _burn(), _filter_burn()


def ceiling() -> dict:
    """Throughput of two processes at once relative to one alone, right now (2.0: idle).

    Two workloads: a pure-Python loop, and numpy/scipy filtering (memory-bound, like the
    units), each alone and then in two processes at once.
    """
    import multiprocessing as mp

    with mp.get_context("spawn").Pool(2) as pool:
        pool.map(_noop, [0, 1])  # the workers are up before anything is timed
        alone = pool.apply(_both, (0,))
        together = pool.map(_both, [0, 1])
    return {"python": 2.0 * alone[0] / statistics.mean(t[0] for t in together),
            "numpy": 2.0 * alone[1] / statistics.mean(t[1] for t in together)}


def _ignore(task, result) -> None:
    pass


def _raise(task, err):
    raise err


def overhead(n: int) -> dict:
    """Milliseconds per no-op unit through warm joblib workers and a running LocalCluster."""
    from distributed import Client, LocalCluster, as_completed

    from bci.benchmark.schedulers import ONE_THREAD_ENV, run_joblib

    out = {}
    started = time.perf_counter()
    run_joblib([0, 1], _noop, _ignore, jobs=2)  # start the workers: timed on its own
    out["joblib_start_s"] = time.perf_counter() - started
    started = time.perf_counter()
    run_joblib(list(range(n)), _noop, _ignore, jobs=2)
    out["joblib_per_unit_ms"] = (time.perf_counter() - started) / n * 1e3
    started = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=":0", env=ONE_THREAD_ENV,
                           silence_logs=logging.ERROR)
    client = Client(cluster, set_as_default=False)
    out["dask_cluster_start_s"] = time.perf_counter() - started
    try:
        client.gather(client.map(_noop, [0, 1], pure=False))  # warm: as joblib's
        started = time.perf_counter()
        futures = client.map(_noop, list(range(n)), pure=False)
        for future in as_completed(futures, loop=client.loop):
            future.result()  # one by one, as bci benchmark takes its results
        out["dask_per_unit_ms"] = (time.perf_counter() - started) / n * 1e3
    finally:
        client.close()
        cluster.close()
    out["dask_over_joblib_per_unit_ms"] = out["dask_per_unit_ms"] - out["joblib_per_unit_ms"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument("--quick", action="store_true", help="the example SPEC only")
    parser.add_argument("--repeats", type=int, default=1, help="rounds (default 1)")
    parser.add_argument("--noop", type=int, default=2000,
                        help="no-op units (default 2000)")
    args = parser.parse_args(argv)
    recordings = find_recordings()
    if recordings is None:
        print("skipped: ../shared/recordings not found", file=sys.stderr)
        write_json(args.json, {"benchmark": "benchmark", "skipped": "no recordings"})
        return 0
    env = machine()
    ceilings = [ceiling()]
    backends = ("sequential", "joblib", "local", "plain")
    walls: dict[str, list[float]] = {b: [] for b in backends}
    identical = {b: True for b in backends}
    reference = None
    unit_seconds: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bci-bench-benchmark-") as tmp:
        spec = Path(tmp) / "bench.toml"
        spec.write_text(bench_spec(recordings, args.quick))
        for round_ in range(args.repeats):
            for backend in backends:
                folder = Path(tmp) / f"{backend}-{round_}"
                if backend == "plain":
                    wall, records = plain_processes(spec, folder)
                else:
                    wall, records = timed_run(spec, backend, folder)
                walls[backend].append(wall)
                if backend == "sequential":
                    unit_seconds += [r["timing"]["seconds"] for r in records]
                if reference is None:
                    reference = _strip(records)
                identical[backend] &= _strip(records) == reference
                print(f"round {round_ + 1}: {backend}: {wall:.1f} s "
                      f"({len(records)} units)", file=sys.stderr)
    ceilings.append(ceiling())
    n_units = len(reference)
    base = statistics.median(walls["sequential"])
    rows, results = [], []
    for backend in backends:
        wall = statistics.median(walls[backend])
        entry = {"backend": backend, "workers": 1 if backend == "sequential" else 2,
                 "units": n_units, "wall_s": wall, "walls_s": walls[backend],
                 "speedup": base / wall, "identical": identical[backend]}
        results.append(entry)
        rows.append([backend, entry["workers"], n_units, f"{wall:.1f}",
                     f"{entry['speedup']:.2f}x", "yes" if identical[backend] else "NO"])
    total = sum(unit_seconds) / args.repeats
    print(f"\nload average at start {env['loadavg_start']}, at end {load()}; "
          f"{os.cpu_count()} cores; units' own time in the sequential run {total:.1f} s "
          f"of {base:.1f} s; unit compute time median "
          f"{statistics.median(unit_seconds):.2f} s, p99 "
          f"{sorted(unit_seconds)[int(0.99 * (len(unit_seconds) - 1))]:.2f} s")
    print(markdown_table(["backend", "workers", "units", "wall s", "speed-up", "identical"],
                         rows))
    cost = overhead(args.noop)
    print(markdown_table(["path", "per no-op unit (ms)", "start-up (s)"], [
        ["joblib (loky, 2 workers)", f"{cost['joblib_per_unit_ms']:.2f}",
         f"{cost['joblib_start_s']:.2f} (workers)"],
        ["dask LocalCluster (2 workers)", f"{cost['dask_per_unit_ms']:.2f}",
         f"{cost['dask_cluster_start_s']:.2f} (cluster)"]]))
    best = max(r["speedup"] for r in results if r["backend"] != "sequential")
    verdict = "meets" if best >= TARGET_SPEEDUP else "misses"
    print(f"best speed-up with 2 workers {best:.2f}x: {verdict} the {TARGET_SPEEDUP}x target; "
          "two processes could get, before / after: "
          f"{ceilings[0]['python']:.2f}x / {ceilings[1]['python']:.2f}x (Python loop), "
          f"{ceilings[0]['numpy']:.2f}x / {ceilings[1]['numpy']:.2f}x (numpy filtering): "
          "the machine's ceiling at the time")
    write_json(args.json, {"benchmark": "benchmark", "machine": env, "load_end": load(),
                           "units": n_units, "unit_seconds_median":
                               statistics.median(unit_seconds),
                           "results": results, "overhead": cost,
                           "ceiling_before_after": ceilings,
                           "target_speedup": TARGET_SPEEDUP})
    return 0


if __name__ == "__main__":
    sys.exit(main())
