"""``bci assess PROTOCOL.toml (--stream N | --simulate) --out DIR [--person DIR] [--json]``:
resting EEG and a continuous performance test, recorded and scored (the program is
:mod:`bci.attention.command`; its window is in ``bci_apps``)."""

from __future__ import annotations

import argparse

from bci.attention import command

HELP = command.HELP

#: Shown at the end of ``bci assess --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
mkdir -p person
bci assess docs/protocols/assess-attention.toml --simulate --out assess-1 \\
    --person person
"""
HOWTO = ("docs/attention.md",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``bci assess``."""
    command.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Assess."""
    return command.run(args)
