"""Benchmark: the extra cost per decision of each adaptation, as a ratio to the plain decoder.

For each paradigm, real windows are cut from a calibration recording by the live signal
path (:func:`bci.learn.training.training_windows`), the plain decoder and each
adaptive variant are fitted on them, and then every variant decides the same windows in
the same order, one window per call, as the live loop does (``predict_proba`` on one
window; for ``supervised`` also :meth:`bci.adapt.SupervisedUpdates.update` with its true
label; for ``normalise`` :meth:`bci.adapt.OutputNormaliser.update` after a band-power
decision). Variants are interleaved window by window, in an order rotated at each
window (so none always meets the data cold), and all see the same background load;
ratios are of medians (and of p99s) measured in this run, against the plain decoder of
the same paradigm. One BLAS thread (``threadpool_limits(1)``), as ``bci live``.

| variant | what a decision costs on top of the plain decoder |
|---|---|
| recenter | one geodesic step of the running mean (forgetting 0.95) + one transport |
| recenter-window | the exact mean of the last 20 covariances (warm-started) + transport |
| supervised | the update after each decision: a refit on calibration + session trials |
| normalise | the offset/gain update of a continuous output |

Usage::

    python bench/bench_adapt.py [--json FILE] [--decisions N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from common import load, machine, summarize, table, write_json  # bench/ is on sys.path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("BCI_SHARED_RECORDINGS", ROOT.parent / "shared" / "recordings"))
CONFIGS = ROOT / "docs" / "configs"


def _paradigms() -> list[tuple[str, str, list[Path]]]:
    mi = SHARED / "physionet-eegmmidb/S001"
    p300 = sorted((SHARED / "eeg-notebooks-muse/visual/P300").rglob("*.csv.gz"))
    emg = sorted((SHARED / "uci-emg-gestures/subject01").glob("*.txt.gz"))
    mi_text = (CONFIGS / "motor-imagery.toml").read_text()
    emg_text = (CONFIGS / "emg-gestures.toml").read_text().replace(
        'kind = "emg-lda"\nfeatures = ["rms", "mav", "wl", "zc", "ssc"]',
        'kind = "tangent-space-lr"')
    return [
        ("mi tangent-space-lr (64 ch)", mi_text, [mi / "S001R04.edf"]),
        ("mi mdm (64 ch)", mi_text.replace('kind = "tangent-space-lr"', 'kind = "mdm"'),
         [mi / "S001R04.edf"]),
        ("p300 xdawn-ts-lr (4 ch)", (CONFIGS / "p300-muse.toml").read_text(), p300[:4]),
        ("emg tangent-space-lr (8 ch)", emg_text, emg[:1]),
    ]


def _variants(config_text: str, data) -> dict:
    from bci.adapt import SupervisedUpdates
    from bci.adapt.model import with_adaptation
    from bci.learn.training import make_estimator
    from bci.pipeline.config import parse_config
    from bci.pipeline.model import Model

    def fitted(adapt: str) -> Model:
        config = parse_config(config_text + adapt, origin="bench")
        decoder = make_estimator(config, data.sfreq).fit(data.X, data.y)
        return Model(config=config, decoder=decoder, ch_names=data.ch_names,
                     sfreq=data.sfreq, classes=[str(c) for c in decoder.classes_])

    plain = fitted("")
    recenter = with_adaptation(fitted('\n[adapt]\nrecenter = "unsupervised"\nwarmup = 0\n'))
    window = with_adaptation(fitted('\n[adapt]\nrecenter = "unsupervised"\nwindow = 20\n'
                                    "warmup = 0\n"))
    supervised = fitted("\n[adapt]\nsupervised = true\n")
    updates = SupervisedUpdates(supervised.decoder, supervised.classes)
    return {"plain": (plain.decoder, None), "recenter": (recenter.decoder, None),
            "recenter-window": (window.decoder, None),
            "supervised": (supervised.decoder, updates)}


def _normalise_variant(data):
    from bci.adapt import OutputNormaliser
    from bci.decoders import make_decoder

    band_power = make_decoder("band-power", {}, sfreq=data.sfreq, classes=None)
    band_power.fit(None)
    return band_power, OutputNormaliser(seconds=30.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=str(ROOT / "bench/results/bench_adapt.json"))
    parser.add_argument("--decisions", type=int, default=150,
                        help="decisions per variant (default 150)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    from threadpoolctl import threadpool_limits

    from bci.learn.training import training_windows
    from bci.pipeline.config import parse_config
    from bci.replay.files import sources_from_file

    info = machine()
    rows, results = [], []
    for name, text, files in _paradigms():
        data = training_windows(parse_config(text, origin=name),
                                [sources_from_file(f)[0] for f in files])
        variants = _variants(text, data)
        band_power, normaliser = _normalise_variant(data)
        times: dict[str, list[float]] = {k: [] for k in [*variants, "band-power",
                                                          "band-power+normalise"]}
        with threadpool_limits(1):
            for i in range(args.decisions):
                window = data.X[i % len(data.X)][np.newaxis]
                label = data.y[i % len(data.y)]
                # rotate the order, so no variant always meets the window's data cold
                keys = list(variants)
                for key in keys[i % len(keys):] + keys[:i % len(keys)]:
                    decoder, updates = variants[key]
                    start = time.perf_counter_ns()
                    decoder.predict_proba(window)
                    if updates is not None:
                        updates.update(window[0], label)
                    times[key].append((time.perf_counter_ns() - start) / 1e6)
                for key in (("band-power", "band-power+normalise") if i % 2 else
                            ("band-power+normalise", "band-power")):
                    start = time.perf_counter_ns()
                    value = float(np.ravel(band_power.transform(window))[0])
                    if key == "band-power+normalise":
                        normaliser.update(value, i * 0.1)
                    times[key].append((time.perf_counter_ns() - start) / 1e6)
        stats = {k: summarize(np.array(v[5:])) for k, v in times.items()}  # 5 warm-up calls
        for key in times:
            base = stats["band-power" if key.startswith("band-power") else "plain"]
            ratio = stats[key]["p50"] / base["p50"]
            ratio99 = stats[key]["p99"] / base["p99"]
            rows.append([name, key, stats[key]["p50"], stats[key]["p99"], ratio, ratio99])
            results.append({"paradigm": name, "variant": key, "n_windows": len(data.X),
                            "window_shape": list(data.X.shape[1:]), **stats[key],
                            "ratio_p50": ratio, "ratio_p99": ratio99})
        print(f"{name}: done", file=sys.stderr, flush=True)
    info["loadavg_end"] = load()
    print(table(["paradigm", "variant", "p50 ms", "p99 ms", "x p50", "x p99"], rows))
    print(f"load {info['loadavg_start'][0]:.2f} -> {info['loadavg_end'][0]:.2f}; "
          f"{args.decisions} decisions per variant, 1 BLAS thread")
    write_json(args.json, {"machine": info, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
