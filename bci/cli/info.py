"""``bci info FILE [--json]``: streams, channels and types, rate, duration, events."""

from __future__ import annotations

import argparse

HELP = "summarise a recording"

#: Shown at the end of ``bci info --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
bci info recordings/sample-motor-imagery_raw.fif
"""
HOWTO = ("docs/quickstart.md (Look at a recording)",
         "docs/recordings.md (public datasets to try)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``bci info``."""
    parser.add_argument("file", metavar="FILE",
                        help="a recording (FIF, EDF, BDF, GDF, BrainVision, XDF, ...)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    """Summarise the file."""
    from bci.cli.supervisor import print_json
    from bci.io import format_summary, summarize

    summary = summarize(args.file)
    if args.json:
        print_json(summary)
    else:
        print(format_summary(summary))
    return 0
