"""Shared pieces of the benchmarks: an independent LSL receiver process, summaries, tables.

The receiver runs in its own process (``multiprocessing`` *spawn*), blocks in
``pull_chunk(timeout, min_samples=1, dest_obj=...)`` (never busy-polls) and records
``pylsl.local_clock()`` right after each pull returns, so what it measures is what any
consumer on the same machine would see. Everything here is imported by the spawned
children too, so keep the module-level imports light (numpy and pylsl only).
"""

from __future__ import annotations

import atexit
import json
import multiprocessing as mp
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

# liblsl logs at INFO on stderr by default; use the quiet settings bci ships (errors only),
# unless the user set their own. Children inherit the environment, so set it before
# liblsl is loaded here or there.
_LSL_CONFIG = Path(__file__).resolve().parents[1] / "bci" / "lsl_api.cfg"
if _LSL_CONFIG.exists():
    os.environ.setdefault("LSLAPICFG", str(_LSL_CONFIG))

import numpy as np  # noqa: E402
import pylsl  # noqa: E402

#: The context every benchmark process is started with (no fork: liblsl holds threads).
CTX = mp.get_context("spawn")

_CHILDREN: list = []


def track(process) -> None:
    """Remember a child process so :func:`cleanup` can end it at exit."""
    _CHILDREN.append(process)


def cleanup() -> None:
    """End the children this benchmark started that are still alive (by their pid)."""
    for process in _CHILDREN:
        if process.is_alive():
            process.terminate()
            process.join(2.0)
            if process.is_alive():
                process.kill()
                process.join(1.0)
    _CHILDREN.clear()


atexit.register(cleanup)


def exit_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit, so the children are ended (atexit) there too."""
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


# -- the independent receiver ------------------------------------------------------------

def _receive(source_id: str, out_path: str, ready, stop, timeout: float,
             max_chunk: int, capacity: int) -> None:
    """Child process: pull every sample of stream ``source_id``; save to ``out_path``.

    Saved arrays: ``values`` (n, n_channels) float64, ``stamps`` (n,), ``receipt`` (n,)
    (``local_clock()`` when the pull that delivered the sample returned), ``pull_n``
    (samples per pull).
    """
    infos = pylsl.resolve_byprop("source_id", source_id, 1, timeout)
    if not infos:
        np.savez(out_path, error=np.array(f"stream {source_id} not found"))
        ready.set()
        return
    info = infos[0]
    fmt = info.channel_format()
    dtype = {pylsl.cf_float32: np.float32, pylsl.cf_double64: np.float64}[fmt]
    n_ch = info.channel_count()
    # No post-processing: sender and receiver share this machine's clock, so the stamps
    # are compared with local_clock() exactly as they were sent.
    inlet = pylsl.StreamInlet(info, max_buflen=360, max_chunklen=0, recover=False,
                              processing_flags=0)
    inlet.open_stream(timeout)
    buf = np.empty((max_chunk, n_ch), dtype=dtype)
    values = np.empty((capacity, n_ch), dtype=np.float64)
    stamps = np.empty(capacity)
    receipt = np.empty(capacity)
    pulls = []
    n = 0
    ready.set()
    idle_after_stop = 0
    stop_seen = None
    while True:
        try:
            _, ts = inlet.pull_chunk(timeout=0.1, max_samples=max_chunk, dest_obj=buf,
                                     min_samples=1)
        except pylsl.util.LostError:  # the source ended and withdrew its outlet
            break
        now = pylsl.local_clock()
        k = len(ts)
        if k:
            if n + k > values.shape[0]:  # grow (rare: capacity is an estimate)
                grow = max(values.shape[0], k)
                values = np.concatenate([values, np.empty((grow, n_ch))])
                stamps = np.concatenate([stamps, np.empty(grow)])
                receipt = np.concatenate([receipt, np.empty(grow)])
            values[n:n + k] = buf[:k]
            stamps[n:n + k] = ts
            receipt[n:n + k] = now
            pulls.append(k)
            n += k
        if stop.is_set():
            # Drain what is in flight, then leave (at most 2 s after the stop request).
            stop_seen = stop_seen or time.monotonic()
            idle_after_stop = 0 if k else idle_after_stop + 1
            if idle_after_stop >= 2 or time.monotonic() - stop_seen > 2.0:
                break
    inlet.close_stream()
    del inlet
    np.savez(out_path, values=values[:n], stamps=stamps[:n], receipt=receipt[:n],
             pull_n=np.array(pulls, dtype=np.int64))


class Receiver:
    """An independent receiver process for the stream with ``source_id``.

    ``start()`` returns once the child has connected (or failed); ``stop()`` asks it to
    drain and exit and returns its recordings as a dict of arrays.
    """

    def __init__(self, source_id: str, *, timeout: float = 15.0, max_chunk: int = 4096,
                 capacity: int = 100_000) -> None:
        self.source_id = source_id
        self._dir = tempfile.mkdtemp(prefix="bci-bench-")
        self.path = os.path.join(self._dir, "rx.npz")
        self.ready = CTX.Event()
        self.stop_event = CTX.Event()
        self.process = CTX.Process(
            target=_receive, name=f"bench-rx-{source_id[:8]}",
            args=(source_id, self.path, self.ready, self.stop_event, timeout, max_chunk,
                  capacity), daemon=True)
        self.timeout = timeout

    def launch(self) -> Receiver:
        """Start the child; it resolves the stream (waiting for it to appear)."""
        self.process.start()
        track(self.process)
        return self

    def wait_ready(self) -> Receiver:
        """Block until the child's inlet is connected."""
        deadline = time.monotonic() + self.timeout + 30
        while not self.ready.wait(0.1):
            if not self.process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"receiver for {self.source_id} did not start "
                                   f"(exit code {self.process.exitcode})")
        return self

    def start(self) -> Receiver:
        """Launch and wait until connected."""
        return self.launch().wait_ready()

    def stop(self) -> dict[str, np.ndarray]:
        self.stop_event.set()
        self.process.join(30)
        if self.process.is_alive():
            self.process.terminate()
            shutil.rmtree(self._dir, ignore_errors=True)
            raise RuntimeError(f"receiver for {self.source_id} did not stop")
        try:
            if not os.path.exists(self.path):
                raise RuntimeError(f"receiver for {self.source_id} saved nothing (exit code "
                                   f"{self.process.exitcode}): see its traceback above")
            with np.load(self.path) as data:
                out = {k: data[k] for k in data.files}
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)
        if "error" in out:
            raise RuntimeError(str(out["error"]))
        return out


