"""``bci bench [--json FILE]``: the benchmark suite (``bench/``), its tables on stderr."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from bci.errors import BciError

HELP = "run the benchmark suite (bench/), print the tables"

#: Shown at the end of ``bci bench --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
bci bench --quick --only bench_filters
"""
HOWTO = ("docs/benchmarks.md",)

log = logging.getLogger("bci")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``bci bench``."""
    parser.add_argument("--json", default=None, metavar="FILE", help="write every result here")
    parser.add_argument("--quick", action="store_true", help="shorter runs, for a smoke test")
    parser.add_argument("--only", nargs="+", default=None, metavar="NAME",
                        help="run only these (e.g. bench_replay; bench_soak is never run "
                             "unless named)")


#: The benchmark suite, in the order `bci bench` runs it (the soak runs only on request).
BENCHMARKS = ("bench_filters", "bench_replay", "bench_latency", "bench_decoders",
              "bench_monitor")


def run(args: argparse.Namespace) -> int:
    """Run each benchmark in its own process."""
    import subprocess
    import tempfile

    folder = Path(__file__).resolve().parents[2] / "bench"
    if not folder.is_dir():
        raise BciError(f"{folder}: the benchmarks ship with the source tree, not the "
                       "package: run 'bci bench' from a clone of the project")
    names = args.only or list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS) - {"bench_soak"})
    if unknown:
        raise BciError(f"unknown benchmark(s) {unknown}: choose from "
                       f"{', '.join((*BENCHMARKS, 'bench_soak'))}")
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            out = Path(tmp) / f"{name}.json"
            command = [sys.executable, str(folder / f"{name}.py"), "--json", str(out)]
            if args.quick and name != "bench_filters" and name != "bench_monitor":
                command.append("--quick")
            log.info("running %s", " ".join(command[1:]))
            # The tables go to stderr, so that --json keeps stdout to one JSON object.
            done = subprocess.run(command, stdout=sys.stderr, check=False)
            results[name] = (json.loads(out.read_text()) if out.is_file()
                             else {"error": f"exit status {done.returncode}"})
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=float))
        log.info("wrote %s", args.json)
    return 0 if all("error" not in r for r in results.values()) else 1


