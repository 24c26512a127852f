"""``bci cursor (CONFIG | MODEL) --stream N``: the continuous-control task and its scores.

With ``--simulate-user`` the loop closes with no hardware (:mod:`bci.cursor.loop`): a
simulated array fires for the velocity its user intends towards the current target. A
CONFIG (not yet a model) is first trained on a calibration block of that same array
(centre-out reaches, ``bci simulate --paradigm cursor``), as a participant's session
starts with one. Prints the metrics (``--json``: one object with ``success_rate``,
``bps``, ``time_to_target_s``, ``path_efficiency``, ``latency_ms`` and the counts).
Without ``--simulate-user``, a model trained on ``[targets].classes`` runs the 1-D
motor-imagery cursor on ``--stream N`` and its ``N-markers`` (:mod:`bci.cursor.live`).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from bci.errors import BciError, ConfigError

log = logging.getLogger(__name__)

#: The workspace's side on screen in pixels, and the smallest grid cell a subject can
#: aim at on it: ``--grid`` may not exceed SCREEN_PX // MIN_CELL_PX.
SCREEN_PX = 1080
MIN_CELL_PX = 8
CALIBRATION_SECONDS = 120.0


HELP = "continuous control: a cursor task scored in bits per second"

#: Shown at the end of ``bci cursor --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
bci cursor docs/configs/cursor-kalman.toml --simulate-user --duration 10
"""
HOWTO = ("docs/cursor.md",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``bci cursor``."""
    parser.add_argument("spec", metavar="CONFIG.toml|MODEL",
                        help="a regression pipeline (trained first) or a trained model")
    parser.add_argument("--stream", default=None, metavar="N",
                        help="the neural stream to decode (not needed with --simulate-user)")
    parser.add_argument("--task", choices=("center-out", "grid"), default="center-out")
    parser.add_argument("--grid", type=int, default=35, help="grid cells per side (35)")
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds of task (default 60 with --simulate-user; on a "
                             "stream, until it stops)")
    parser.add_argument("--simulate-user", action="store_true",
                        help="close the loop with a simulated user and array")
    parser.add_argument("--dwell", type=float, default=None,
                        help="seconds on a target that select it (0.5 centre-out, 0.6 grid)")
    parser.add_argument("--gain", type=float, default=1.0, help="cursor speed gain")
    parser.add_argument("--seed", type=int, default=0, help="seed of targets and spikes")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--screenshot", default=None, metavar="PNG",
                        help="save the task window as it ends")
    parser.add_argument("--output", choices=("pointer",), default=None,
                        help="also move the desktop pointer (needs pynput)")


def check_grid(grid: int) -> int:
    """Refuse a grid whose cells would be smaller than :data:`MIN_CELL_PX` on screen."""
    largest = SCREEN_PX // MIN_CELL_PX
    if not isinstance(grid, int) or grid < 2:
        raise ConfigError(f"--grid {grid} must be at least 2 cells per side")
    if grid > largest:
        raise ConfigError(f"--grid {grid} is larger than the screen allows: cells of "
                          f"{SCREEN_PX / grid:.1f} px on a {SCREEN_PX}-px workspace (the "
                          f"least is {MIN_CELL_PX} px): use --grid {largest} or fewer")
    return grid


def _model(spec: str, seed: int):
    from bci.pipeline.model import load_model

    path = Path(spec)
    if path.suffix != ".toml":
        return load_model(path)
    from bci.datasets.cursor import simulate_cursor
    from bci.learn.training import train_sources
    from bci.pipeline.config import load_config
    from bci.replay.source import ReplaySource

    config = load_config(path)
    if config.targets is None:
        raise ConfigError(f"{path}: bci cursor needs a regression pipeline: add [targets] "
                          "and a kind such as \"kalman\"")
    log.info("calibrating: %g s of centre-out reaches with the simulated array",
             CALIBRATION_SECONDS)
    raw = simulate_cursor(duration=CALIBRATION_SECONDS, seed=seed + 1000)
    model, _, _ = train_sources(config, [ReplaySource.from_raw(raw, "calibration")],
                                n_folds=1)
    return model


def run(args: argparse.Namespace) -> int:
    """Run the task; print (or ``--json``) its metrics; 0 on success."""
    from bci.cursor.task import CenterOutTask, GridTask

    if not args.simulate_user:
        return _run_stream(args)
    duration = 60.0 if args.duration is None else args.duration
    if not duration > 0:
        raise ConfigError(f"--duration must be positive seconds, got {duration}")
    if args.task == "grid":
        task = GridTask(check_grid(args.grid), dwell=args.dwell or 0.6, seed=args.seed)
    else:
        task = CenterOutTask(dwell=args.dwell or 0.5, seed=args.seed)
    model = _model(args.spec, args.seed)
    if len(model.info.get("targets", [])) != 2:
        raise ConfigError(f"{args.spec}: the cursor needs a model with two targets (x and y "
                          f"velocity), this one has {model.info.get('targets') or 'none'}")
    from bci.cursor.loop import run_closed_loop
    from bci.cursor.user import SimulatedUser
    from bci.datasets.cursor import NeuralPopulation

    n_neurons = len(model.ch_names)
    user = SimulatedUser(NeuralPopulation.draw(n_neurons, 0), model.sfreq, seed=args.seed)
    on_step = None
    if args.output == "pointer":
        from bci.cursor.pointer import PointerOutput

        on_step = PointerOutput().move
    result = run_closed_loop(model, task, user, duration=duration, gain=args.gain,
                             on_step=on_step)
    metrics = {"task": args.task, **result.metrics}
    if args.screenshot:
        import importlib

        # The window lives in bci_apps (Qt); the library and the command line never
        # import it by name.
        window = importlib.import_module("bci_apps.cursor_window")
        metrics["screenshot"] = str(window.save_screenshot(args.screenshot, task, result))
    if args.json:
        json.dump(metrics, sys.stdout)
        sys.stdout.write("\n")
        return 0
    ttt = metrics["time_to_target_s"]
    eff = metrics["path_efficiency"]
    print(f"{args.task}: {metrics['correct']} correct, {metrics['incorrect']} incorrect, "
          f"{metrics['timeouts']} timed out in {metrics['seconds']:g} s")
    print(f"success rate {metrics['success_rate']:.1%}, {metrics['bps']:.2f} bits/s "
          f"(N = {metrics['n_targets']}), time to target "
          f"{'-' if ttt is None else f'{ttt:.2f} s'}, path efficiency "
          f"{'-' if eff is None else f'{eff:.2f}'}, latency {metrics['latency_ms']:.2f} ms "
          f"(p99 {metrics['latency_p99_ms']:.2f})")
    return 0


def _run_stream(args: argparse.Namespace) -> int:
    """A live stream: the 1-D motor-imagery cursor over its cued trials, headless."""
    from bci.pipeline.model import load_model

    if args.stream is None:
        raise BciError("give the neural stream with --stream N, or close the loop with "
                       "--simulate-user")
    if Path(args.spec).suffix == ".toml":
        raise BciError(f"{args.spec}: a live stream needs a trained model: run 'bci train "
                       f"{args.spec} --data FILE --out MODEL' first")
    model = load_model(args.spec)
    if not (model.config.targets and "classes" in model.config.targets):
        raise BciError("2-D control of a live --stream needs the session runtime, which is "
                       "not wired yet: run with --simulate-user")
    from bci.cursor.live import run_live_1d

    metrics = run_live_1d(model, args.stream, duration=args.duration)
    metrics = {"task": "1d", "success_rate": metrics["hit_rate"], **metrics}
    if args.json:
        json.dump(metrics, sys.stdout)
        sys.stdout.write("\n")
        return 0
    ttt = metrics["time_to_hit_s"]
    print(f"1-D cursor: {metrics['hits']} hits, {metrics['misses']} misses, "
          f"{metrics['timeouts']} timed out of {metrics['n_trials']} trials: hit rate "
          f"{metrics['hit_rate']:.1%}, time to hit {'-' if ttt is None else f'{ttt:.2f} s'}"
          f", {metrics['bps']:.3f} bits/s")
    return 0


__all__ = ["add_arguments", "check_grid", "run"]
