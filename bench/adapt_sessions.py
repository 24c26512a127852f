"""Cross-run and cross-session accuracy on the real recordings, adapted vs not (issue 13).

    python bench/adapt_sessions.py [--json FILE] [--only NAME ...]

For each pair (train on one run or session, evaluate on another) it trains the model once
and runs :func:`bci.learn.compare_adapt.compare_adapt` with each adaptation setting: the held-out
file is one session, adaptation starts afresh on it. Prints one table, writes JSON
(default ``bench/results/adapt_sessions.json``). Needs ``../shared/recordings`` (or
``BCI_SHARED_RECORDINGS=DIR``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bci.errors import ConfigError  # noqa: E402
from bci.learn.compare_adapt import compare_adapt  # noqa: E402
from bci.learn.evaluation import evaluate  # noqa: E402
from bci.learn.training import train  # noqa: E402
from bci.pipeline.config import parse_config  # noqa: E402

#: The real recordings: ``../shared/recordings`` beside the project, or $BCI_SHARED_RECORDINGS.
SHARED = Path(os.environ.get("BCI_SHARED_RECORDINGS", ROOT.parent / "shared" / "recordings"))
CONFIGS = ROOT / "docs" / "configs"

#: The ``[adapt]`` tables compared with the un-adapted decoder (each model is trained with
#: its table, so supervised updates start from the calibration trials).
SETTINGS = {
    "recenter": 'recenter = "unsupervised"',  # forgetting 0.95, warm-up 5
    "recenter-cumulative": 'recenter = "unsupervised"\nforgetting = 1.0',
    "supervised": "supervised = true",
    "recenter+supervised": 'recenter = "unsupervised"\nsupervised = true',
}


def _config(name: str, **replace: str) -> str:
    text = (CONFIGS / name).read_text()
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


MI = _config("motor-imagery.toml")
MI_FEET = _config("motor-imagery.toml",
                  **{'events = { left = "T1", right = "T2" }':
                     'events = { fists = "T1", feet = "T2" }'})
# SSVEP has no covariance decoder among the kinds: tangent space on the 8 occipital
# channels band-passed around the three stimuli (12-22 Hz) stands in for one.
SSVEP_TS = _config("ssvep-exoskeleton.toml", **{
    'kind = "cca"\nfrequencies = { "13Hz" = 13.0, "21Hz" = 21.0, "17Hz" = 17.0 }\n'
    'harmonics = 2': 'kind = "tangent-space-lr"',
    "l_freq = 5.0\nh_freq = 50.0": "l_freq = 12.0\nh_freq = 22.0"})
SSVEP_CCA = _config("ssvep-exoskeleton.toml")
EMG_TS = _config("emg-gestures.toml", **{
    'kind = "emg-lda"\nfeatures = ["rms", "mav", "wl", "zc", "ssc"]':
    'kind = "tangent-space-lr"'})
EMG_LDA = _config("emg-gestures.toml")
P300 = _config("p300-muse.toml")


def _pairs() -> list[tuple[str, str, list[Path], list[Path]]]:
    mi = SHARED / "physionet-eegmmidb/S001"
    pairs = [("mi R04->R08", MI, [mi / "S001R04.edf"], [mi / "S001R08.edf"]),
             ("mi R08->R04", MI, [mi / "S001R08.edf"], [mi / "S001R04.edf"]),
             ("mi fists/feet R06->R05", MI_FEET, [mi / "S001R06.edf"], [mi / "S001R05.edf"])]
    for subject in sorted((SHARED / "ssvep-exoskeleton").glob("subject*")):
        first, second = sorted(subject.glob("*_raw.fif"))[:2]
        pairs.append((f"ssvep {subject.name} 1->2 (ts-lr)", SSVEP_TS, [first], [second]))
        pairs.append((f"ssvep {subject.name} 1->2 (cca)", SSVEP_CCA, [first], [second]))
    p300 = sorted((SHARED / "eeg-notebooks-muse/visual/P300").rglob("*.csv.gz"))
    pairs.append(("p300 muse files 1-4 -> 5, 6", P300, p300[:4], p300[4:]))
    for subject in sorted((SHARED / "uci-emg-gestures").glob("subject*")):
        first, second = sorted(subject.glob("*.txt.gz"))[:2]
        pairs.append((f"emg {subject.name} 1->2 (ts-lr)", EMG_TS, [first], [second]))
        pairs.append((f"emg {subject.name} 1->2 (emg-lda)", EMG_LDA, [first], [second]))
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path,
                        default=ROOT / "bench" / "results" / "adapt_sessions.json")
    parser.add_argument("--only", nargs="*", default=None,
                        help="run only the pairs whose name contains one of these")
    args = parser.parse_args(argv)
    rows = []
    header = (f"{'pair':<34} {'adaptation':<20} {'n':>5} {'acc':>6} {'acc+':>6} "
              f"{'auc':>6} {'auc+':>6} {'Δcorrect':>8}  adapted acc over time")
    print(header)
    for name, text, train_files, test_files in _pairs():
        if args.only and not any(o in name for o in args.only):
            continue
        baseline_shown = False
        for label, table in SETTINGS.items():
            started = time.perf_counter()
            try:
                config = parse_config(f"{text}\n[adapt]\n{table}\n", origin=name)
            except ConfigError as err:  # recenter on CCA, supervised on a training-free kind
                reason = str(err).split("[adapt]", 1)[-1]
                print(f"{name:<34} {label:<20} refused: [adapt]{reason[:60]}", flush=True)
                rows.append({"pair": name, "adaptation": label, "refused": str(err)})
                if not baseline_shown:  # what the un-adaptable decoder scores as it is
                    baseline_shown = True
                    model, _, _ = train(parse_config(text, origin=name), train_files,
                                        n_folds=0)
                    plain = evaluate(model, test_files)
                    print(f"{name:<34} {'none (un-adapted)':<20} {plain['n_labelled']:>5} "
                          f"{plain['accuracy']:6.3f}", flush=True)
                    rows.append({"pair": name, "adaptation": "none", "unadapted": {
                        k: plain[k] for k in ("n_labelled", "accuracy", "balanced_accuracy")}})
                continue
            if label == "recenter+supervised" and "emg" in name:
                continue  # a refit per 25-ms window on both: minutes, and recenter alone fails
            model, _, _ = train(config, train_files, n_folds=0)
            result = compare_adapt(model, test_files)
            un, ad = result["unadapted"], result["adapted"]
            over = " ".join(f"{b['accuracy']:.2f}"
                            for b in result["files"][0]["over_time"]["adapted"])
            auc = (f"{un['roc_auc']:6.3f} {ad['roc_auc']:6.3f}" if "roc_auc" in un
                   else f"{'-':>6} {'-':>6}")
            print(f"{name:<34} {label:<20} {un['n_labelled']:>5} {un['accuracy']:6.3f} "
                  f"{ad['accuracy']:6.3f} {auc} {result['delta']['correct']:>+8d}  {over}",
                  flush=True)
            rows.append({"pair": name, "adaptation": label, "settings": result["settings"],
                         "n_labelled": un["n_labelled"], "unadapted": un, "adapted": ad,
                         "delta": result["delta"],
                         "over_time": [f["over_time"] for f in result["files"]],
                         "seconds": time.perf_counter() - started})
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"rows": rows}, indent=1))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