# -- numbers and tables --------------------------------------------------------------------

def summarize(values_ms: np.ndarray) -> dict:
    """count, min, p50, p95, p99, max of a series in milliseconds (None when empty)."""
    v = np.asarray(values_ms, dtype=float)
    if v.size == 0:
        return {"n": 0, "min": None, "p50": None, "p95": None, "p99": None, "max": None}
    p50, p95, p99 = np.percentile(v, [50, 95, 99])
    return {"n": int(v.size), "min": float(v.min()), "p50": float(p50), "p95": float(p95),
            "p99": float(p99), "max": float(v.max())}


def fmt(value, digits: int = 3) -> str:
    """A number for a table ('-' for None)."""
    if value is None:
        return "-"
    if isinstance(value, int | np.integer):
        return str(int(value))
    return f"{value:.{digits}f}"


def table(columns: list[str], rows: list[list]) -> str:
    """A plain text table, right-aligned, first column left-aligned."""
    cells = [[str(c) for c in columns]] + [[fmt(v) if not isinstance(v, str) else v
                                             for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = []
    for j, row in enumerate(cells):
        parts = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:],
                                                                        strict=True)]
        lines.append("  ".join(parts))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(columns: list[str], rows: list[list]) -> str:
    """The same table in Markdown (for docs/benchmarks.md)."""
    out = ["| " + " | ".join(columns) + " |",
           "|" + "|".join("---" if i == 0 else "---:" for i in range(len(columns))) + "|"]
    for row in rows:
        out.append("| " + " | ".join(fmt(v) if not isinstance(v, str) else v
                                     for v in row) + " |")
    return "\n".join(out)


def machine() -> dict:
    """What the numbers were measured on, and how busy the machine was."""
    import mne_lsl
    import psutil

    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "pylsl": pylsl.__version__,
        "liblsl": pylsl.library_version(),
        "mne_lsl": mne_lsl.__version__,
        "loadavg_start": list(os.getloadavg()),
        "cpu_percent_start": psutil.cpu_percent(interval=0.5),
        "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        **_git(),
    }


def _git() -> dict:
    """The commit measured, and the files under bci/ that differ from it."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "bci"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return {}
    return {"git_head": head,
            "bci_uncommitted": sorted(line[3:] for line in dirty if line.strip())}


def load() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def loads_text(m: dict) -> str:
    """1-minute load average at the start and end of the run, and CPU use at the start."""
    return (f"{m['loadavg_start'][0]:.2f} -> {m.get('loadavg_end', [float('nan')])[0]:.2f}, "
            f"CPU {m['cpu_percent_start']:.0f}% busy before the start")


def write_json(path: str | None, result: dict) -> None:
    """Write the result (if a path was given) and say where."""
    if not path:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(result, indent=2, default=_jsonable) + "\n")
    print(f"wrote {path}", file=sys.stderr)


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value)}")
