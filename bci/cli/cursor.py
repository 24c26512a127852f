"""``bci cursor (CONFIG | MODEL) --stream N``: the continuous-control task and its scores.

With ``--simulate-user`` the loop closes with no hardware (:mod:`bci.cursor.loop`): a
simulated array fires for the velocity its user intends towards the current target. A
CONFIG (not yet a model) is first trained on a calibration block of that same array
(centre-out reaches, ``bci simulate --paradigm cursor``), as a participant's session
starts with one. Prints the metrics (``--json``: one object with ``success_rate``,
``bps``, ``time_to_target_s``, ``path_efficiency``, ``latency_ms`` and the counts).
Without ``--simulate-user`` the task runs on the live ``--stream N``
(:mod:`bci.cursor.live`): a model trained on ``[targets].classes`` scores the 1-D
motor-imagery cursor over the cued trials of ``N-markers``; a regression model with two
targets, or an EMG gesture model, drives the 2-D task in the subject-facing window
(``bci_apps.cursor_window``, loaded by name; ``--no-window`` runs headless), publishing
``N-cursor`` and ``N-cursor-events``.
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
                        help="close the loop with a simulated user and array (with "
                             "--stream N: the array is LSL stream N, and the loop "
                             "closes over LSL)")
    parser.add_argument("--dwell", type=float, default=None,
                        help="seconds on a target that select it (0.5 centre-out, 0.6 grid)")
    parser.add_argument("--gain", type=float, default=1.0, help="cursor speed gain")
    parser.add_argument("--seed", type=int, default=0, help="seed of targets and spikes")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--screenshot", default=None, metavar="PNG",
                        help="save the task window as it ends")
    parser.add_argument("--output", choices=("pointer",), default=None,
                        help="also move the desktop pointer (needs pynput)")
    parser.add_argument("--no-window", action="store_true",
                        help="live 2-D task: run headless (no task window)")
    parser.add_argument("--fullscreen", action="store_true",
                        help="live 2-D task: the task window fills the screen")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for --stream (30)")


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


def _task(args: argparse.Namespace, selection: str = "dwell"):
    from bci.cursor.task import CenterOutTask, GridTask

    if args.task == "grid":
        return GridTask(check_grid(args.grid), dwell=args.dwell or 0.6, seed=args.seed,
                        selection=selection)
    return CenterOutTask(dwell=args.dwell or 0.5, seed=args.seed, selection=selection)


def run(args: argparse.Namespace) -> int:
    """Run the task; print (or ``--json``) its metrics; 0 on success."""
    if not args.simulate_user:
        return _run_stream(args)
    if args.stream is not None:
        return _run_simulated_stream(args)
    duration = 60.0 if args.duration is None else args.duration
    if not duration > 0:
        raise ConfigError(f"--duration must be positive seconds, got {duration}")
    task = _task(args)
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
    return _report(args, metrics)


def _report(args: argparse.Namespace, metrics: dict) -> int:
    if args.json:
        json.dump(metrics, sys.stdout)
        sys.stdout.write("\n")
        return 0
    ttt = metrics["time_to_target_s"]
    eff = metrics["path_efficiency"]
    lat, p99 = metrics["latency_ms"], metrics["latency_p99_ms"]
    print(f"{args.task}: {metrics['correct']} correct, {metrics['incorrect']} incorrect, "
          f"{metrics['timeouts']} timed out in {metrics['seconds']:g} s")
    print(f"success rate {metrics['success_rate']:.1%}, {metrics['bps']:.2f} bits/s "
          f"(N = {metrics['n_targets']}), time to target "
          f"{'-' if ttt is None else f'{ttt:.2f} s'}, path efficiency "
          f"{'-' if eff is None else f'{eff:.2f}'}, latency "
          f"{'-' if lat is None else f'{lat:.2f} ms (p99 {p99:.2f})'}")
    if metrics.get("clicks") is not None:
        print(f"{metrics['clicks']} clicks")
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
        return _run_stream_2d(args, model)
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


def _run_simulated_stream(args: argparse.Namespace) -> int:
    """``--simulate-user --stream N``: the live task on stream N, which a simulated
    user's array pushes over LSL while reading the task's ``N-cursor``
    (:class:`bci.cursor.user_stream.SimulatedUserOutlet`): the loop closes across LSL."""
    from bci.cursor.user import SimulatedUser
    from bci.cursor.user_stream import SimulatedUserOutlet
    from bci.datasets.cursor import NeuralPopulation

    if args.duration is None:
        args.duration = 60.0
    model = _model(args.spec, args.seed)
    if model.config.targets is None or "channels" not in model.config.targets:
        raise ConfigError(f"{args.spec}: --simulate-user needs a model trained on the "
                          "simulated array's kinematics ([targets].channels)")
    user = SimulatedUser(NeuralPopulation.draw(len(model.ch_names), 0), model.sfreq,
                         seed=args.seed)
    step = max(int(round(model.config.step * model.sfreq)), 1)
    outlet = SimulatedUserOutlet(user, args.stream, list(model.ch_names), step=step,
                                 timeout=args.timeout)
    outlet.start()
    try:
        return _run_stream_2d(args, model)
    finally:
        outlet.close()


def _run_stream_2d(args: argparse.Namespace, model) -> int:
    """A live stream: the 2-D task, shown in the task window (or headless)."""
    import importlib

    from bci.cli.supervisor import check_duration
    from bci.cursor.live import run_live_cursor

    duration = check_duration(args.duration)
    click = (model.config.cursor or {}).get("click")
    task = _task(args, "click" if click else "dwell")
    on_step = None
    if args.output == "pointer":
        from bci.cursor.pointer import PointerOutput

        on_step = PointerOutput().move
    window = sink = None
    sinks = []
    if not args.no_window:
        # The window lives in bci_apps (Qt); the library and the command line never
        # import it by name.
        window = importlib.import_module("bci_apps.cursor_window")
        sink = window.CursorDisplaySink()
        sinks.append(sink)
    elif args.screenshot:
        raise ConfigError("--screenshot saves the task window: drop --no-window")
    log.info("waiting for stream '%s' (up to %g s)", args.stream, args.timeout)
    shown: dict = {}

    def wait(live) -> None:
        log.info("%s task on '%s' -> '%s-cursor'; Ctrl-C stops", args.task, args.stream,
                 args.stream)
        if window is not None:
            shown.update(window.run_live(live, sink, duration=duration,
                                         screenshot=args.screenshot,
                                         fullscreen=args.fullscreen))
        else:
            from bci.cli.supervisor import wait_while

            wait_while(lambda: live.running(2.0 if duration is None else None),
                       duration=duration)

    metrics, _ = run_live_cursor(model, args.stream, task, gain=args.gain,
                                 timeout=args.timeout, on_step=on_step, sinks=sinks,
                                 wait=wait)
    metrics = {"task": args.task, **metrics, "latency_to": "cursor"}
    metrics["cursor_latency_ms"] = metrics["latency_ms"]
    metrics["cursor_latency_p99_ms"] = metrics["latency_p99_ms"]
    if shown.get("screen_latency_ms") is not None:
        # decoder to screen: the decision's newest sample -> the repaint that shows it
        metrics.update(latency_ms=shown["screen_latency_ms"],
                       latency_p99_ms=shown["screen_latency_p99_ms"], latency_to="screen")
    metrics.update({k: v for k, v in shown.items() if v is not None})
    return _report(args, metrics)


__all__ = ["add_arguments", "check_grid", "run"]
