"""``bci demo``: the whole loop on a shipped sample recording, in one command.

Trains a decoder on the first part of a sample recording, replays the rest over LSL as
if it came from a headset, decodes it live, prints every decision as it comes and the
latency table at the end.
"""

from __future__ import annotations

import logging
import sys
import time
import uuid
from pathlib import Path

from bci.errors import BciError

log = logging.getLogger("bci")

SAMPLES = Path(__file__).resolve().parents[1] / "recordings"
DEFAULT_RECORDING = SAMPLES / "sample-motor-imagery_raw.fif"
DEFAULT_CONFIG = SAMPLES / "demo-motor-imagery.toml"
TRAIN_FRACTION = 0.6


def run_demo(*, speed: float = 2.0, gui: bool = False, recording: str | None = None,
             config_path: str | None = None, out=sys.stdout) -> int:
    """Train, replay, decode live; return an exit status. See the module docstring."""
    from bci.io import read_recording
    from bci.pipeline.config import load_config
    from bci.pipeline.live import open_live
    from bci.pipeline.stats import format_stats
    from bci.pipeline.training import train_sources
    from bci.replay import Player, ReplaySource

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
    correct = total = 0

    def show(decision, latency_ms: float) -> None:
        nonlocal correct, total
        total += 1
        correct += decision.label == decision.true_label
        mark = "ok" if decision.label == decision.true_label else "--"
        out.write(f"trial {total:3d}  true {decision.true_label:>6}  decided "
                  f"{decision.label:>6}  {mark}  latency {latency_ms:6.2f} ms\n")
        out.flush()

    setup = open_live(model, name, out_stream=f"{name}-decisions", timeout=10,
                      on_decision=show)
    monitor = None
    if gui:
        monitor = _start_monitor(name, f"{name}-decisions")
    log.info("replaying the remaining %.0f s at %gx as LSL stream '%s', decoding live",
             test_raw.times[-1], speed, name)
    player.start()
    setup.session.start()
    try:
        while player.is_running():
            player.wait(0.2)
        time.sleep(0.5)  # let the last decisions through
    except KeyboardInterrupt:
        log.info("interrupted")
    finally:
        setup.session.stop()
        setup.close()
        player.stop()
        if monitor is not None:
            monitor.terminate()
    if total:
        out.write(f"\n{correct}/{total} trials correct ({correct / total:.0%}) on data the "
                  "decoder never saw\n")
    out.write(format_stats(setup.session.stats.snapshot()) + "\n")
    return 0


def _start_monitor(stream: str, decisions: str):
    import subprocess

    return subprocess.Popen([sys.executable, "-m", "bci_apps.monitor", "--stream", stream,
                             "--decisions", decisions])
