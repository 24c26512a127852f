"""The ``bci`` command line: parses arguments, then calls the library.

Every user error is one line on stderr (``bci: error: ...``) and exit status 1;
``--json`` prints exactly one JSON object on stdout, logs go to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
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


#: Seconds a finished replay keeps its outlets open so receivers get the last samples.
REPLAY_LINGER = 1.0


def cmd_replay(args: argparse.Namespace) -> int:
    from bci.replay import Player
    from bci.replay.faults import parse_faults

    faults = parse_faults(args.fault)
    sources = _replay_sources(args)
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
    started = time.monotonic()
    try:
        while player.is_running():
            if args.duration is not None and time.monotonic() - started >= args.duration:
                break
            player.wait(0.2)
        if not player.is_running():
            # The end of the file: give receivers a moment to take the last chunks
            # before the outlets go (withdrawing an outlet drops data still in flight).
            time.sleep(REPLAY_LINGER)
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


# -- live ----------------------------------------------------------------------------

def _print_decision(decision, latency_ms: float) -> None:
    shown = decision.label if decision.label is not None else f"{decision.value:.4g}"
    truth = f"  (true: {decision.true_label})" if decision.true_label else ""
    sys.stdout.write(f"{decision.window_end:12.3f}  {shown:>12}{truth}  "
                     f"{latency_ms:6.2f} ms\n")
    sys.stdout.flush()


def cmd_live(args: argparse.Namespace) -> int:
    from bci.pipeline.live import load_spec, open_live
    from bci.pipeline.stats import format_stats

    _one_blas_thread()
    spec = load_spec(args.spec)
    on_decision = _print_decision if args.print_decisions else None
    osc = None
    if args.osc:
        from bci.feedback.osc import parse_osc_address
        from bci.postprocess import GestureOscSender

        osc = GestureOscSender(parse_osc_address(args.osc), prefix=args.osc_prefix)
        printer = on_decision

        def on_decision(decision, latency_ms: float) -> None:
            if printer is not None:
                printer(decision, latency_ms)
            osc.send(decision.scores, decision.gesture or str(decision.label or ""),
                     decision.events)

    log.info("waiting for stream '%s' (up to %g s)", args.stream, args.timeout)
    try:
        setup = open_live(spec, args.stream, markers=args.markers,
                          out_stream=args.out_stream, timeout=args.timeout,
                          on_decision=on_decision)
    except BaseException:
        if osc is not None:
            osc.close()
        raise
    session = setup.session
    recorder = None
    try:
        if args.record:
            from bci.record import recorder_for_live

            recorder = recorder_for_live(args.record, setup).start()
            log.info("recording signal, markers and decisions to %s", args.record)
        log.info("decoding '%s' -> '%s'; Ctrl-C stops", args.stream, args.out_stream)
        started = time.monotonic()
        session.start()
        while session.is_running():
            if args.duration is not None and time.monotonic() - started >= args.duration:
                break
            time.sleep(0.1)
    except KeyboardInterrupt:
        log.info("interrupted")
    finally:
        try:
            session.stop()
        finally:
            if recorder is not None:
                recorder.stop()
            setup.close()
            if osc is not None:
                osc.close()
    snapshot = session.stats.snapshot()
    sys.stderr.write(format_stats(snapshot) + "\n")
    if args.stats:
        Path(args.stats).write_text(json.dumps(snapshot, indent=2, default=float))
    return 0


# -- train / evaluate ------------------------------------------------------------------

def _progress(done: int, total: int, accuracy: float) -> None:
    bar = "#" * done + "." * (total - done)
    sys.stderr.write(f"\rcross-validation [{bar}] fold {done}/{total}: "
                     f"accuracy {accuracy:.3f}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def cmd_train(args: argparse.Namespace) -> int:
    from bci.pipeline.config import load_config
    from bci.pipeline.model import save_model
    from bci.pipeline.report import write_training_report
    from bci.pipeline.training import train

    _one_blas_thread()
    config = load_config(args.config)
    model, data, scores = train(config, args.data, n_folds=args.cv,
                                progress=None if args.json else _progress)
    path = save_model(model, args.out)
    summary = {"model": str(path), "classes": model.classes,
               "n_windows": int(data.X.shape[0]), "channels": len(model.ch_names),
               "sfreq": model.sfreq, "cv": scores}
    if scores:
        summary["cv_accuracy_mean"] = float(sum(s["accuracy"] for s in scores) / len(scores))
    if args.report:
        summary["report"] = str(write_training_report(args.report, model, data, scores))
    if args.json:
        _print_json(summary)
    else:
        for fold in scores:
            print(f"fold {fold['fold']}: accuracy {fold['accuracy']:.3f}, balanced "
                  f"{fold['balanced_accuracy']:.3f} ({fold['n_test']} windows)")
        if scores:
            print(f"mean cross-validated accuracy: {summary['cv_accuracy_mean']:.3f}")
        print(f"saved {path} ({len(model.classes)} classes, {summary['n_windows']} "
              f"training windows)")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from bci.pipeline.evaluation import evaluate
    from bci.pipeline.model import load_model

    _one_blas_thread()
    model = load_model(args.model)
    result = evaluate(model, args.data)
    if args.json:
        _print_json(result)
        return 0
    for f in result["files"]:
        s = f["scores"]
        acc = f"{s['accuracy']:.3f}" if "accuracy" in s else "-"
        print(f"{f['file']}: {s['n_decisions']} decisions, accuracy {acc}")
    if "accuracy" in result:
        print(f"accuracy {result['accuracy']:.3f}, balanced accuracy "
              f"{result['balanced_accuracy']:.3f}"
              + (f", ROC-AUC {result['roc_auc']:.3f}" if "roc_auc" in result else ""))
        cm = result["confusion_matrix"]
        width = max(len(c) for c in cm["labels"]) + 2
        print("confusion matrix (rows: true, columns: predicted)")
        print(" " * width + "".join(f"{c:>{width}}" for c in cm["labels"]))
        for label, row in zip(cm["labels"], cm["matrix"], strict=True):
            print(f"{label:>{width}}" + "".join(f"{v:>{width}}" for v in row))
    print(f"{result['decisions_per_second']:.2f} decisions per second of signal; "
          f"evaluated at {result['speed_x_realtime']:.0f}x real time")
    return 0


# -- bench ---------------------------------------------------------------------------

#: The benchmark suite, in the order `bci bench` runs it (the soak runs only on request).
BENCHMARKS = ("bench_filters", "bench_replay", "bench_latency", "bench_decoders",
              "bench_monitor")


def cmd_bench(args: argparse.Namespace) -> int:
    import subprocess
    import tempfile

    folder = Path(__file__).resolve().parents[1] / "bench"
    if not folder.is_dir():
        raise BciError(f"{folder}: the benchmarks ship with the source tree, not the "
                       "package: run 'bci bench' from a clone of the project")
    names = args.only or list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS) - {"bench_soak"})
    if unknown:
        raise BciError(f"unknown benchmark(s) {unknown}: choose from "
                       f"{', '.join((*BENCHMARKS, 'bench_soak'))}")
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            out = Path(tmp) / f"{name}.json"
            command = [sys.executable, str(folder / f"{name}.py"), "--json", str(out)]
            if args.quick and name != "bench_filters" and name != "bench_monitor":
                command.append("--quick")
            log.info("running %s", " ".join(command[1:]))
            # The tables go to stderr, so that --json keeps stdout to one JSON object.
            done = subprocess.run(command, stdout=sys.stderr, check=False)
            results[name] = (json.loads(out.read_text()) if out.is_file()
                             else {"error": f"exit status {done.returncode}"})
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=float))
        log.info("wrote %s", args.json)
    return 0 if all("error" not in r for r in results.values()) else 1


# -- demo ------------------------------------------------------------------------------

def cmd_demo(args: argparse.Namespace) -> int:
    from bci.demo import run_demo

    _one_blas_thread()
    return run_demo(speed=args.speed, gui=args.gui, recording=args.recording)


# -- commands that live in other packages ---------------------------------------------

def _lazy_command(module_name: str) -> Callable[[argparse.Namespace], int]:
    """A command whose arguments and code live in ``module_name`` (``add_arguments`` and
    ``run``), imported only when it runs, so plain ``bci`` never loads Qt."""
    def run(args: argparse.Namespace) -> int:
        return importlib.import_module(module_name).run(args)
    return run


# -- parser ----------------------------------------------------------------------------

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}
_SUBPARSERS: dict[str, argparse.ArgumentParser] = {}
#: Subcommands implemented elsewhere: name -> (module with add_arguments/run, help).
_LAZY_HELP = {
    "monitor": ("bci_apps.monitor", "the desktop monitor: traces, spectra, decisions, health"),
    "record": ("bci.record", "record LSL streams to XDF (crash-safe: flushed every 0.2 s)"),
    "neurofeedback": ("bci.feedback", "closed-loop neurofeedback: baseline, feedback value, "
                      "reward, session report"),
}
_LAZY = {name: module for name, (module, _) in _LAZY_HELP.items()}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bci", description="Real-time BCI decoding over Lab Streaming Layer.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _SUBPARSERS.clear()

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
    p.add_argument("--fault", default=None, metavar="SPEC",
                   help="inject faults, e.g. drop@10:100,nan@20:32,pause@30:2,restart@40:2,"
                        "jitter@50:5,shift@60:-20 (KIND@SECONDS:VALUE; see docs/faults.md)")
    p.add_argument("--json", action="store_true", help="print a JSON summary at the end")
    COMMANDS["replay"] = cmd_replay

    p = sub.add_parser("simulate", help="write a synthetic recording with markers")
    p.add_argument("out")
    p.add_argument("--paradigm", required=True,
                   help="motor-imagery | ssvep | p300 | emg | rest")
    p.add_argument("--duration", type=float, default=None, help="seconds of signal")
    p.add_argument("--seed", type=int, default=0)
    COMMANDS["simulate"] = cmd_simulate

    p = sub.add_parser("live", help="decode a live stream, push decisions over LSL")
    p.add_argument("spec", metavar="CONFIG.toml|MODEL")
    p.add_argument("--stream", required=True, help="name of the signal stream")
    p.add_argument("--markers", default=None,
                   help="marker stream (default for marker-locked pipelines: STREAM-markers)")
    p.add_argument("--out-stream", default="bci-decisions",
                   help="decision stream name (default bci-decisions)")
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
    COMMANDS["live"] = cmd_live

    p = sub.add_parser("train", help="fit a pipeline on calibration recordings")
    p.add_argument("config")
    p.add_argument("--data", nargs="+", required=True, help="calibration recordings")
    p.add_argument("--out", required=True, help="model file to write")
    p.add_argument("--cv", type=int, default=5, help="cross-validation folds (default 5)")
    p.add_argument("--report", default=None, help="folder for a report with plots")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    COMMANDS["train"] = cmd_train

    p = sub.add_parser("evaluate", help="score a model pseudo-online on held-out recordings")
    p.add_argument("model")
    p.add_argument("--data", nargs="+", required=True, help="held-out recordings")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object, with every decision")
    COMMANDS["evaluate"] = cmd_evaluate

    p = sub.add_parser("bench", help="run the benchmark suite (bench/), print the tables")
    p.add_argument("--json", default=None, metavar="FILE", help="write every result here")
    p.add_argument("--quick", action="store_true", help="shorter runs, for a smoke test")
    p.add_argument("--only", nargs="+", default=None, metavar="NAME",
                   help="run only these (e.g. bench_replay; bench_soak is never run "
                        "unless named)")
    COMMANDS["bench"] = cmd_bench

    for name, (module, text) in _LAZY_HELP.items():
        _SUBPARSERS[name] = sub.add_parser(name, help=text)
        COMMANDS[name] = _lazy_command(module)

    p = sub.add_parser("demo", help="replay a shipped sample, decode it live, show latency")
    p.add_argument("--speed", type=float, default=2.0, help="replay speed (default 2)")
    p.add_argument("--recording", default=None, help="another recording to use")
    p.add_argument("--gui", action="store_true", help="also open the monitor")
    COMMANDS["demo"] = cmd_demo

    return parser


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # stop cleanly: summaries and --stats files get written


def _one_blas_thread() -> None:
    # A live process decodes one window at a time: a second OpenBLAS thread only fights
    # liblsl and the replay for two cores (measured: tangent space p99 142 ms with two
    # BLAS threads, 3.3 ms with one). Process-wide, so set here, never in the library.
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bci`` console script."""
    _quiet_liblsl()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    lazy = _LAZY.get(argv[0]) if argv else None
    if lazy is not None:
        # The subcommand's own flags come from its module, loaded only when used.
        importlib.import_module(lazy).add_arguments(_SUBPARSERS[argv[0]])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(message)s", stream=sys.stderr)
    logging.getLogger("pyxdf").setLevel(logging.WARNING)  # "Importing XDF file..." chatter
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
