"""``python -m bci.record ...``: the ``bci record`` command on its own.

Behaves as ``bci record`` does (one-line errors, exit status 1; SIGTERM stops cleanly),
for use before the command is wired into ``bci`` and in crash tests.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bci.errors import BciError


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # stop cleanly: footers get written, the file is closed


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, record, and return the exit status."""
    # liblsl's INFO chatter stays off stderr, as in `bci` (a user's LSLAPICFG wins).
    os.environ.setdefault("LSLAPICFG", str(Path(__file__).parents[1] / "lsl_api.cfg"))
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    from bci.record.command import add_arguments, run

    parser = argparse.ArgumentParser(prog="bci record",
                                     description="Record LSL streams to an XDF file.")
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
