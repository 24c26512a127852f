"""Benchmark: mutated recordings of every format, counting escapes and hangs.

For each format (EDF, BDF, GDF, FIF, BrainVision, EEGLAB, XDF, Muse CSV, UCI MYO text) a
small valid seed file is made from the shared recordings (or written here, for BDF and
EEGLAB), then mutated N times: bytes overwritten, the file cut, a span deleted, bytes
inserted (for BrainVision, one of its three files). Each mutated file is read by
``bci.io.read_streams`` in a worker process, under a per-file time limit and a memory
limit. Outcomes:

- **read**: the reader returned streams;
- **refused**: a one-line ``bci.errors.BciError`` naming the file (the contract);
- **escape**: any other exception, or an error message that is not one line or does not
  name the file: a bug;
- **hang**: no answer within ``--time-limit`` seconds (the worker is killed): a bug;
- **crash**: the reading process died (a segfault or abort in a C extension): a bug
  that no ``try`` can catch, counted apart (the worker is restarted).

The target is zero escapes, hangs and crashes. Each failing mutated file is kept in
``--keep DIR`` (default: none) for a bug report. Read times (median, p99) are per file.

Usage::

    python bench/bench_fuzz.py [--n 300] [--formats EDF,XDF] [--time-limit 20]
                               [--seed 0] [--json FILE] [--keep DIR] [--quick]

10,000 per format is for a quiet machine (hours); a few hundred gives a first count.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BCI_SHARED_RECORDINGS", ROOT.parent / "shared" / "recordings"))
FORMATS = ("EDF", "BDF", "GDF", "FIF", "BrainVision", "EEGLAB", "XDF", "Muse CSV",
           "MYO text")
#: Address space a worker may use (a reader allocating for a corrupted count fails fast).
MEMORY_LIMIT = 3 << 30
EXAMPLES_KEPT = 5


def _ascii(value: object, width: int) -> bytes:
    return str(value).encode("ascii").ljust(width, b" ")


def _write_bdf(path: Path, digital: np.ndarray) -> None:
    """BioSemi BDF, 256 Hz, 1-s records, 24 bits, two EEG channels and Status."""
    n_ch, n = digital.shape
    n_rec = n // 256
    labels, units = ["Cz", "Pz", "Status"], ["uV", "uV", "Boolean"]
    header = b"\xffBIOSEMI" + _ascii("X", 80) + _ascii("X", 80) + b"01.01.2400.00.00"
    header += _ascii(256 * (n_ch + 1), 8) + _ascii("24BIT", 44) + _ascii(n_rec, 8)
    header += _ascii(1, 8) + _ascii(n_ch, 4)
    for values, width in ((labels, 16), ([""] * n_ch, 80), (units, 8)):
        header += b"".join(_ascii(v, width) for v in values)
    for limit in (-262144, 262143, -8388608, 8388607):
        header += _ascii(limit, 8) * n_ch
    header += _ascii("", 80) * n_ch + _ascii(256, 8) * n_ch + _ascii("", 32) * n_ch
    records = digital[:, : n_rec * 256].astype("<i4").reshape(n_ch, n_rec, 256)
    three = records.transpose(1, 0, 2).reshape(-1, 1).view(np.uint8)[:, :3]
    path.write_bytes(header + three.tobytes())


def make_seeds(out: Path) -> dict[str, list[Path]]:
    """One small valid recording per format (BrainVision: its three files)."""
    import mne
    import scipy.io

    seeds: dict[str, list[Path]] = {}
    edf = mne.io.read_raw_edf(SHARED / "physionet-eegmmidb/S001/S001R04.edf", preload=True,
                              verbose="error")
    edf.pick(edf.ch_names[:4]).crop(0, 4 - 1 / 160)
    mne.export.export_raw(out / "seed.edf", edf, fmt="edf", verbose="error")
    seeds["EDF"] = [out / "seed.edf"]
    mne.export.export_raw(out / "seed.vhdr", edf, fmt="brainvision", verbose="error")
    seeds["BrainVision"] = [out / "seed.vhdr", out / "seed.vmrk", out / "seed.eeg"]
    rng = np.random.default_rng(0)
    digital = np.zeros((3, 1024), dtype=np.int64)
    digital[:2] = rng.integers(-30000, 30000, (2, 1024))
    digital[2, 100:110] = 5
    _write_bdf(out / "seed.bdf", digital)
    seeds["BDF"] = [out / "seed.bdf"]
    gdf = next((SHARED / "ssvep-exoskeleton").rglob("*.gdf"))
    shutil.copy(gdf, out / "seed.gdf")
    seeds["GDF"] = [out / "seed.gdf"]
    fif = mne.io.read_raw_fif(next((SHARED / "ssvep-exoskeleton").rglob("*_raw.fif")),
                              preload=True, verbose="error")
    fif.crop(0, 2).save(out / "seed_raw.fif", verbose="error")
    seeds["FIF"] = [out / "seed_raw.fif"]
    n = 500
    data = (np.arange(3 * n).reshape(3, n) % 89 - 44).astype(np.float64)
    eeg = {
        "setname": "t", "filename": "seed.set", "filepath": "", "nbchan": 3.0,
        "trials": 1.0, "pnts": float(n), "srate": 250.0, "xmin": 0.0,
        "xmax": (n - 1) / 250, "times": np.arange(n) / 250 * 1000, "data": data,
        "icawinv": np.array([]), "icasphere": np.array([]), "icaweights": np.array([]),
        "icachansind": np.array([]),
        "chanlocs": np.array([("Cz",), ("Pz",), ("Oz",)], dtype=[("labels", "O")]),
        "event": np.array([("left", 101.0), ("right", 251.0)],
                          dtype=[("type", "O"), ("latency", "f8")]),
        "ref": "common", "epoch": np.array([]), "chaninfo": {"nosedir": "+X"},
        "urevent": np.array([]),
    }  # fmt: skip
    scipy.io.savemat(out / "seed.set", {"EEG": eeg}, appendmat=False)
    seeds["EEGLAB"] = [out / "seed.set"]
    shutil.copy(next((SHARED / "muselsl-xdf").rglob("*.xdf")), out / "seed.xdf")
    seeds["XDF"] = [out / "seed.xdf"]
    muse = next((SHARED / "eeg-notebooks-muse").rglob("*.csv.gz"))
    with gzip.open(muse, "rt") as f:
        (out / "seed.csv").write_text("".join(f.readlines()[:300]))
    seeds["Muse CSV"] = [out / "seed.csv"]
    myo = next((SHARED / "uci-emg-gestures").rglob("*.txt.gz"))
    with gzip.open(myo, "rt") as f:
        lines = f.readlines()
    (out / "seed.txt").write_text(lines[0] + "".join(lines[2300:2700]))
    seeds["MYO text"] = [out / "seed.txt"]
    return seeds


def mutate(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    """One random mutation of ``data`` and a description of it."""
    out = bytearray(data)
    kind = rng.choice(["set", "set", "truncate", "delete", "insert"])
    if kind == "set" or not out:
        k = int(rng.integers(1, 13))
        # Half the time in the first KiB, where headers (and their counts) are.
        where = [int(rng.integers(0, min(len(out), 1024))) if rng.random() < 0.5
                 else int(rng.integers(0, len(out))) for _ in range(k)] if out else []
        for pos in where:
            out[pos] = int(rng.integers(0, 256))
        return bytes(out), f"set {k} bytes at {where[:4]}"
    if kind == "truncate":
        cut = int(rng.integers(0, len(out)))
        return bytes(out[:cut]), f"cut at {cut}"
    start = int(rng.integers(0, len(out)))
    if kind == "delete":
        size = int(rng.integers(1, 301))
        del out[start:start + size]
        return bytes(out), f"delete {size} at {start}"
    extra = rng.integers(0, 256, int(rng.integers(1, 65)), dtype=np.uint8).tobytes()
    out[start:start] = extra
    return bytes(out), f"insert {len(extra)} at {start}"


def _worker(conn) -> None:
    """Read each path sent; answer (outcome, detail, seconds)."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    import logging
    import warnings

    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    from bci.errors import BciError
    from bci.io import read_streams

    while True:
        path = conn.recv()
        if path is None:
            return
        started = time.perf_counter()
        try:
            read_streams(path)
            outcome, detail = "read", ""
        except BciError as err:
            text = str(err)
            ok = "\n" not in text and Path(path).name in text
            outcome, detail = ("refused" if ok else "escape"), f"{type(err).__name__}: {text}"
        except BaseException as err:  # the escapes this benchmark counts
            outcome, detail = "escape", f"{type(err).__name__}: {err}"[:300]
        conn.send((outcome, detail, time.perf_counter() - started))


