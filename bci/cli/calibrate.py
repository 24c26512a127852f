"""``bci calibrate PROTOCOL.toml (--stream N | --simulate) --out FILE.xdf``: present and
record in one XDF (the program is in ``bci_apps.calibrate_command``)."""

from __future__ import annotations

import argparse
import importlib

HELP = "present a calibration protocol and record it (signal + cues) in one XDF"

#: Shown at the end of ``bci calibrate --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
# with a headset: --stream NAME instead of --simulate --virtual-clock
bci calibrate docs/protocols/calibrate-motor-imagery.toml --trials 4 \\
    --simulate --virtual-clock --out calib.xdf
"""
HOWTO = ("docs/presentation.md",)

#: The module of the program (a Qt window, or the virtual clock with --virtual-clock).
PROGRAM = "bci_apps.calibrate_command"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags (from the program's module, which defines them)."""
    importlib.import_module(PROGRAM).add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Calibrate."""
    return importlib.import_module(PROGRAM).run(args)
