"""``bci bids FILE --root ROOT --subject S --task T [--session SS] [--run R]``."""

from __future__ import annotations

import argparse
import json
import sys

HELP = "store a recording (XDF included) in a BIDS tree through mne-bids"

#: Shown at the end of ``bci bids --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
bci bids recordings/sample-motor-imagery_raw.fif --root bids --subject 01 --task imagery
"""
HOWTO = ("docs/recording.md",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``bci bids`` to ``parser``."""
    from bci.bids.convert import BIDS_FORMATS

    parser.add_argument("file", help="the recording to store (XDF, FIF, EDF, CSV, ...)")
    parser.add_argument("--root", required=True, metavar="ROOT", help="the BIDS root")
    parser.add_argument("--subject", required=True, help="BIDS subject label, e.g. 01")
    parser.add_argument("--task", required=True, help="BIDS task label, e.g. imagery")
    parser.add_argument("--session", default=None, help="BIDS session label")
    parser.add_argument("--run", default=None, help="BIDS run label, e.g. 1")
    parser.add_argument("--format", default="BrainVision", choices=BIDS_FORMATS,
                        help="data format written (BIDS EEG does not accept XDF; default "
                             "BrainVision, float samples)")
    parser.add_argument("--line-freq", type=float, default=None, metavar="HZ",
                        help="power-line frequency, 50 or 60 (default: n/a)")
    parser.add_argument("--stream", default=None, help="stream of a multi-stream XDF file")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a recording stored under the same entities")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    """Store the recording; print the file written."""
    from bci.bids.convert import write_bids

    written = write_bids(args.file, args.root, subject=args.subject, task=args.task,
                         session=args.session, run=args.run, format=args.format,
                         line_freq=args.line_freq, overwrite=args.overwrite,
                         stream=args.stream)
    if args.json:
        json.dump({"file": str(written), "root": str(args.root)}, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(f"wrote {written}")
    return 0


__all__ = ["add_arguments", "run"]
