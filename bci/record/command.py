"""``bci record --stream N [--stream M ...] --out FILE.xdf [--duration S]``."""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time

from bci.record.recorder import FSYNC_INTERVAL, Recorder
from bci.record.xdf_writer import RecordError

logger = logging.getLogger(__name__)

#: Seconds between progress lines on stderr while recording.
PROGRESS_INTERVAL = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``bci record`` to ``parser``."""
    parser.add_argument("--stream", action="append", default=None, metavar="NAME",
                        help="name of a stream to record; repeat for several "
                             "(default: every stream on the network)")
    parser.add_argument("--source-id", action="append", default=None, metavar="ID",
                        help="record the stream with this source_id (repeatable)")
    parser.add_argument("--out", required=True, metavar="FILE.xdf", help="file to write")
    parser.add_argument("--duration", type=float, default=None,
                        help="stop after S seconds (default: until Ctrl-C)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds to wait for each stream to appear (default 10)")
    parser.add_argument("--fsync", type=float, default=FSYNC_INTERVAL, metavar="S",
                        help="seconds between fsyncs: a power cut loses at most S + 0.2 s "
                             f"(default {FSYNC_INTERVAL:g}; 0: after every write)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace FILE.xdf if it exists")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON summary on stdout at the end")


def _wait(recorder: Recorder, duration: float | None) -> None:
    """Block until ``duration`` passes or the recording thread stops (it failed)."""
    started = time.monotonic()
    next_progress = started + PROGRESS_INTERVAL
    while recorder.is_running():
        now = time.monotonic()
        if duration is not None and now - started >= duration:
            return
        if now >= next_progress:
            next_progress += PROGRESS_INTERVAL
            counts = ", ".join(f"{s.name}: {s.n_samples}" + (" (gone)" if s.lost else "")
                               for s in recorder.stats)
            logger.info("%.0f s, %.1f MB: %s", now - started, recorder.n_bytes / 1e6, counts)
        wait = 0.2 if duration is None else min(0.2, max(duration - (now - started), 0.0))
        time.sleep(wait)


def run(args: argparse.Namespace) -> int:
    """Record until ``--duration`` passes, Ctrl-C or SIGTERM (as KeyboardInterrupt).

    Returns
    -------
    int
        0 after a clean stop (interrupting is the normal way to end a recording).

    Raises
    ------
    bci.errors.BciError
        ``RecordError`` for an unwritable or existing file, ``StreamError`` for a
        stream that does not appear within ``--timeout``; one line each.
    """
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise RecordError(f"--duration must be a positive, finite number of seconds, "
                             f"got {args.duration}: leave it out to record until Ctrl-C")
    recorder = Recorder(args.out, args.stream, source_ids=args.source_id,
                        timeout=args.timeout, overwrite=args.overwrite, fsync=args.fsync)
    recorder.start()
    logger.info("recording to %s; %s", args.out,
                f"{args.duration:g} s" if args.duration is not None else "Ctrl-C stops")
    try:
        _wait(recorder, args.duration)
    except KeyboardInterrupt:
        logger.info("interrupted")
    finally:
        recorder.stop()
    for s in recorder.stats:
        rate = f"{s.n_samples / s.duration:.1f} Hz" if s.duration > 0 else "-"
        logger.info("%s: %d samples over %.1f s (%s)%s", s.name, s.n_samples, s.duration,
                    rate, ", gone at the end" if s.lost else
                    (f", {s.n_outages} outage(s)" if s.n_outages else ""))
    logger.info("wrote %s (%.1f MB)", args.out, recorder.n_bytes / 1e6)
    if args.json:
        sys.stdout.write(json.dumps(recorder.summary(), indent=2) + "\n")
        sys.stdout.flush()
    return 0
