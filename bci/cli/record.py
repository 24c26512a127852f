"""``bci record [--stream N ...] --out FILE.xdf [--duration S]``: LSL streams to XDF."""

from __future__ import annotations

import argparse

HELP = "record LSL streams to XDF (crash-safe: flushed every 0.2 s)"

#: Shown at the end of ``bci record --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
# needs a stream: bci replay recordings/sample-motor-imagery_raw.fif --name mi
# (in another terminal)
bci record --stream mi --stream mi-markers --out session.xdf --duration 10
"""
HOWTO = ("docs/recording.md",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``bci record``."""
    from bci.record.command import add_arguments as add

    add(parser)


def run(args: argparse.Namespace) -> int:
    """Record until ``--duration``, Ctrl-C or SIGTERM."""
    from bci.cli.supervisor import check_duration
    from bci.record.command import run as record

    check_duration(args.duration)
    return record(args)
