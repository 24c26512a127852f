"""``bci report DIR``: a person's course across sessions, PNG and Markdown (the program
is :mod:`bci.attention.course_command`)."""

from __future__ import annotations

import argparse

from bci.attention import course_command

HELP = course_command.HELP

#: Shown at the end of ``bci report --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
mkdir -p person
bci assess docs/protocols/assess-attention.toml --simulate --out assess-1 \\
    --person person
bci report person
"""
HOWTO = ("docs/attention.md",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``bci report``."""
    course_command.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Draw the course."""
    return course_command.run(args)
