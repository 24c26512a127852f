"""Every ``bci COMMAND --help`` teaches: an example that runs, and where to read more.

The examples are read from the help text itself (what a user sees), joined across
shell continuations, and run from a temporary folder that holds the project's
``recordings/`` and ``docs/`` (the paths the examples name), so they work on a fresh
clone. A command preceded by a ``# needs ...`` comment (a stream, a display, the public
datasets) is skipped with that reason.
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bci.cli import SUBCOMMANDS, main

ROOT = Path(__file__).resolve().parents[1]


def help_text_of(argv: list[str]) -> str:
    """What ``bci ARGV --help`` prints, in-process (a subprocess costs ~1 s each)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    return out.getvalue()


def help_text(command: str) -> str:
    """What ``bci COMMAND --help`` prints."""
    return help_text_of([command])


def examples(text: str) -> list[tuple[str, str | None]]:
    """The example commands of a help text: (command line, reason to skip or None)."""
    lines = text.split("example (from the project root):\n", 1)[1].split("\n\n", 1)[0]
    commands, need, pending = [], None, ""
    for raw in lines.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            if line.startswith("# needs"):
                need = line[2:]
            elif need is not None:  # a "# needs" comment continued on the next line
                need += " " + line[2:]
            continue
        pending += line
        if pending.endswith("\\"):
            pending = pending[:-1]
            continue
        commands.append((pending, need))
        pending, need = "", None
    return commands


HELPS = {name: help_text(name) for name in SUBCOMMANDS}

#: Examples that run offline but take 20-60 s each on a loaded 2-core machine (bench: a
#: benchmark; assess and report: a simulated assessment; cursor: 10 s of task;
#: demo: training plus a live replay). They run with BCI_SLOW_EXAMPLES=1: all pass, and
#: the examples take 92 s in all instead of 65 s (measured 2026-12-03, three at a time,
#: on a machine shared with five other test runs).
SLOW = {"bench", "assess", "report", "cursor", "demo"}
RUN_SLOW = os.environ.get("BCI_SLOW_EXAMPLES") == "1"


@pytest.mark.parametrize("command", list(SUBCOMMANDS))
def test_every_help_has_an_example_and_a_howto_that_exists(command):
    text = HELPS[command]
    found = examples(text)
    assert any(line.startswith(f"bci {command} ") for line, _ in found), text
    howto = text.split("\nhow-to:\n", 1)[1].split()
    docs = [word for word in howto if word.startswith("docs/")]
    assert docs, text
    for doc in docs:
        assert (ROOT / doc).exists(), f"bci {command} --help points to a missing {doc}"


def test_top_level_help_says_where_to_start():
    text = help_text_of([])
    assert "bci demo" in text and "docs/quickstart.md" in text and "docs/python.md" in text


def test_train_help_points_to_the_configs_and_states_the_event_label_rule():
    result = subprocess.run([sys.executable, "-m", "bci.cli", "train", "--help"],
                            capture_output=True, text=True, timeout=60, check=True)
    text = " ".join(result.stdout.split())  # argparse wraps lines anywhere
    assert "docs/configs/" in text
    assert "docs/pipeline.md" in text
    assert "[epochs].events must be event labels of the recordings" in text
    assert "bci info FILE" in text
    # The config argument itself is explained.
    assert "CONFIG.toml the pipeline: a TOML file" in text


class _Runner:
    """Runs each distinct command line once (evaluate's example trains as train's does),
    in one folder shared by every example, several commands at a time."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.lock = threading.Lock()
        self.done: dict[str, threading.Event] = {}
        self.results: dict[str, subprocess.CompletedProcess] = {}
        self.env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}

    def run(self, line: str) -> subprocess.CompletedProcess:
        with self.lock:
            event = self.done.get(line)
            owner = event is None
            if owner:
                event = self.done[line] = threading.Event()
        if owner:
            argv = shlex.split(line)
            if argv[0] == "bci":
                argv = [sys.executable, "-m", "bci.cli", *argv[1:]]
            try:
                self.results[line] = subprocess.run(argv, cwd=self.cwd, env=self.env,
                                                    capture_output=True, text=True,
                                                    timeout=180)
            finally:
                event.set()
        event.wait()
        return self.results[line]

    def run_all(self, lines: list[str]) -> list[subprocess.CompletedProcess]:
        return [self.run(line) for line in lines]


@pytest.fixture(scope="module")
def example_results(tmp_path_factory):
    """Run every runnable example of every command (three commands at a time)."""
    cwd = tmp_path_factory.mktemp("examples")
    (cwd / "recordings").symlink_to(ROOT / "recordings")
    (cwd / "docs").symlink_to(ROOT / "docs")
    runner = _Runner(cwd)
    plans = {name: [line for line, need in examples(HELPS[name]) if need is None]
             for name in SUBCOMMANDS if RUN_SLOW or name not in SLOW}
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(runner.run_all, lines) for name, lines in plans.items()}
        return {name: list(zip(plans[name], future.result(), strict=True))
                for name, future in futures.items()}


@pytest.mark.parametrize("command", list(SUBCOMMANDS))
def test_help_example_runs(command, example_results):
    if command not in example_results:
        pytest.skip(f"bci {command} --help example takes 20-60 s: BCI_SLOW_EXAMPLES=1 runs it")
    needs = [need for _, need in examples(HELPS[command]) if need is not None]
    for line, result in example_results[command]:
        assert result.returncode == 0, (f"`{line}` from bci {command} --help failed:\n"
                                        f"{result.stderr[-2000:]}")
    if not example_results[command]:
        pytest.skip(f"bci {command} --help example: {'; '.join(needs)}")
