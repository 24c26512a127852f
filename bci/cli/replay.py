"""``bci replay FILE [--name N] [--speed X] [--chunk K] [--loop] [--fault SPEC]``."""

from __future__ import annotations

import argparse
import logging
import time

HELP = "replay a recording (or a simulation) over LSL"

#: Shown at the end of ``bci replay --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
# streams 'mi' and 'mi-markers'; drop --speed and --duration for real time
bci replay recordings/sample-motor-imagery_raw.fif --name mi --speed 10 --duration 3
"""
HOWTO = ("docs/quickstart.md (Replay it as if it came from a headset)",
         "docs/faults.md (--fault)")

log = logging.getLogger("bci")

#: Seconds a finished replay keeps its outlets open so receivers get the last samples.
REPLAY_LINGER = 1.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``bci replay``."""
    p = parser
    p.add_argument("file", nargs="?", metavar="FILE",
                   help="the recording to stream (or --simulate PARADIGM)")
    p.add_argument("--name", help="signal stream name (default: the file's stem)")
    p.add_argument("--speed", type=float, default=1.0,
                   help="time compression: timestamps run X times faster (default 1)")
    p.add_argument("--chunk", type=int, default=None,
                   help="samples per chunk (default: about 10 ms of signal)")
    p.add_argument("--loop", action="store_true", help="start again at the end")
    p.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    p.add_argument("--wait", type=float, default=0.0, metavar="S",
                   help="wait up to S seconds for a receiver before the first sample")
    p.add_argument("--format", choices=["float32", "double64"], default="float32",
                   help="sample type on the wire (default float32, as amplifiers send)")
    p.add_argument("--source-id", default=None, help="base LSL source_id (default random)")
    p.add_argument("--simulate", metavar="PARADIGM", default=None,
                   help="replay a simulated headset instead of a file")
    p.add_argument("--sim-duration", type=float, default=600.0,
                   help="seconds of simulated signal (default 600)")
    p.add_argument("--seed", type=int, default=0, help="simulation seed")
    p.add_argument("--follow", metavar="MARKERS", default=None,
                   help="with --simulate: answer the cues of this marker stream (e.g. "
                        "bci-cues from 'bci present') with the response each cue calls for")
    p.add_argument("--fault", default=None, metavar="SPEC",
                   help="inject faults, e.g. drop@10:100,nan@20:32,pause@30:2,restart@40:2,"
                        "jitter@50:5,shift@60:-20 (KIND@SECONDS:VALUE; see docs/faults.md)")
    p.add_argument("--json", action="store_true", help="print a JSON summary at the end")


def _sources(args: argparse.Namespace) -> list:
    from bci.errors import BciError
    from bci.replay.files import sources_from_file, sources_from_simulation

    if args.simulate:
        return sources_from_simulation(args.simulate, duration=args.sim_duration,
                                       seed=args.seed, name=args.name)
    if not args.file:
        raise BciError("nothing to replay: give a recording FILE or --simulate PARADIGM")
    return sources_from_file(args.file, name=args.name)


def _follow(args: argparse.Namespace) -> int:
    """A simulated headset that answers the cues of a marker stream, until Ctrl-C."""
    from bci.cli.supervisor import wait_while
    from bci.errors import BciError
    from bci.present.follow import follow_player

    if not args.simulate:
        raise BciError("--follow needs --simulate PARADIGM: the headset that answers the "
                       "cues is simulated")
    player = follow_player(args.simulate, args.follow, name=args.name, seed=args.seed)
    player.start()
    log.info("simulated %s headset '%s' following '%s'; Ctrl-C stops", args.simulate,
             player.name, args.follow)
    try:
        wait_while(player.is_running, duration=args.duration, every=0.2)
    finally:
        player.stop()
    log.info("answered %d cues", player.n_cues)
    return 0


def run(args: argparse.Namespace) -> int:
    """Replay until the end of the file, ``--duration``, or Ctrl-C."""
    from bci.cli.supervisor import check_duration, print_json, wait_while
    from bci.replay import Player
    from bci.replay.faults import parse_faults

    check_duration(args.duration)
    if args.follow:
        return _follow(args)
    check_duration(args.sim_duration, "--sim-duration")
    if args.wait:
        check_duration(args.wait, "--wait")
    faults = parse_faults(args.fault)
    sources = _sources(args)
    player = Player(sources, name=args.name if not args.simulate else None, speed=args.speed,
                    chunk=args.chunk, loop=args.loop, channel_format=args.format,
                    source_id=args.source_id, faults=faults)
    for fault in faults:
        log.info("fault: %s at %g s (%g)", fault.kind, fault.at, fault.value)
    for d in player.descriptions:
        log.info("replaying '%s' (%s, %d ch, %g Hz, %s) source_id=%s", d.name, d.stype,
                 d.n_channels, d.sfreq, d.channel_format, d.source_id)
    log.info("markers on '%s'; speed %g, %s; Ctrl-C stops", player.marker_description.name,
             args.speed, "looping" if args.loop else "once")
    if args.wait:
        log.info("waiting up to %g s for a receiver", args.wait)
        if not player.wait_for_consumers(args.wait):
            log.info("no receiver connected; starting anyway")
    player.start()
    # The first sample's due time, on the LSL clock: what a receiver's pick-up is
    # measured from (a restarted source, a test of reconnection).
    log.info("started: sample 0 is stamped %.6f (LSL time)", player.t0)
    started = time.monotonic()
    try:
        how = wait_while(player.is_running, duration=args.duration, every=0.2)
        if how == "ended":
            # The end of the file: give receivers a moment to take the last chunks
            # before the outlets go (withdrawing an outlet drops data still in flight).
            time.sleep(REPLAY_LINGER)
    finally:
        player.stop()
    summary = {"streams": [d.name for d in player.descriptions],
               "samples_pushed": player.n_pushed, "markers_pushed": player.n_markers,
               "seconds": round(time.monotonic() - started, 3)}
    if args.json:
        print_json(summary)
    else:
        log.info("pushed %s samples and %d markers in %.1f s", player.n_pushed,
                 player.n_markers, summary["seconds"])
    return 0
