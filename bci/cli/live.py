"""``bci live (CONFIG.toml | MODEL) --stream N``: decode a live stream, push decisions."""

from __future__ import annotations

import argparse
import logging

HELP = "decode a live stream, push decisions over LSL"

#: Shown at the end of ``bci live --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
# needs a stream: bci replay recordings/sample-motor-imagery_raw.fif --name mi
# (in another terminal), and mi.skops from bci train --help
bci live mi.skops --stream mi --print --duration 30
"""
HOWTO = ("docs/quickstart.md (Decode live)",
         "docs/pipeline.md (the TOML format, the decision stream)",
         "docs/python.md (the same from Python)")

log = logging.getLogger("bci")

#: Seconds ``--record`` waits for the input's ``<stream>-markers`` when the pipeline
#: itself reads no markers (a sliding config on a replay that publishes them).
MARKERS_LOOKUP = 0.5

#: Seconds ``--print`` waits for ``<stream>-markers`` when the pipeline reads no markers:
#: they give the printed decisions trial numbers (and file times on a replay). Resolving
#: and connecting take 0.7-0.9 s on a loaded machine.
PRINT_MARKERS_LOOKUP = 2.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``bci live``."""
    p = parser
    p.add_argument("spec", metavar="CONFIG.toml|MODEL",
                   help="a model from bci train, or a pipeline whose decoder needs no "
                        "training (band-power, cca, ...)")
    p.add_argument("--stream", required=True, help="name of the signal stream")
    p.add_argument("--markers", default=None,
                   help="marker stream (default for marker-locked pipelines: STREAM-markers)")
    p.add_argument("--out-stream", default=None,
                   help="decision stream name (default STREAM-decisions, with a source id "
                        "stable for the input)")
    p.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    p.add_argument("--stats", default=None, help="write the latency statistics as JSON")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="seconds to wait for the streams (default 30)")
    p.add_argument("--print", dest="print_decisions", action="store_true",
                   help="print every decision on stdout")
    p.add_argument("--record", default=None, metavar="FILE.xdf",
                   help="record the signal, markers and decisions to XDF")
    p.add_argument("--osc", metavar="HOST:PORT", default=None,
                   help="also send every decision over OSC: /bci/scores, /bci/gesture, and "
                        "/bci/onset, /bci/offset with [postprocess]")
    p.add_argument("--osc-prefix", default="/bci",
                   help="OSC address prefix (default /bci)")
    p.add_argument("--save-model", default=None, metavar="OUT",
                   help="at the end, write the model as this session adapted it ([adapt]), "
                        "so that the next session starts from where this one ended")


def _extra_sinks(args: argparse.Namespace) -> list:
    sinks = []
    if args.print_decisions:
        from bci.outputs import DecisionPrinter

        sinks.append(DecisionPrinter())
    if args.osc:
        from bci.outputs import GestureOscSink
        from bci.postprocess import GestureOscSender
        from bci.stream.osc import parse_osc_address

        sinks.append(GestureOscSink(GestureOscSender(parse_osc_address(args.osc),
                                                     prefix=args.osc_prefix)))
    return sinks


def _recorder_sink(path: str, setup) -> object:
    """Record the input, its markers (even when the pipeline reads none) and outputs."""
    from bci.errors import StreamError
    from bci.record import RecorderSink, recorder_for
    from bci.stream import MarkerInlet

    descriptions = [setup.inlet.description]
    if setup.marker_inlet is not None:
        descriptions.append(setup.marker_inlet.description)
    else:
        name = f"{setup.inlet.description.name}-markers"
        try:
            with MarkerInlet(name, timeout=MARKERS_LOOKUP) as markers:
                descriptions.append(markers.description)
        except StreamError:
            log.info("no marker stream '%s' to record beside the signal", name)
    descriptions.extend(s.description for s in setup.session.sinks
                        if getattr(s, "description", None) is not None)
    return RecorderSink(recorder_for(path, descriptions))


def run(args: argparse.Namespace) -> int:
    """Decode until ``--duration`` or Ctrl-C; print the latency table."""
    import sys

    from bci.adapt.model import adapted_model, describe_adaptation
    from bci.cli.supervisor import check_duration, one_blas_thread, wait_while, write_json
    from bci.errors import BciError
    from bci.pipeline.model import Model, save_model
    from bci.pipeline.spec import load_spec
    from bci.pipeline.stats import format_stats
    from bci.runtime import open_live

    check_duration(args.duration)
    one_blas_thread()
    spec = load_spec(args.spec)
    if args.save_model and not isinstance(spec, Model):
        raise BciError(f"--save-model needs a trained MODEL, and {args.spec} is a config: "
                       "train it with 'bci train' first")
    sinks = _extra_sinks(args)
    log.info("waiting for stream '%s' (up to %g s)", args.stream, args.timeout)
    try:
        setup = open_live(spec, args.stream, markers=args.markers,
                          out_stream=args.out_stream or "", timeout=args.timeout,
                          sinks=sinks,
                          # Printed decisions get trial numbers and file times from
                          # the markers, even where the pipeline reads none.
                          look_for_markers=PRINT_MARKERS_LOOKUP if args.print_decisions
                          else 0.0)
    except BaseException:
        for sink in sinks:
            sink.close()
        raise
    session = setup.session
    try:
        if args.record:
            session.sinks.append(_recorder_sink(args.record, setup))
            log.info("recording signal, markers and decisions to %s", args.record)
        log.info("decoding '%s' -> '%s'; Ctrl-C stops", args.stream,
                 setup.outlet.description.name if setup.outlet else "-")
        session.start()
        wait_while(session.is_running, duration=args.duration)
    finally:
        try:
            session.stop()
        finally:
            setup.close()
    snapshot = session.stats.snapshot()
    decoder = session.pipeline.decoder
    snapshot["adaptation"] = describe_adaptation(decoder, session.stages)
    sys.stderr.write(format_stats(snapshot) + "\n")
    if args.save_model:
        path = save_model(adapted_model(spec, decoder, session=args.stream,
                                        stages=session.stages), args.save_model)
        log.info("wrote the adapted model to %s: the next session starts from here", path)
    if args.stats:
        write_json(args.stats, snapshot)
    return 0
