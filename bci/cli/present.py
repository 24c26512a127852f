"""``bci present PROTOCOL.toml``: the subject-facing window (the program is in
``bci_apps.present_command``; the library never imports Qt)."""

from __future__ import annotations

import argparse
import importlib

HELP = "the subject-facing window: cues, flicker, flashes, feedback"

#: Shown at the end of ``bci present --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
# needs a display
bci present docs/protocols/calibrate-motor-imagery.toml --trials 4
"""
HOWTO = ("docs/presentation.md",)

#: The module of the GUI program.
PROGRAM = "bci_apps.present_command"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the window's flags (from the GUI module, which defines them)."""
    importlib.import_module(PROGRAM).add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Present the protocol."""
    return importlib.import_module(PROGRAM).run(args)