class _Reader:
    """A worker process that can be killed and replaced when a read hangs."""

    def __init__(self) -> None:
        self._start()

    def _start(self) -> None:
        self.conn, child = mp.Pipe()
        self.process = mp.get_context("spawn").Process(target=_worker, args=(child,),
                                                       daemon=True)
        self.process.start()

    def read(self, path: Path, limit: float) -> tuple[str, str, float]:
        started = time.perf_counter()
        self.conn.send(str(path))
        try:
            if self.conn.poll(limit):
                return self.conn.recv()
        except EOFError:
            # The worker died inside the reader (a segfault, an abort in C code).
            self.process.join()
            code = self.process.exitcode
            self._start()
            return "crash", f"the reading process died (exit code {code})", \
                time.perf_counter() - started
        self.process.kill()  # the worker this reader started, by its handle
        self.process.join()
        self._start()
        return "hang", f"no answer within {limit:g} s", limit

    def close(self) -> None:
        self.conn.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def run_format(fmt: str, seeds: list[Path], n: int, reader: _Reader, limit: float,
               rng: np.random.Generator, work: Path, keep: Path | None = None) -> dict:
    """Mutate the seed of ``fmt`` ``n`` times; count outcomes."""
    folder = work / fmt.replace(" ", "_")
    folder.mkdir()
    for seed in seeds:
        shutil.copy(seed, folder / seed.name)
    entry = folder / seeds[0].name
    originals = {p.name: p.read_bytes() for p in seeds}
    counts = {"read": 0, "refused": 0, "escape": 0, "hang": 0, "crash": 0}
    times, examples = [], []
    baseline = reader.read(entry, limit)
    for _ in range(n):
        victim = seeds[int(rng.integers(0, len(seeds)))].name
        data, how = mutate(originals[victim], rng)
        (folder / victim).write_bytes(data)
        outcome, detail, seconds = reader.read(entry, limit)
        counts[outcome] += 1
        times.append(seconds)
        if outcome in ("escape", "hang", "crash"):
            if keep is not None:
                kept = keep / f"{fmt.replace(' ', '_')}-{sum(counts.values())}-{victim}"
                kept.write_bytes(data)
            if len(examples) < EXAMPLES_KEPT:
                examples.append({"file": victim, "mutation": how, "detail": detail})
        (folder / victim).write_bytes(originals[victim])
    ms = np.asarray(times) * 1e3
    return {"format": fmt, "n": n, "seed_read": baseline[0], **counts,
            "median_ms": float(np.median(ms)), "p99_ms": float(np.percentile(ms, 99)),
            "examples": examples}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=300, help="mutated files per format")
    parser.add_argument("--formats", default=",".join(FORMATS),
                        help="comma-separated subset of: " + ", ".join(FORMATS))
    parser.add_argument("--time-limit", type=float, default=20.0,
                        help="seconds a read may take before it counts as a hang")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="30 files per format")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument("--keep", type=Path, default=None,
                        help="folder to keep every mutated file that escaped, hung or crashed")
    args = parser.parse_args(argv)
    if args.quick:
        args.n = 30
    wanted = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = sorted(set(wanted) - set(FORMATS))
    if unknown or args.n < 1 or not args.time_limit > 0:
        parser.error(f"unknown formats {unknown}" if unknown else "--n and --time-limit "
                     "must be positive")
    if not SHARED.is_dir():
        parser.error(f"the shared recordings are not at {SHARED}: set BCI_SHARED_RECORDINGS")
    rng = np.random.default_rng(args.seed)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
    results = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bci-fuzz-") as tmp:
        work = Path(tmp)
        (work / "seeds").mkdir()
        seeds = make_seeds(work / "seeds")
        reader = _Reader()
        try:
            for fmt in wanted:
                results.append(run_format(fmt, seeds[fmt], args.n, reader, args.time_limit,
                                          rng, work, args.keep))
                r = results[-1]
                print(f"{fmt}: {r['escape']} escapes, {r['hang']} hangs, {r['crash']} "
                      "crashes", file=sys.stderr)
        finally:
            reader.close()
    header = (f"{'format':<12} {'n':>6} {'read':>6} {'refused':>8} {'escapes':>8} "
              f"{'hangs':>6} {'crashes':>8} {'p50 ms':>8} {'p99 ms':>8}")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['format']:<12} {r['n']:>6} {r['read']:>6} {r['refused']:>8} "
              f"{r['escape']:>8} {r['hang']:>6} {r['crash']:>8} {r['median_ms']:>8.1f} "
              f"{r['p99_ms']:>8.1f}")
    for r in results:
        for ex in r["examples"]:
            print(f"  {r['format']}: {ex['file']} {ex['mutation']}: {ex['detail']}")
    total = {k: sum(r[k] for r in results) for k in ("n", "escape", "hang", "crash")}
    print(f"total: {total['n']} files, {total['escape']} escapes, {total['hang']} hangs, "
          f"{total['crash']} crashes, "
          f"{time.monotonic() - started:.0f} s, load average {os.getloadavg()[0]:.1f}")
    if args.json is not None:
        sys.path.insert(0, str(ROOT / "bench"))
        from common import machine

        args.json.write_text(json.dumps({"machine": machine(), "time_limit_s": args.time_limit,
                                         "seed": args.seed, "results": results}, indent=2))
    return 1 if total["escape"] or total["hang"] or total["crash"] else 0


if __name__ == "__main__":
    sys.exit(main())
