"""Arguments of ``bci present`` and ``bci calibrate``, and the headless calibration.

The window runs in ``bci_apps.present_command`` / ``bci_apps.calibrate_command`` (Qt);
this module holds what needs no display: the flags, their checks, and
``bci calibrate --simulate --virtual-clock`` (no window, no network: see
:func:`bci.present.calibrate_virtual`).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from bci.errors import ConfigError
from bci.present.calibrate import DEFAULT_MARKERS, calibrate_virtual, next_command
from bci.present.protocol import Protocol, load_protocol

logger = logging.getLogger(__name__)

__all__ = ["add_calibrate_arguments", "add_present_arguments", "protocol_from_args",
           "run_virtual"]


def add_present_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``bci present`` to ``parser``."""
    parser.add_argument("protocol", metavar="PROTOCOL.toml", help="the protocol to present")
    parser.add_argument("--markers", default=DEFAULT_MARKERS, metavar="NAME",
                        help=f"name of the cue marker stream (default {DEFAULT_MARKERS})")
    parser.add_argument("--decisions", default=None, metavar="NAME",
                        help="decision stream to show as feedback (e.g. bci-decisions)")
    parser.add_argument("--fullscreen", action="store_true", help="fill the screen")
    parser.add_argument("--screen", type=int, default=None, metavar="K",
                        help="screen index (default: the primary screen)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the trial order and rest lengths (default 0)")
    parser.add_argument("--trials", type=int, default=None, metavar="N",
                        help="override the protocol's trial count, for quick runs")
    parser.add_argument("--duration", type=float, default=None, metavar="S",
                        help="stop after S seconds")
    parser.add_argument("--screenshot", default=None, metavar="PNG",
                        help="save the window, mid-way through the first stimulus")
    parser.add_argument("--stats", default=None, metavar="FILE.json",
                        help="write frame timing: refresh, flip intervals, dropped frames, "
                             "marker offsets")
    parser.add_argument("--backend", choices=["auto", "opengl", "raster"], default="auto",
                        help="window kind (default: OpenGL where available)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds to wait for each stream (default 10)")


def add_calibrate_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``bci calibrate`` (every flag of present, and more)."""
    add_present_arguments(parser)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stream", default=None, metavar="NAME",
                        help="the headset's signal stream to record")
    source.add_argument("--simulate", action="store_true",
                        help="a simulated headset that answers the cues (no hardware)")
    parser.add_argument("--out", required=True, metavar="FILE.xdf", help="file to write")
    parser.add_argument("--record-stream", action="append", default=[], metavar="NAME",
                        help="another stream to record in the same file (repeatable)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace FILE.xdf if it exists")
    parser.add_argument("--subject-seed", type=int, default=None, metavar="N",
                        help="--simulate: seed of the simulated subject (default --seed)")
    parser.add_argument("--virtual-clock", action="store_true",
                        help="--simulate only: no window, frames on a perfect virtual "
                             "display, written as fast as the CPU allows (tests, CI)")
    parser.add_argument("--refresh", type=float, default=60.0, metavar="HZ",
                        help="--virtual-clock: refresh rate of the virtual display")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON summary on stdout")


def protocol_from_args(args: argparse.Namespace) -> Protocol:
    """Load and check the protocol, with ``--trials``; one-line errors."""
    protocol = load_protocol(args.protocol).with_trials(args.trials)
    if args.duration is not None and not args.duration > 0:
        raise ConfigError(f"--duration {args.duration:g}: give a positive number of "
                          "seconds")
    if getattr(args, "out", None) is not None and not str(args.out).endswith(".xdf"):
        raise ConfigError(f"--out {args.out}: calibrations are XDF files, name it "
                          "'*.xdf'")
    return protocol


def print_summary(args: argparse.Namespace, protocol: Protocol, summary: dict) -> None:
    """The end of a calibration: counts on stderr, the next command, JSON if asked."""
    logger.info("%d of %d trials completed; wrote %s", summary["completed_trials"],
                summary["n_trials"], args.out)
    command = next_command(protocol, args.out)
    summary["next"] = command
    if args.json:
        sys.stdout.write(json.dumps(summary, indent=2, default=str) + "\n")
    else:
        sys.stdout.write(f"next: {command}\n")
    sys.stdout.flush()


def run_virtual(args: argparse.Namespace) -> int:
    """``bci calibrate PROTOCOL --simulate --virtual-clock --out FILE.xdf``."""
    if not args.simulate:
        raise ConfigError("--virtual-clock needs --simulate: a real headset runs in real "
                          "time")
    protocol = protocol_from_args(args)
    result = calibrate_virtual(protocol, args.out, seed=args.seed,
                               subject_seed=args.subject_seed, refresh=args.refresh,
                               duration=args.duration, markers=args.markers,
                               overwrite=args.overwrite)
    summary = {"path": str(Path(args.out)), "completed_trials": result["n_trials"],
               "n_trials": result["n_planned"], "n_markers": len(result["markers"]),
               "n_samples": result["n_samples"]}
    if args.stats:
        Path(args.stats).write_text(json.dumps(result["frame_stats"], indent=2) + "\n",
                                    encoding="utf-8")
    print_summary(args, protocol, summary)
    return 0
