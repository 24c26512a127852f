"""``bci train CONFIG.toml --data FILE... --out MODEL``: fit through the live signal path."""

from __future__ import annotations

import argparse
import sys

HELP = "fit a pipeline on calibration recordings"
DESCRIPTION = """\
Fit the pipeline CONFIG.toml describes on calibration recordings, print its
cross-validated scores, and save the model for bci evaluate and bci live.

CONFIG.toml is a pipeline in TOML: [signal] picks, [[filters]], [epochs],
[online], [decoder] (the format: docs/pipeline.md). Start from one of the
ready-made pipelines in docs/configs/ (motor-imagery.toml, ssvep.toml,
p300.toml, emg-gestures.toml, ...) and edit it.

The labels in [epochs].events must be event labels of the recordings:
events = { left = "T1", right = "T2" } needs annotations T1 and T2 in the
--data files. `bci info FILE` lists a file's event labels with their counts.
"""

#: Shown at the end of ``bci train --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
bci train docs/configs/motor-imagery.toml \\
    --data recordings/sample-motor-imagery_raw.fif \\
    --out mi.skops --report report
"""
HOWTO = ("docs/pipeline.md (the TOML format)",
         "docs/configs/ (ready-made pipelines to start from)",
         "docs/python.md (the same from Python, on mne Raw or Epochs)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``bci train``."""
    parser.add_argument("config", metavar="CONFIG.toml",
                        help="the pipeline: a TOML file such as docs/configs/motor-imagery.toml")
    parser.add_argument("--data", nargs="+", required=True, metavar="FILE",
                        help="calibration recordings (FIF, EDF, BDF, GDF, BrainVision, XDF) "
                             "whose event labels are those of [epochs].events")
    parser.add_argument("--out", required=True, metavar="MODEL",
                        help="model file to write (e.g. mi.skops)")
    parser.add_argument("--cv", type=int, default=5, metavar="K",
                        help="cross-validation folds (default 5)")
    parser.add_argument("--report", default=None, metavar="DIR",
                        help="folder for a report: summary.md, cv_scores.png, "
                             "confusion_matrix.png")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _progress(done: int, total: int, score: float) -> None:
    # A bar redrawn with \r is for a terminal; in a log it is one endless line.
    if not sys.stderr.isatty():
        return
    bar = "#" * done + "." * (total - done)
    sys.stderr.write(f"\rcross-validation [{bar}] fold {done}/{total}: {score:.3f}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _pooled_line(pooled: dict) -> str:
    """The pooled accuracy and its interval, with a warning when folds are small."""
    low, high = pooled["ci"]
    line = (f"pooled over folds: {pooled['n_correct']} of {pooled['n_test']} test windows "
            f"correct, accuracy {pooled['accuracy']:.3f}, {pooled['ci_level']:.0%} CI "
            f"{low:.2f}-{high:.2f} (Clopper-Pearson)")
    if not pooled["independent"]:
        line += ("; windows of one labelled segment are not independent trials, so the "
                 "true interval is wider")
    if pooled["few_trials"]:
        line += (f"\nwarning: the smallest fold tests only {pooled['smallest_fold']} "
                 f"windows: one trial moves its accuracy by "
                 f"{1 / pooled['smallest_fold']:.2f}, so single fold scores are noise; "
                 "judge by the pooled interval, or record more trials")
    return line


def run(args: argparse.Namespace) -> int:
    """Train, cross-validate, save the model (and the report)."""
    from bci.cli.supervisor import one_blas_thread, print_json
    from bci.learn.report import write_training_report
    from bci.learn.training import pooled_accuracy, train
    from bci.pipeline.config import load_config
    from bci.pipeline.model import save_model

    one_blas_thread()
    config = load_config(args.config)
    model, data, scores = train(config, args.data, n_folds=args.cv,
                                progress=None if args.json else _progress)
    path = save_model(model, args.out)
    summary = {"model": str(path), "classes": model.classes,
               "n_windows": int(data.X.shape[0]), "channels": len(model.ch_names),
               "sfreq": model.sfreq, "cv": scores}
    # A classifier's folds are scored by accuracy, a regression's ([targets]) by R².
    metric = "accuracy" if scores and "accuracy" in scores[0] else "r2"
    if scores:
        summary[f"cv_{metric}_mean"] = float(sum(s[metric] for s in scores) / len(scores))
    pooled = pooled_accuracy(scores) if metric == "accuracy" else None
    if pooled is not None:
        summary["cv_accuracy_pooled"] = pooled["accuracy"]
        summary["cv_accuracy_ci"] = pooled["ci"]
        summary["cv_accuracy_ci_level"] = pooled["ci_level"]
        summary["cv_accuracy_ci_method"] = pooled["ci_method"]
        summary["cv_n_test"] = pooled["n_test"]
        summary["cv_smallest_fold"] = pooled["smallest_fold"]
        summary["cv_few_trials"] = pooled["few_trials"]
    if args.report:
        summary["report"] = str(write_training_report(args.report, model, data, scores))
    if args.json:
        print_json(summary)
    else:
        for fold in scores:
            if metric == "accuracy":
                print(f"fold {fold['fold']}: accuracy {fold['accuracy']:.3f}, balanced "
                      f"{fold['balanced_accuracy']:.3f} ({fold['n_test']} windows)")
            else:
                print(f"fold {fold.get('fold', '?')}: R² {fold['r2']:.3f}")
        if scores:
            print(f"mean cross-validated {metric}: {summary[f'cv_{metric}_mean']:.3f}")
        if pooled is not None:
            print(_pooled_line(pooled))
        what = (f"{len(model.classes)} classes" if model.classes
                else f"targets {', '.join(model.info.get('targets', []))}")
        print(f"saved {path} ({what}, {summary['n_windows']} training windows)")
    return 0
