"""``bci streams [--json]``: the LSL streams visible on the network."""

from __future__ import annotations

import argparse

HELP = "list LSL streams visible on the network"

#: Shown at the end of ``bci streams --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
bci streams --wait 0.5
"""
HOWTO = ("docs/quickstart.md (Replay it as if it came from a headset)",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``bci streams``."""
    parser.add_argument("--wait", type=float, default=1.0, help="seconds to listen (default 1)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    """List the streams."""
    from bci.cli.supervisor import check_duration, print_json
    from bci.stream import list_streams

    streams = list_streams(check_duration(args.wait, "--wait"))
    if args.json:
        print_json({"streams": [s.summary() for s in streams]})
        return 0
    if not streams:
        print(f"no LSL streams visible after {args.wait:g} s")
        return 0
    print(f"{'name':<28} {'type':<10} {'ch':>4} {'rate':>8}  source_id @ host")
    for s in sorted(streams, key=lambda d: d.name):
        rate = f"{s.sfreq:g}" if s.sfreq else "irreg."
        print(f"{s.name:<28} {s.stype:<10} {s.n_channels:>4} {rate:>8}  "
              f"{s.source_id} @ {s.hostname}")
    return 0
