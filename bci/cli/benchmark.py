"""``bci benchmark SPEC.toml [--jobs N] [--scheduler local|joblib|tcp://HOST:PORT]
[--out DIR] [--json] [--resume] [--retry-failed]``."""

from __future__ import annotations

import argparse
import json
import sys

from bci.benchmark.errors import SpecError

HELP = "pipelines x datasets x splits, resumable, in parallel (joblib) or on Dask"

#: Shown at the end of ``bci benchmark --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
# needs the public datasets in ../shared/recordings (docs/recordings.md)
bci benchmark docs/benchmarks/example.toml --jobs 2
"""
HOWTO = ("docs/benchmarks/README.md (every key of a SPEC)",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``bci benchmark`` to ``parser``."""
    parser.add_argument("spec", metavar="SPEC.toml",
                        help="pipelines x datasets x scheme (docs/benchmarks/README.md)")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="worker processes (default 1: sequential here; more start a "
                             "local Dask cluster unless --scheduler says otherwise)")
    parser.add_argument("--scheduler", default=None, metavar="local|joblib|tcp://HOST:PORT",
                        help="local: a Dask LocalCluster of --jobs workers; joblib: --jobs "
                             "loky processes; tcp://HOST:PORT: a running Dask scheduler")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="result folder (default: the SPEC's out =, else "
                             "benchmark-results/<spec name>)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object: counts computed/skipped, every result")
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted run in --out (finished units are "
                             "always reused; this also fails if there is nothing to resume)")
    parser.add_argument("--retry-failed", action="store_true",
                        help="compute again the units recorded as failed")


class _Bar:
    """A tqdm bar over the units, on stderr (silent when stderr is not a terminal)."""

    def __init__(self) -> None:
        self.bar = None
        self.failed = 0

    def __call__(self, done: int, total: int, record: dict | None) -> None:
        from tqdm import tqdm

        if record is None:
            self.bar = tqdm(total=total, unit="unit", desc="benchmark", file=sys.stderr,
                            disable=None, dynamic_ncols=True)
            return
        self.failed += record["status"] != "ok"
        self.bar.set_postfix_str(f"{record['pipeline']} {record['subject']}"
                                 + (f", {self.failed} failed" if self.failed else ""))
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run(args: argparse.Namespace) -> int:
    """Run the benchmark; print the summary table (or one JSON object with ``--json``).

    Returns
    -------
    int
        0 when every unit has a result, 2 when some are recorded as failed.
    """
    from pathlib import Path

    from bci.benchmark.runner import run_benchmark
    from bci.benchmark.spec import load_spec
    from bci.benchmark.tables import SUMMARY_COLUMNS, markdown, summary_rows, unit_rows

    spec = load_spec(args.spec)
    out = Path(args.out) if args.out else (spec.out or Path("benchmark-results") / spec.name)
    if not spec.pipelines:
        raise SpecError(f"{args.spec}: no pipelines")
    bar = _Bar()
    try:
        result = run_benchmark(spec, out, jobs=args.jobs, scheduler=args.scheduler,
                               resume=args.resume, retry_failed=args.retry_failed,
                               progress=bar)
    finally:
        bar.close()
    rows = unit_rows(result.records)
    if args.json:
        json.dump({"spec": str(args.spec), "out": str(out), "backend": result.backend,
                   "units": len(result.units), "computed": result.computed,
                   "skipped": result.skipped, "failed": result.failed,
                   "outputs": result.outputs, "results": rows,
                   "summary": summary_rows(rows)}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(markdown(summary_rows(rows), SUMMARY_COLUMNS), end="")
        for row in rows:
            if row["status"] != "ok":
                print(f"failed: {row['pipeline']} on {row['dataset']} {row['split']}: "
                      f"{row['error']}")
        print(f"{len(result.units)} units: {result.computed} computed, {result.skipped} "
              f"already recorded, {result.failed} failed ({result.backend}); results in "
              f"{out}")
    return 2 if result.failed else 0


__all__ = ["add_arguments", "run"]
