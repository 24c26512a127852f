"""``bci monitor``: the pyqtgraph desktop monitor (the program lives in ``bci_apps``).

The library never imports Qt: this module names the GUI's module and loads it only when
the command runs (or asks for its flags), so ``bci --help`` stays fast and headless.
"""

from __future__ import annotations

import argparse
import importlib

HELP = "the desktop monitor: traces, spectra, decisions, health"

#: Shown at the end of ``bci monitor --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
# needs a display and a stream: bci replay recordings/sample-motor-imagery_raw.fif --name mi
bci monitor --stream mi --config docs/configs/motor-imagery.toml
"""
HOWTO = ("docs/monitor.md",)

#: The module of the GUI program (``bci_apps/monitor.py``).
PROGRAM = "bci_apps.monitor"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the monitor's flags (from the GUI module, which defines them)."""
    importlib.import_module(PROGRAM).add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Open the monitor."""
    return importlib.import_module(PROGRAM).run(args)
