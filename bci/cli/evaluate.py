"""``bci evaluate MODEL --data FILE...``: pseudo-online scores on held-out recordings."""

from __future__ import annotations

import argparse

HELP = "score a model pseudo-online on held-out recordings"

#: Shown at the end of ``bci evaluate --help`` (see :func:`bci.cli.epilog`).
EXAMPLE = """\
bci train docs/configs/motor-imagery.toml \\
    --data recordings/sample-motor-imagery_raw.fif \\
    --out mi.skops --report report
bci simulate held-out_raw.fif --paradigm motor-imagery --duration 120 --seed 1
bci evaluate mi.skops --data held-out_raw.fif
"""
HOWTO = ("docs/quickstart.md (Train, evaluate, run a model)",
         "docs/python.md (the same from Python)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``bci evaluate``."""
    parser.add_argument("model", metavar="MODEL", help="a model file written by bci train")
    parser.add_argument("--data", nargs="+", required=True, metavar="FILE",
                        help="held-out recordings, with the event labels the model was "
                             "trained on")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object, with every decision")
    parser.add_argument("--print", dest="print_decisions", action="store_true",
                        help="print every decision first, in the columns of 'bci live "
                             "--print' (trial, file time), to compare them line by line")
    parser.add_argument("--compare-adapt", action="store_true",
                        help="score each file with and without adaptation ([adapt], or "
                             "re-centering by default), side by side, with the accuracy "
                             "over time")


def run(args: argparse.Namespace) -> int:
    """Evaluate and print the scores."""
    from bci.cli.supervisor import one_blas_thread, print_json
    from bci.learn.evaluation import evaluate
    from bci.pipeline.model import load_model

    one_blas_thread()
    model = load_model(args.model)
    if args.compare_adapt:
        from bci.learn.compare_adapt import compare_adapt, format_comparison

        comparison = compare_adapt(model, args.data)
        if args.json:
            print_json(comparison)
        else:
            print(format_comparison(comparison))
        return 0
    printer = None
    if args.print_decisions and not args.json:
        from bci.outputs import DecisionPrinter

        def printer(path: str) -> DecisionPrinter:
            return DecisionPrinter(title=f"'{path}'")
    result = evaluate(model, args.data, printer=printer)
    if args.json:
        print_json(result)
        return 0
    if result.get("output") == "continuous":  # a regression model ([targets])
        if "r2" in result:
            per = ", ".join(f"{k} {v:.3f}" for k, v in result["r2_per_target"].items())
            print(f"R² {result['r2']:.3f} ({per}) over {result['n_decisions']} decisions")
        if "cursor_1d" in result:
            c = result["cursor_1d"]
            print(f"1-D cursor: {c['hits']} hits, {c['misses']} misses, {c['timeouts']} "
                  f"timeouts of {c['n_trials']} trials (hit rate {c['hit_rate']:.2f})")
        print(f"{result['decisions_per_second']:.2f} decisions per second of signal; "
              f"evaluated at {result['speed_x_realtime']:.0f}x real time")
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
