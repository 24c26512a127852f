"""The layers of the package, checked by import-linter's contract in pyproject.toml.

Lower layers (stream, io, dsp, decoders, replay, pipeline) never import the runtime,
the runtime never imports the command line, and nothing under ``bci/`` imports Qt.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contract_is_kept():
    linter = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert linter, "import-linter is part of the dev extra: pip install -e '.[dev]'"
    done = subprocess.run([linter, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_the_command_line_starts_without_qt_or_the_decoders():
    """`bci --help` builds every subcommand's parser without loading Qt or sklearn."""
    code = ("import sys; from bci.cli import build_parser; build_parser(); "
            "bad = [m for m in ('PySide6', 'pyqtgraph', 'sklearn', 'bci_apps') "
            "if m in sys.modules]; print(bad)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
