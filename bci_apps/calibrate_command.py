"""``bci calibrate PROTOCOL.toml (--stream N | --simulate) --out FILE.xdf``.

Presents the protocol and records, in one XDF through :class:`bci.record.Recorder`, the
headset's signal, the cue markers (stamped at the flips that showed them) and any
``--record-stream``. Everything that can fail is checked before the first trial: the
protocol against its config, the screen, the refresh rate against the flicker, and the
streams (a missing one is a one-line error, and no file is left). Esc ends the run
early; the file then holds every trial completed so far and stays readable.
"""

from __future__ import annotations

import argparse
import logging
import time
import uuid

from bci.present.calibrate import SIMULATED_STREAM, cue_description
from bci.present.command import (
    add_calibrate_arguments,
    print_summary,
    protocol_from_args,
    run_virtual,
)

logger = logging.getLogger(__name__)

#: Seconds to keep recording after the last frame, so in-flight samples land in the file.
SETTLE_SECONDS = 0.5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``bci calibrate`` to ``parser``."""
    add_calibrate_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Calibrate; print the ``bci train`` command to run next. 0 after a clean end."""
    if args.virtual_clock:
        return run_virtual(args)
    protocol = protocol_from_args(args)
    return calibrate_live(args, protocol)


def calibrate_live(args: argparse.Namespace, protocol, *, window_hook=None,
                   on_flip=None) -> int:
    """The window plus a recorder (and, with ``--simulate``, the following headset)."""
    from PySide6 import QtWidgets

    from bci.datasets.follow import CueFollowingHeadset, responses_for
    from bci.present.follow import FollowPlayer
    from bci.record.recorder import Recorder
    from bci.stream.discovery import resolve_stream
    from bci.stream.outlet import Outlet
    from bci_apps.present import pick_screen, run_presentation

    QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    # Checks that need the display, before any stream or file exists.
    screen = pick_screen(args.screen)
    protocol.check_refresh(float(screen.refreshRate() or 60.0))
    needed = ([args.stream] if args.stream else []) + list(args.record_stream)
    for name in needed + ([args.decisions] if args.decisions else []):
        resolve_stream(name, timeout=args.timeout)  # StreamError: one line, no file

    cue_id = uuid.uuid4().hex
    outlet = Outlet(cue_description(args.markers, protocol, source_id=cue_id))
    follower = recorder = None
    try:
        source_ids = [cue_id]
        if args.simulate:
            seed = args.seed if args.subject_seed is None else args.subject_seed
            headset = CueFollowingHeadset(protocol.paradigm,
                                          responses=responses_for(protocol), seed=seed)
            follower = FollowPlayer(headset, args.markers, name=SIMULATED_STREAM,
                                    timeout=args.timeout, use_announced=False,
                                    markers_source_id=cue_id)
            follower.start()
            source_ids.append(follower.source_id)
        streams = ([args.stream] if args.stream else []) + list(args.record_stream)
        recorder = Recorder(args.out, streams, source_ids=source_ids,
                            timeout=args.timeout, overwrite=args.overwrite)
        recorder.start()
        result = run_presentation(
            protocol, outlet=outlet, decisions=args.decisions, fullscreen=args.fullscreen,
            screen=args.screen, seed=args.seed, duration=args.duration,
            screenshot=args.screenshot, stats=args.stats, backend=args.backend,
            timeout=args.timeout, window_hook=window_hook, on_flip=on_flip)
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline and recorder.is_running():
            time.sleep(0.05)  # the recorder's thread drains every 0.2 s; we only wait
    finally:
        # The recorder first (it writes the footers and closes the file), then the
        # sources it was reading.
        if recorder is not None:
            recorder.stop()
        if follower is not None:
            follower.stop()
        outlet.close()
    summary = {"path": str(args.out), "completed_trials": result["completed_trials"],
               "n_trials": result["n_trials"], "stopped": result["stopped"],
               "streams": recorder.summary()["streams"],
               "dropped_frames": result["dropped_frames"]["count"]}
    print_summary(args, protocol, summary)
    return 0
