"""``bci assess PROTOCOL.toml (--stream N | --simulate) --out DIR [--person DIR] [--json]``.

Resting eyes open, eyes closed, then the continuous performance test, in one session:
the window (``bci_apps.assess_command``) presents it and :class:`bci.record.Recorder`
records the EEG and the markers in ``DIR/assessment.xdf``; the scores are computed from
that file, so what the report says is what the recording holds. ``--simulate`` runs the
same session on a virtual clock (no window, no network): the simulated responder presses
keys, the simulated headset sends EEG whose theta/beta ratio the protocol sets.
``--simulate --window`` shows the window as well, with the responder's key presses
injected as key events.

Everything that can fail is checked before the first screen: the protocol, the person
folder and its history, the output folder, the stream and its channels.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from bci.errors import ConfigError

# The scoring, the report and the session (numpy, scipy, matplotlib, pylsl) are imported
# inside the functions: ``bci --help`` builds every subcommand's parser.

__all__ = ["HELP", "add_arguments", "finish", "run"]

HELP = "attention assessment: resting EEG (eyes open/closed) and a continuous " \
       "performance test, with a report"
RECORDING = "assessment.xdf"
DEFAULT_MARKERS = "bci-assess"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``bci assess`` to ``parser``."""
    parser.add_argument("protocol", metavar="PROTOCOL.toml",
                        help="the assessment protocol (docs/protocols/assess-attention.toml)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stream", default=None, metavar="NAME",
                        help="the headset's EEG stream to record")
    source.add_argument("--simulate", action="store_true",
                        help="no person, no headset: the simulated responder and EEG of "
                             "the protocol's [simulate] table, on a virtual clock")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder for the recording and the report (created)")
    parser.add_argument("--person", default=None, metavar="DIR",
                        help="the person's folder: the session is appended to its history "
                             "and compared with their earlier assessments")
    parser.add_argument("--json", action="store_true",
                        help="print the scores as JSON (omission_errors, commission_errors,"
                             " rt_mean_ms, rt_sd_ms, d_prime, theta_beta_ratio, "
                             "alpha_peak_hz)")
    parser.add_argument("--window", action="store_true",
                        help="with --simulate: show the window (responder key presses are "
                             "injected as key events)")
    parser.add_argument("--no-resting", action="store_true",
                        help="skip the resting periods (CPT only)")
    parser.add_argument("--markers", default=DEFAULT_MARKERS, metavar="NAME",
                        help=f"name of the marker stream (default {DEFAULT_MARKERS})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the letter sequence")
    parser.add_argument("--duration", type=float, default=None, metavar="S",
                        help="stop after S seconds (the session is kept as interrupted)")
    parser.add_argument("--fullscreen", action="store_true", help="fill the screen")
    parser.add_argument("--screen", type=int, default=None, metavar="K",
                        help="screen index (default: the primary screen)")
    parser.add_argument("--backend", choices=["auto", "opengl", "raster"], default="auto",
                        help="window kind (default: OpenGL where available)")
    parser.add_argument("--screenshot", default=None, metavar="PNG",
                        help="save the window while the first letter shows")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing report in --out")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds to wait for the stream (default 10)")


def _check(args: argparse.Namespace):
    from bci.attention.history import read_history
    from bci.attention.protocol import load_assess_protocol

    protocol = load_assess_protocol(args.protocol)
    if args.simulate:
        from bci.attention.session import check_channels

        check_channels(protocol, protocol.simulate.channels, "simulated EEG")
    if args.duration is not None and not (math.isfinite(args.duration) and
                                          args.duration > 0):
        raise ConfigError(f"--duration {args.duration}: give a positive number of seconds")
    if args.window and not args.simulate:
        raise ConfigError("--window goes with --simulate (with --stream the window always "
                          "shows)")
    if args.person is not None:
        read_history(args.person)  # missing folder, newer or damaged history: one line
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder: give a folder")
    if ((out / "assessment.json").exists() or (out / RECORDING).exists()) and \
            not args.overwrite:
        raise ConfigError(f"--out {out}: already holds an assessment: choose another "
                          "folder or add --overwrite")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"--out {out}: cannot create the folder ({err.strerror})") \
            from None
    return protocol


