"""Benchmark: how soon an inlet decodes again after its source is replaced.

A real recording (the shipped motor-imagery sample, with a sample counter) is replayed
under a name; an :class:`bci.stream.Inlet` opened by that name pulls it. Then, ``--n``
times: the replay is stopped (its outlet withdrawn), ``--outage`` seconds pass, and a new
replay starts under the same name with a **new source_id**, as a restarted amplifier app
does. Each trial measures the time from the new outlet's first sample being due to that
sample reaching the caller of ``Inlet.pull`` (the resume time), and checks that the
outage was reported once (``source_replaced``) and that no sample of the new source was
dropped, doubled or reordered.

Baseline in the same run: the same delay for the *first* connection's first sample
(a fresh inlet on a running source has no reconnection to do), so the ratio says what
reconnection adds.

Usage::

    python bench/bench_reconnect.py [--n 10] [--outage 1.0] [--json FILE] [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

import mne
import numpy as np
import pylsl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bci.replay.player import Player  # noqa: E402
from bci.replay.source import ReplaySource  # noqa: E402
from bci.stream import Inlet  # noqa: E402


def _source(name: str) -> ReplaySource:
    raw = mne.io.read_raw_fif(ROOT / "recordings" / "sample-motor-imagery_raw.fif",
                              verbose="error").load_data()
    raw.pick(raw.ch_names[:8]).crop(0, 60)
    counter = mne.io.RawArray(np.arange(raw.n_times, dtype=float)[None],
                              mne.create_info(["counter"], raw.info["sfreq"], ["misc"]),
                              verbose="error")
    raw.add_channels([counter], force_update_info=True)
    return ReplaySource.from_raw(raw, name)


def _first_new_sample(inlet: Inlet, after: float, deadline: float):
    """Pull until a chunk stamped after ``after`` arrives: (chunk, receipt time)."""
    while time.monotonic() < deadline:
        chunk = inlet.pull(timeout=0.05)
        if chunk is not None and chunk.times[-1] > after:
            return chunk, pylsl.local_clock()
    return None, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10, help="replacements")
    parser.add_argument("--outage", type=float, default=1.0, help="seconds without source")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="3 replacements")
    args = parser.parse_args(argv)
    n = 3 if args.quick else args.n
    name = f"bench-reconnect-{uuid.uuid4().hex[:8]}"
    source = _source(name)
    sfreq = source.sfreq
    counter = source.ch_names.index("counter")
    player = Player([source], name=name, source_id=uuid.uuid4().hex, lead=0.5).start()
    resume_ms, first_ms, events_ok, intact = [], [], 0, 0
    try:
        with Inlet(name, timeout=10) as inlet:
            chunk, got = _first_new_sample(inlet, player.t0, time.monotonic() + 10)
            first_ms.append((got - (player.t0 + chunk.data[counter, 0] / sfreq)) * 1e3)
            for trial in range(n):
                print(f"replacement {trial + 1}/{n}", file=sys.stderr)
                _first_new_sample(inlet, np.inf, time.monotonic() + 0.5)  # keep draining
                player.stop()
                end = time.monotonic() + args.outage
                while time.monotonic() < end:
                    inlet.pull(timeout=0.05)
                inlet.take_events()
                player = Player([source], name=name, source_id=uuid.uuid4().hex).start()
                chunk, got = _first_new_sample(inlet, player.t0, time.monotonic() + 10)
                if chunk is None:
                    resume_ms.append(float("inf"))
                    continue
                first = chunk.data[counter, 0]
                resume_ms.append((got - (player.t0 + first / sfreq)) * 1e3)
                values = [chunk.data[counter]]
                stop = time.monotonic() + 0.5
                while time.monotonic() < stop:
                    more = inlet.pull(timeout=0.05)
                    if more is not None:
                        values.append(more.data[counter])
                values = np.concatenate(values)
                intact += bool(np.all(np.diff(values) == 1))
                kinds = [e.kind for e in inlet.take_events()]
                events_ok += kinds.count("source_replaced") == 1
    finally:
        player.stop()
    resume = np.asarray(resume_ms)
    row = {"n": n, "outage_s": args.outage,
           "resume_ms_median": float(np.median(resume)),
           "resume_ms_p99": float(np.percentile(resume, 99)),
           "resume_ms_max": float(resume.max()),
           "first_connection_ms": first_ms[0],
           "ratio_median_to_first": float(np.median(resume) / max(first_ms[0], 1e-3)),
           "reported_once": events_ok, "counter_intact": intact}
    print(f"{'replacements':>12} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'first conn ms':>14} {'ratio':>6} {'reported once':>14} {'intact':>7}")
    print(f"{n:>12} {row['resume_ms_median']:>8.0f} {row['resume_ms_p99']:>8.0f} "
          f"{row['resume_ms_max']:>8.0f} {row['first_connection_ms']:>14.0f} "
          f"{row['ratio_median_to_first']:>6.1f} {events_ok:>10}/{n:<3} {intact:>4}/{n}")
    if args.json is not None:
        sys.path.insert(0, str(ROOT / "bench"))
        from common import machine

        args.json.write_text(json.dumps({"machine": machine(), **row}, indent=2))
    return 0 if resume.max() < 1000 and events_ok == n and intact == n else 1


if __name__ == "__main__":
    sys.exit(main())
