"""``bci present PROTOCOL.toml [--markers NAME] [--decisions NAME] ...`` (the window).

The flags are defined in :mod:`bci.present.command` (headless, shared with
``bci calibrate``); this module opens the Qt window.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from bci.present.command import add_present_arguments, protocol_from_args

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``bci present`` to ``parser``."""
    add_present_arguments(parser)
    parser.add_argument("--json", action="store_true",
                        help="print the frame statistics as JSON on stdout")


def run(args: argparse.Namespace) -> int:
    """Present until the protocol ends, Esc, or ``--duration``; 0 on a clean end."""
    from bci_apps.present import run_presentation

    protocol = protocol_from_args(args)
    result = run_presentation(
        protocol, markers=args.markers, decisions=args.decisions,
        fullscreen=args.fullscreen, screen=args.screen, seed=args.seed,
        duration=args.duration, screenshot=args.screenshot, stats=args.stats,
        backend=args.backend, timeout=args.timeout)
    logger.info("%d of %d trials shown%s; %d frames, %d dropped", result["completed_trials"],
                result["n_trials"], " (stopped)" if result["stopped"] else "",
                result["n_frames"], result["dropped_frames"]["count"])
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        sys.stdout.flush()
    return 0
