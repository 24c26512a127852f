"""``bci neurofeedback PROTOCOL.toml --stream N``: the command, thin over the library."""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence
from pathlib import Path

from bci.errors import BciError, ConfigError

HELP = "closed-loop neurofeedback: baseline, feedback value, reward, session report"

#: Shown at the end of ``bci neurofeedback --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
# needs a stream with channels O1.. Oz.. O2.. (PhysioNet names, docs/recordings.md):
# bci replay ../shared/recordings/physionet-eegmmidb/S001/S001R02.edf --name eeg
bci neurofeedback docs/protocols/alpha.toml --stream eeg --duration 300
"""
HOWTO = ("docs/neurofeedback.md",)

log = logging.getLogger("bci")



def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``neurofeedback`` arguments to ``parser`` (a subparser of ``bci``)."""
    parser.add_argument("protocol", metavar="PROTOCOL.toml",
                        help="pipeline with a training-free decoder and a [feedback] table")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stream", help="name of the live signal stream")
    source.add_argument("--data", nargs="+", metavar="FILE",
                        help="instead of a live stream: run offline over recordings, "
                             "played one after the other as one session")
    parser.add_argument("--out-stream", default=None,
                        help="feedback stream name (default STREAM-feedback)")
    parser.add_argument("--duration", type=float, default=None,
                        help="stop after S seconds (default: run until Ctrl-C)")
    parser.add_argument("--osc", metavar="HOST:PORT", default=None,
                        help="also send the feedback as OSC messages over UDP")
    parser.add_argument("--osc-prefix", default="/bci",
                        help="OSC address prefix (default /bci: /bci/feedback, ...)")
    parser.add_argument("--summary", metavar="DIR", default=None,
                        help="folder for summary.json, summary.png and feedback.csv "
                             "(default ./neurofeedback-YYYYMMDD-HHMMSS)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for the stream (default 30)")
    parser.add_argument("--chunk", type=int, default=None,
                        help="with --data: samples per chunk (default: as bci replay)")
    parser.add_argument("--print", dest="print_samples", action="store_true",
                        help="print every feedback sample on stdout")
    parser.add_argument("--json", action="store_true",
                        help="print the session summary as one JSON object")
    parser.add_argument("--display", nargs="?", const="", default=None,
                        metavar="DISPLAY.toml",
                        help="open the subject-facing training window (blocks, rests and "
                             "the object from DISPLAY.toml, e.g. "
                             "docs/protocols/display-training.toml; defaults without)")
    parser.add_argument("--fullscreen", action="store_true",
                        help="with --display: fill the screen")
    parser.add_argument("--person", metavar="DIR", default=None,
                        help="the person's folder: append this training session to its "
                             "history (bci report DIR draws the course)")


def run(args: argparse.Namespace) -> int:
    """Run ``bci neurofeedback`` with parsed arguments; return the exit status."""
    from bci.cli.supervisor import check_duration, print_json
    from bci.feedback.osc import parse_osc_address
    from bci.feedback.protocol import load_protocol
    from bci.feedback.summary import write_summary

    check_duration(args.duration)
    protocol = load_protocol(args.protocol)
    osc_address = parse_osc_address(args.osc) if args.osc else None
    if args.data and osc_address is not None:
        raise ConfigError("--osc sends live feedback: use it with --stream, not --data")
    if args.data and args.display is not None:
        raise ConfigError("--display shows live feedback: use it with --stream, not --data")
    folder = Path(args.summary) if args.summary else Path(
        f"neurofeedback-{time.strftime('%Y%m%d-%H%M%S')}")
    if args.person is not None:
        from bci.attention.history import read_history

        read_history(args.person)  # a missing folder or a newer history: one line, now
    if args.data:
        run_, summary = _run_offline(protocol, args)
    else:
        run_, summary = _run_live(protocol, args, osc_address)
    paths = write_summary(folder, summary, run_)
    summary["files"] = {kind: str(path) for kind, path in paths.items()}
    if args.person is not None:
        _append_history(args, summary, folder)
    _log_summary(summary)
    if args.json:
        print_json(summary)
    return 0


def _append_history(args: argparse.Namespace, summary: dict, folder: Path) -> None:
    """The session in the person's history: interrupted when the baseline never
    completed, a ``--duration`` run ended early (Ctrl-C, the stream stopped), or the
    display's last block was not reached."""
    from bci.attention.history import append_session, training_entry

    short = args.duration is not None and summary.get("ended_by") in ("interrupted",
                                                                       "ended")
    interrupted = not summary["baseline"]["complete"] or short or \
        summary.get("display_complete") is False
    person = Path(args.person).resolve()
    try:
        where = str(folder.resolve().relative_to(person))
    except ValueError:
        where = str(folder.resolve())
    entry = append_session(args.person, training_entry(summary, folder=where,
                                                       interrupted=interrupted))
    log.info("session #%d (%s) appended to %s", entry["number"], entry["status"],
             args.person)


def _run_offline(protocol, args: argparse.Namespace):
    from bci.feedback.program import run_feedback_offline
    from bci.feedback.sinks import print_sample
    from bci.feedback.summary import session_summary

    source = _concatenated_source(args.data)
    log.info("running '%s' offline over %s (%.1f s of signal)", protocol.name,
             ", ".join(args.data), source.n_times / source.sfreq)
    run_ = run_feedback_offline(protocol, source, chunk=args.chunk)
    if args.print_samples and not args.json:
        for sample in run_.samples:
            print_sample(sample, run_.sfreq, float("nan"))
    return run_, session_summary(run_, protocol, input_stream=", ".join(args.data))


