"""``bci simulate OUT.fif --paradigm P``: a synthetic recording with markers."""

from __future__ import annotations

import argparse
import logging

HELP = "write a synthetic recording with markers"

#: Shown at the end of ``bci simulate --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
bci simulate held-out_raw.fif --paradigm motor-imagery --duration 120 --seed 1
"""
HOWTO = ("docs/simulate.md (the signal model of each paradigm)",)

log = logging.getLogger("bci")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``bci simulate``."""
    parser.add_argument("out", metavar="OUT.fif", help="file to write (MNE FIF)")
    parser.add_argument("--paradigm", required=True,
                        help="motor-imagery | ssvep | p300 | emg | rest | cursor")
    parser.add_argument("--duration", type=float, default=None, help="seconds of signal")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def run(args: argparse.Namespace) -> int:
    """Write the simulation."""
    from bci.cli.supervisor import check_duration
    from bci.datasets import write_simulation

    path = write_simulation(args.out, args.paradigm, duration=check_duration(args.duration),
                            seed=args.seed)
    log.info("wrote %s", path)
    return 0
