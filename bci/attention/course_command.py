"""``bci report DIR [--out DIR2] [--json]``: the course of a person across sessions."""

from __future__ import annotations

import argparse
import json

__all__ = ["HELP", "add_arguments", "run"]

HELP = "draw a person's course across sessions (PNG + Markdown) from their history"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``bci report`` to ``parser``."""
    parser.add_argument("person", metavar="DIR", help="the person's folder (--person of "
                        "bci assess and bci neurofeedback)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="where to write course.md and course.png (default: DIR)")
    parser.add_argument("--json", action="store_true", help="print the course's values")


def run(args: argparse.Namespace) -> int:
    """Write the course; 0."""
    from bci.attention.course import course, write_course

    paths = write_course(args.person, args.out)
    if args.json:
        print(json.dumps(course(args.person), indent=2, default=float))
    else:
        print(f"course: {paths['markdown']}, {paths['png']}")
    return 0