def _concatenated_source(paths: Sequence[str]):
    """The first signal stream of each file, one after the other, as one source."""
    import numpy as np

    from bci.replay.files import sources_from_file
    from bci.replay.source import ReplaySource

    sources = [sources_from_file(path)[0] for path in paths]
    first = sources[0]
    for path, source in zip(paths[1:], sources[1:], strict=True):
        if source.ch_names != first.ch_names or source.sfreq != first.sfreq:
            raise BciError(f"{path} has other channels or another rate than {paths[0]}: "
                           "give recordings of the same headset")
    if len(sources) == 1:
        return first
    return ReplaySource(name=first.name, stype=first.stype,
                        data=np.concatenate([s.data for s in sources], axis=1),
                        sfreq=first.sfreq, ch_names=first.ch_names, ch_types=first.ch_types)


def _run_live(protocol, args: argparse.Namespace, osc_address):
    from bci.cli.supervisor import wait_while
    from bci.feedback.program import open_feedback
    from bci.feedback.sinks import FeedbackOscSink, FeedbackPrinter
    from bci.feedback.summary import session_summary

    sinks = []
    osc = None
    if osc_address:
        from bci.feedback.osc import FeedbackOscSender

        osc = FeedbackOscSender(osc_address, prefix=args.osc_prefix)
        sinks.append(FeedbackOscSink(osc))
    log.info("waiting for stream '%s' (up to %g s)", args.stream, args.timeout)
    try:
        setup, run_ = open_feedback(protocol, args.stream,
                                    out_stream=args.out_stream or f"{args.stream}-feedback",
                                    timeout=args.timeout, sinks=sinks)
    except BaseException:
        for sink in sinks:
            sink.close()
        raise
    session = setup.session
    d = setup.inlet.description
    if args.print_samples and not args.json:
        session.sinks.append(FeedbackPrinter(d.sfreq))
    display = None
    if args.display is not None:  # the window: a sink; its Qt loop replaces wait_while
        from importlib import import_module

        display = import_module("bci_apps.nf_display").open_display(
            args.display or None, protocol, d.sfreq)
        session.sinks.append(display.sink)
    settings = protocol.feedback
    pipeline, processor = run_.pipeline, run_.processor
    if pipeline.windows.step > processor.sfreq / settings.rate + 1e-9:
        log.warning("[online].step (%g s) is longer than 1/rate (%g s): feedback "
                    "samples repeat the same window", protocol.config.step,
                    1 / settings.rate)
    log.info("neurofeedback '%s' on '%s' (%s) -> '%s'%s; recording a %g s baseline "
             "first; Ctrl-C stops", protocol.name, d.name, ", ".join(pipeline.ch_names),
             args.out_stream, f" and OSC {osc_address}" if osc else "", settings.baseline)
    announced = False

    def announce(elapsed: float) -> None:
        nonlocal announced
        if not announced and not processor.in_baseline:
            announced = True
            stats = processor.normaliser.describe()
            log.info("baseline done: %d clean windows, median value %.4g; threshold "
                     "%g is value %.4g; feedback starts", stats["n_windows"],
                     stats["median"], settings.threshold,
                     processor.normaliser.value_at(settings.threshold))

    try:
        session.start()
        if display is not None:
            ended_by = display.run(session.is_running, duration=args.duration,
                                   fullscreen=args.fullscreen)
        else:
            ended_by = wait_while(session.is_running, duration=args.duration,
                                  tick=announce)
    finally:
        try:
            session.stop()
        finally:
            setup.close()
    summary = session_summary(run_, protocol, speed=d.speed, input_stream=d.name)
    summary["ended_by"] = ended_by
    if display is not None:
        summary["blocks"] = display.block_summaries()
        summary["display_complete"] = display.complete
    if osc is not None:
        summary["output"]["osc"] = {"address": str(osc_address), "sent": osc.n_sent,
                                    "errors": osc.n_errors}
    return run_, summary


def _log_summary(summary: dict) -> None:
    base, fb, out = summary["baseline"], summary["feedback"], summary["output"]
    if not base["complete"]:
        log.warning("the baseline never completed (%d clean windows): no feedback was given",
                    base["value"].get("n_windows", 0))
    else:
        above = fb["fraction_above_threshold"]
        log.info("baseline %.1f s (%d windows, %d artifacts); feedback %.1f s: above "
                 "threshold %.1f s (%s of clean time), rewarded %.1f s in %d rewards, "
                 "artifacts %.1f s", base.get("seconds", 0.0), base["value"]["n_windows"],
                 base["n_artifact_windows"], fb["seconds"], fb["time_above_threshold_s"],
                 "-" if above is None else f"{100 * above:.0f} %", fb["time_rewarded_s"],
                 fb["n_rewards"], fb["artifact_seconds"])
    if "latency_ms" in out:
        lat = out["latency_ms"]
        log.info("output %.2f Hz of signal time (nominal %g Hz); latency p50 %.2f ms, "
                 "p99 %.2f ms", out.get("rate_hz_measured", float("nan")), out["rate_hz"],
                 lat["p50"], lat["p99"])
    if "files" in summary:
        log.info("summary written to %s and %s", summary["files"]["json"],
                 summary["files"]["png"])
