"""Latency accounting: per-stage timings, end-to-end latency, overruns and counters.

The worker thread records; any other thread (the monitor, the command line) reads a
snapshot. Timings go into preallocated circular arrays (no allocation per decision) and
percentiles are computed only when a snapshot is taken.
"""

from __future__ import annotations

import threading
import time

import numpy as np


class TimingSeries:
    """The last ``capacity`` values of one timing, in milliseconds, plus lifetime counts.

    Parameters
    ----------
    budget_ms : float or None
        Values above it count as overruns.
    capacity : int
        How many recent values the percentiles are computed over.
    """

    def __init__(self, budget_ms: float | None = None, capacity: int = 100_000) -> None:
        self.budget_ms = budget_ms
        self._values = np.zeros(capacity)
        self._next = 0
        self.count = 0
        self.overruns = 0
        self.max_ms = 0.0

    def add(self, value_ms: float) -> None:
        """Record one value."""
        self._values[self._next] = value_ms
        self._next = (self._next + 1) % self._values.shape[0]
        self.count += 1
        if value_ms > self.max_ms:
            self.max_ms = value_ms
        if self.budget_ms is not None and value_ms > self.budget_ms:
            self.overruns += 1

    def recent(self) -> np.ndarray:
        """Copy of the recent values, in no particular order."""
        return self._values[:min(self.count, self._values.shape[0])].copy()

    def summary(self) -> dict:
        """count, p50, p95, p99, max (ms), budget and overruns."""
        values = self.recent()
        out = {"count": self.count, "budget_ms": self.budget_ms, "overruns": self.overruns}
        if values.size:
            p50, p95, p99 = np.percentile(values, [50, 95, 99])
            out.update(p50_ms=float(p50), p95_ms=float(p95), p99_ms=float(p99),
                       max_ms=float(self.max_ms))
        else:
            out.update(p50_ms=None, p95_ms=None, p99_ms=None, max_ms=None)
        return out


class LatencyStats:
    """Everything a live session measures, readable while it runs.

    Attributes
    ----------
    stages : dict of str to TimingSeries
        Per stage (``filters``, ``windows``, ``decoder``, ``push``...), the cost of one
        call in milliseconds, from ``time.perf_counter_ns``.
    end_to_end : TimingSeries
        Per decision, push time minus the LSL time of the newest sample it used.
    counters : dict of str to int
        ``chunks``, ``samples``, ``decisions``, ``gaps``, ``samples_missing``,
        ``skipped_windows``, ``nonfinite_samples``, ``withheld_windows``, ...
    """

    def __init__(self, budgets_ms: dict[str, float] | None = None) -> None:
        self.budgets_ms = dict(budgets_ms or {})
        self.stages: dict[str, TimingSeries] = {}
        self.end_to_end = TimingSeries(self.budgets_ms.get("end_to_end"))
        self.counters: dict[str, int] = {}
        self.started = time.time()
        self._lock = threading.Lock()  # guards structure changes, not the hot path

    def stage(self, name: str) -> TimingSeries:
        """The series of stage ``name`` (created on first use)."""
        series = self.stages.get(name)
        if series is None:
            with self._lock:
                series = self.stages.setdefault(name, TimingSeries(self.budgets_ms.get(name)))
        return series

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to counter ``name``."""
        self.counters[name] = self.counters.get(name, 0) + n

    def snapshot(self) -> dict:
        """A JSON-serialisable picture of every figure (what ``--stats`` writes)."""
        with self._lock:
            stages = dict(self.stages)
        return {
            "elapsed_s": time.time() - self.started,
            "stages": {name: s.summary() for name, s in stages.items()},
            "end_to_end": self.end_to_end.summary(),
            "counters": dict(self.counters),
        }


def format_stats(snapshot: dict) -> str:
    """The summary table printed at the end of a live session."""
    def fmt(v: float | None) -> str:  # every cell as wide as its header, "-" included
        return f"{'-':>9}" if v is None else f"{v:9.3f}"

    lines = [f"{'stage':<14}{'count':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
             f"{'max ms':>9}{'budget':>9}{'over':>7}"]
    rows = [*snapshot["stages"].items(), ("end-to-end", snapshot["end_to_end"])]
    for name, s in rows:
        budget = "-" if s["budget_ms"] is None else f"{s['budget_ms']:g}"
        lines.append(f"{name:<14}{s['count']:>9}{fmt(s['p50_ms'])}{fmt(s['p95_ms'])}"
                     f"{fmt(s['p99_ms'])}{fmt(s['max_ms'])}{budget:>9}{s['overruns']:>7}")
    counters = ", ".join(f"{k} {v}" for k, v in sorted(snapshot["counters"].items()))
    lines.append(f"counters: {counters or 'none'}")
    return "\n".join(lines)