def finish(args: argparse.Namespace, protocol, result: dict, spectra: dict) -> dict:
    """Write the report, append the history, print; returns the history entry (or {})."""
    from bci.attention.history import append_session, check_person, read_history
    from bci.attention.report import write_assessment_report

    out = Path(args.out)
    earlier = []
    if args.person is not None:
        earlier = [s for s in read_history(args.person)["sessions"]
                   if s.get("kind") == "assessment" and s.get("status") == "complete"]
    paths = write_assessment_report(out, result, spectra, earlier)
    entry: dict = {}
    if args.person is not None:
        person = check_person(args.person)
        try:
            folder = str(out.resolve().relative_to(person.resolve()))
        except ValueError:
            folder = str(out.resolve())
        summary = {k: result[k] for k in ("omission_errors", "commission_errors",
                                          "rt_mean_ms", "rt_sd_ms", "d_prime",
                                          "theta_beta_ratio", "alpha_peak_hz")}
        cpt = result.get("cpt") or {}
        summary.update(beta=cpt.get("beta"), anticipatory=cpt.get("anticipatory"),
                       rt_block_sd_ms=cpt.get("rt_block_sd_ms"),
                       completed=result["completed"])
        entry = append_session(person, {"kind": "assessment", "status": result["status"],
                                        "folder": folder,
                                        "protocol": Path(protocol.origin).name,
                                        "summary": summary})
    if args.json:
        keys = ("omission_errors", "commission_errors", "rt_mean_ms", "rt_sd_ms",
                "d_prime", "theta_beta_ratio", "alpha_peak_hz")
        print(json.dumps({**{k: result[k] for k in keys}, "status": result["status"],
                          "report": str(paths["markdown"])}, indent=2))
    else:
        print(f"assessment {result['status']}: {result['completed']['cpt_stimuli']} of "
              f"{result['completed']['cpt_planned']} letters; omissions "
              f"{_f(result['omission_errors'])}, commissions "
              f"{_f(result['commission_errors'])}, "
              f"RT {_f(result['rt_mean_ms'])} ± {_f(result['rt_sd_ms'])} ms, d' "
              f"{_f(result['d_prime'], 2)}, theta/beta {_f(result['theta_beta_ratio'], 2)}, "
              f"alpha peak {_f(result['alpha_peak_hz'], 2)} Hz")
        print(f"report: {paths['markdown']} (no clinical norms; compared with own sessions"
              " only)")
    return entry


def _f(v, digits: int = 0) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def run(args: argparse.Namespace) -> int:
    """Assess; 0 after a complete session, 3 after an interrupted one (kept, flagged)."""
    from bci.attention.session import analyse, assess_virtual, load_recording

    protocol = _check(args)
    if args.no_resting:
        from dataclasses import replace
        protocol = replace(protocol, resting=replace(protocol.resting, eyes_open=0.0,
                                                     eyes_closed=0.0, instructions=0.0))
    recording = Path(args.out) / RECORDING
    if args.simulate and not args.window:
        run_ = assess_virtual(protocol, recording, seed=args.seed, duration=args.duration,
                              overwrite=True, markers_name=args.markers)
    else:
        from importlib import import_module

        run_ = import_module("bci_apps.assess_command").run_live(args, protocol,
                                                                 recording)
    n_planned = run_["n_planned"]
    signal, times, sfreq, names, markers = load_recording(
        recording, None if args.simulate else args.stream, args.markers)
    result, spectra = analyse(signal, times, sfreq, names, markers, protocol,
                              n_planned=n_planned)
    result["recording"] = RECORDING
    result["protocol"] = Path(protocol.origin).name
    result["simulated"] = bool(args.simulate)
    if run_.get("responder") is not None:
        # What the simulated responder says it did, letter by letter (kind, RT in s).
        result["responder_events"] = [
            {"kind": e.kind, "rt": e.rt, "anticipatory": list(e.anticipatory)}
            for e in run_["responder"].events]
    finish(args, protocol, result, spectra)
    return 0 if result["status"] == "complete" else 3
