"""``bci demo``: the whole loop on a shipped sample recording, in one command.

Trains a decoder on the first part of a sample recording, replays the rest over LSL as
if it came from a headset, decodes it live, prints every decision as it comes and the
latency table at the end.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import uuid
from pathlib import Path
from typing import TextIO

from bci.errors import BciError

HELP = "replay a shipped sample, decode it live, show latency"

#: Shown at the end of ``bci demo --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
bci demo --speed 10
"""
HOWTO = ("docs/quickstart.md",)

log = logging.getLogger("bci")

SAMPLES = Path(__file__).resolve().parents[2] / "recordings"
DEFAULT_RECORDING = SAMPLES / "sample-motor-imagery_raw.fif"
DEFAULT_CONFIG = SAMPLES / "demo-motor-imagery.toml"
TRAIN_FRACTION = 0.6


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``bci demo``."""
    parser.add_argument("--speed", type=float, default=2.0, help="replay speed (default 2)")
    parser.add_argument("--recording", default=None, help="another recording to use")
    parser.add_argument("--gui", action="store_true", help="also open the monitor")


def run(args: argparse.Namespace) -> int:
    """Run the demo."""
    from bci.cli.supervisor import one_blas_thread

    one_blas_thread()
    return run_demo(speed=args.speed, gui=args.gui, recording=args.recording)


class TrialPrinter:
    """A sink that prints each marker-locked decision against its true class."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.correct = self.total = 0

    def open(self, info) -> None:
        """Nothing to prepare."""

    def write(self, step) -> None:
        """One line per decision."""
        for decision in step.decisions:
            self.total += 1
            self.correct += decision.label == decision.true_label
            mark = "ok" if decision.label == decision.true_label else "--"
            latency_ms = (step.now - decision.window_end) * 1e3
            self.out.write(f"trial {self.total:3d}  true {decision.true_label:>6}  decided "
                           f"{decision.label:>6}  {mark}  latency {latency_ms:6.2f} ms\n")
        if step.decisions:
            self.out.flush()

    def close(self) -> None:
        """Nothing to release."""


def run_demo(*, speed: float = 2.0, gui: bool = False, recording: str | None = None,
             config_path: str | None = None, out: TextIO = sys.stdout) -> int:
    """Train, replay, decode live; return an exit status. See the module docstring."""
    from bci.cli.supervisor import wait_while
    from bci.io import read_recording
    from bci.learn.training import train_sources
    from bci.pipeline.config import load_config
    from bci.pipeline.stats import format_stats
    from bci.replay import Player, ReplaySource
    from bci.runtime import open_live

    path = Path(recording) if recording else DEFAULT_RECORDING
    if not path.is_file():
        raise BciError(f"{path}: sample recording not found: run "
                       "'python recordings/make_samples.py' or pass --recording FILE")
    config = load_config(config_path or DEFAULT_CONFIG)
    raw = read_recording(path)
    split = raw.times[int(raw.n_times * TRAIN_FRACTION)]
    train_raw = raw.copy().crop(tmax=split, include_tmax=False)
    test_raw = raw.copy().crop(tmin=split)
    log.info("training '%s' on the first %.0f s of %s", config.decoder["kind"], split,
             path.name)
    model, data, scores = train_sources(config, [ReplaySource.from_raw(train_raw, "train")],
                                        n_folds=5)
    if scores:
        mean = sum(s["accuracy"] for s in scores) / len(scores)
        log.info("cross-validated accuracy %.2f over %d trials", mean, data.X.shape[0])
    name = f"bci-demo-{uuid.uuid4().hex[:6]}"
    source = ReplaySource.from_raw(test_raw, name)
    player = Player([source], name=name, speed=speed, lead=0.5)
    player.open_outlets()
    printer = TrialPrinter(out)
    setup = open_live(model, name, out_stream=f"{name}-decisions", timeout=10,
                      sinks=[printer])
    monitor = None
    if gui:
        monitor = _start_monitor(name, f"{name}-decisions")
    log.info("replaying the remaining %.0f s at %gx as LSL stream '%s', decoding live",
             test_raw.times[-1], speed, name)
    player.start()
    setup.session.start()
    try:
        if wait_while(player.is_running, every=0.2) == "ended":
            time.sleep(0.5)  # let the last decisions through
    finally:
        setup.session.stop()
        setup.close()
        player.stop()
        if monitor is not None:
            monitor.terminate()
    if printer.total:
        out.write(f"\n{printer.correct}/{printer.total} trials correct "
                  f"({printer.correct / printer.total:.0%}) on data the decoder never saw\n")
    out.write(format_stats(setup.session.stats.snapshot()) + "\n")
    return 0


def _start_monitor(stream: str, decisions: str):
    import subprocess

    return subprocess.Popen([sys.executable, "-m", "bci.cli", "monitor", "--stream", stream,
                             "--decisions", decisions])
