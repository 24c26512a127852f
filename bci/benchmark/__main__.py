"""``python -m bci.benchmark ...``: the ``bci benchmark`` command on its own.

Behaves as ``bci benchmark`` does (one-line errors, exit status 1; SIGTERM stops cleanly),
for use before the command is wired into ``bci``, and in tests that kill a run.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence

from bci.errors import BciError


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the command, and return the exit status."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    from bci.benchmark.command import add_arguments, run

    parser = argparse.ArgumentParser(
        prog="bci benchmark",
        description="Benchmark pipelines x datasets x splits, resumable, on joblib or Dask.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(message)s", stream=sys.stderr)
    try:
        return run(args)
    except BciError as err:
        sys.stderr.write(f"bci: error: {err}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("bci: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
