"""``bci calibrate PROTOCOL.toml (--stream N | --simulate) --out FILE.xdf``: present and
record in one XDF (the program is in ``bci_apps.calibrate_command``)."""

from __future__ import annotations

import argparse
import importlib

HELP = "present a calibration protocol and record it (signal + cues) in one XDF"

#: The module of the program (a Qt window, or the virtual clock with --virtual-clock).
PROGRAM = "bci_apps.calibrate_command"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags (from the program's module, which defines them)."""
    importlib.import_module(PROGRAM).add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Calibrate."""
    return importlib.import_module(PROGRAM).run(args)
