"""The ``bci`` command line: parses arguments, then calls the library.

Every user error is one line on stderr (``bci: error: ...``) and exit status 1;
``--json`` prints exactly one JSON object on stdout, logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bci.errors import BciError

log = logging.getLogger("bci")

_LSL_CONFIG = Path(__file__).with_name("lsl_api.cfg")


def _quiet_liblsl() -> None:
    # liblsl logs INFO lines (and reconnect notices) to stderr; the command line keeps
    # stderr for its own messages. A user's own LSLAPICFG wins.
    os.environ.setdefault("LSLAPICFG", str(_LSL_CONFIG))


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=float) + "\n")
    sys.stdout.flush()


# -- streams ---------------------------------------------------------------------------

def cmd_streams(args: argparse.Namespace) -> int:
    from bci.stream import list_streams

    streams = list_streams(args.wait)
    if args.json:
        _print_json({"streams": [s.summary() for s in streams]})
        return 0
    if not streams:
        print(f"no LSL streams visible after {args.wait:g} s")
        return 0
    print(f"{'name':<28} {'type':<10} {'ch':>4} {'rate':>8}  source_id @ host")
    for s in sorted(streams, key=lambda d: d.name):
        rate = f"{s.sfreq:g}" if s.sfreq else "irreg."
        print(f"{s.name:<28} {s.stype:<10} {s.n_channels:>4} {rate:>8}  "
              f"{s.source_id} @ {s.hostname}")
    return 0


# -- info ------------------------------------------------------------------------------

def cmd_info(args: argparse.Namespace) -> int:
    from bci.io import format_summary, summarize

    summary = summarize(args.file)
    if args.json:
        _print_json(summary)
    else:
        print(format_summary(summary))
    return 0


# -- replay ----------------------------------------------------------------------------

def _replay_sources(args: argparse.Namespace) -> list:
    from bci.replay.files import sources_from_file, sources_from_simulation

    if args.simulate:
        return sources_from_simulation(args.simulate, duration=args.sim_duration,
                                       seed=args.seed, name=args.name)
    if not args.file:
        raise BciError("nothing to replay: give a recording FILE or --simulate PARADIGM")
    return sources_from_file(args.file, name=args.name)


def cmd_replay(args: argparse.Namespace) -> int:
    from bci.replay import Player

    sources = _replay_sources(args)
    player = Player(sources, name=args.name if not args.simulate else None, speed=args.speed,
                    chunk=args.chunk, loop=args.loop, channel_format=args.format,
                    source_id=args.source_id)
    for d in player.descriptions:
        log.info("replaying '%s' (%s, %d ch, %g Hz, %s) source_id=%s", d.name, d.stype,
                 d.n_channels, d.sfreq, d.channel_format, d.source_id)
    log.info("markers on '%s'; speed %g, %s; Ctrl-C stops", player.marker_description.name,
             args.speed, "looping" if args.loop else "once")
    player.start()
    started = time.monotonic()
    try:
        while player.is_running():
            if args.duration is not None and time.monotonic() - started >= args.duration:
                break
            player.wait(0.2)
    except KeyboardInterrupt:
        log.info("interrupted")
    finally:
        player.stop()
    summary = {"streams": [d.name for d in player.descriptions],
               "samples_pushed": player.n_pushed, "markers_pushed": player.n_markers,
               "seconds": round(time.monotonic() - started, 3)}
    if args.json:
        _print_json(summary)
    else:
        log.info("pushed %s samples and %d markers in %.1f s", player.n_pushed,
                 player.n_markers, summary["seconds"])
    return 0


# -- simulate --------------------------------------------------------------------------

def cmd_simulate(args: argparse.Namespace) -> int:
    from bci.datasets import write_simulation

    path = write_simulation(args.out, args.paradigm, duration=args.duration, seed=args.seed)
    log.info("wrote %s", path)
    return 0


# -- parser ----------------------------------------------------------------------------

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bci", description="Real-time BCI decoding over Lab Streaming Layer.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("streams", help="list LSL streams visible on the network")
    p.add_argument("--wait", type=float, default=1.0, help="seconds to listen (default 1)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    COMMANDS["streams"] = cmd_streams

    p = sub.add_parser("info", help="summarise a recording")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    COMMANDS["info"] = cmd_info

    p = sub.add_parser("replay", help="replay a recording (or a simulation) over LSL")
    p.add_argument("file", nargs="?")
    p.add_argument("--name", help="signal stream name (default: the file's stem)")
    p.add_argument("--speed", type=float, default=1.0,
                   help="time compression: timestamps run X times faster (default 1)")
    p.add_argument("--chunk", type=int, default=None,
                   help="samples per chunk (default: about 10 ms of signal)")
    p.add_argument("--loop", action="store_true", help="start again at the end")
    p.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    p.add_argument("--format", choices=["float32", "double64"], default="float32",
                   help="sample type on the wire (default float32, as amplifiers send)")
    p.add_argument("--source-id", default=None, help="base LSL source_id (default random)")
    p.add_argument("--simulate", metavar="PARADIGM", default=None,
                   help="replay a simulated headset instead of a file")
    p.add_argument("--sim-duration", type=float, default=600.0,
                   help="seconds of simulated signal (default 600)")
    p.add_argument("--seed", type=int, default=0, help="simulation seed")
    p.add_argument("--json", action="store_true", help="print a JSON summary at the end")
    COMMANDS["replay"] = cmd_replay

    p = sub.add_parser("simulate", help="write a synthetic recording with markers")
    p.add_argument("out")
    p.add_argument("--paradigm", required=True,
                   help="motor-imagery | ssvep | p300 | emg | rest")
    p.add_argument("--duration", type=float, default=None, help="seconds of signal")
    p.add_argument("--seed", type=int, default=0)
    COMMANDS["simulate"] = cmd_simulate

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bci`` console script."""
    _quiet_liblsl()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(message)s", stream=sys.stderr)
    try:
        return COMMANDS[args.command](args)
    except BciError as err:
        sys.stderr.write(f"bci: error: {err}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("bci: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
