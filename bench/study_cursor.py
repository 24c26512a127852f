"""Study (not a timing benchmark): closed-loop bits per second vs channels and drift.

Everything runs on the virtual clock (:func:`bci.cursor.loop.run_closed_loop`), so the
numbers depend on the seeds, not on the machine's load.

Part 1, channel count: for 96, 256 and 1024 simulated neurons, a Kalman filter is
trained on ``--calibration`` seconds of centre-out reaches (``simulate_cursor``, session
seed 1), then the simulated user runs the 35 x 35 grid task (dwell 0.6 s) for 60 s, for
each of ``--seeds`` seeds; success rate, BPS (Webgrid) and time to target, mean over seeds.

Part 2, drift: 96 neurons whose preferred directions drift (3 degrees per minute, s.d.
per neuron). The calibration's decoder is used 0, 10, 20 and 30 minutes later: once as
it is, and once after a ReFIT refit (Gilja et al. 2012) on 60 s of closed-loop
centre-out use at that time (intended velocity: the decoded speed turned towards the
target, zero on it).

Usage::

    python bench/study_cursor.py [--json FILE] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from common import markdown_table, table, write_json

TOML = """
[signal]
picks = "seeg"
[targets]
channels = ["cursor_vx", "cursor_vy"]
[online]
mode = "sliding"
window = 0.02
step = 0.02
[decoder]
kind = "kalman"
"""


def calibrate(n_neurons: int, seconds: float, drift: float | None = None):
    from bci.datasets.cursor import DRIFT, simulate_cursor
    from bci.learn.training import train_sources
    from bci.pipeline.config import parse_config
    from bci.replay import ReplaySource

    raw = simulate_cursor(duration=seconds, seed=1, n_channels=n_neurons,
                          drift=DRIFT if drift is None else drift)
    model, _, _ = train_sources(parse_config(TOML), [ReplaySource.from_raw(raw, "cal")],
                                n_folds=1)
    return model


def grid_runs(model, population, seeds, t0: float = 0.0) -> dict:
    from bci.cursor import GridTask, SimulatedUser
    from bci.cursor.loop import run_closed_loop

    runs = [run_closed_loop(model, GridTask(35, seed=s),
                            SimulatedUser(population, model.sfreq, seed=s, t0=t0),
                            duration=60.0).metrics for s in seeds]
    return {"success_rate": float(np.mean([r["success_rate"] for r in runs])),
            "bps": float(np.mean([r["bps"] for r in runs])),
            "bps_per_seed": [round(r["bps"], 3) for r in runs],
            "time_to_target_s": float(np.mean([r["time_to_target_s"] or np.nan
                                               for r in runs]))}


def main(argv: list[str] | None = None) -> int:
    from bci.cursor import CenterOutTask, SimulatedUser
    from bci.cursor.loop import run_closed_loop
    from bci.datasets.cursor import DRIFT, NeuralPopulation

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument("--quick", action="store_true", help="one seed, 96 and 256 only")
    parser.add_argument("--calibration", type=float, default=90.0,
                        help="seconds of calibration reaches (default 90)")
    parser.add_argument("--seeds", type=int, default=3, help="task runs per cell")
    args = parser.parse_args(argv)
    seeds = range(1, 2 if args.quick else args.seeds + 1)
    channels = (96, 256) if args.quick else (96, 256, 1024)
    result: dict = {"study": "cursor", "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                    "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
                    "calibration_s": args.calibration, "seeds": list(seeds)}
    rows = []
    for n in channels:
        model = calibrate(n, args.calibration)
        cell = grid_runs(model, NeuralPopulation.draw(n, 0), seeds)
        cell.update(channels=n, r2_train=model.info["r2"])
        rows.append(cell)
        print(f"  {n} channels: {cell}", file=sys.stderr)
    result["channels"] = rows
    drift_rows = []
    model = calibrate(96, args.calibration)
    population = NeuralPopulation.draw(96, 0, drift=DRIFT)
    for minutes in (0, 10, 20, 30):
        t0 = minutes * 60.0
        plain = grid_runs(model, population, seeds, t0)
        use = run_closed_loop(model, CenterOutTask(seed=99),
                              SimulatedUser(population, model.sfreq, seed=99, t0=t0),
                              duration=60.0, keep_windows=True)
        refitted = replace(model, decoder=model.decoder.refit(use.windows,
                                                              use.refit_targets))
        refit = grid_runs(refitted, population, seeds, t0 + 60.0)
        drift_rows.append({"minutes": minutes, "plain": plain, "refit": refit})
        print(f"  drift {minutes} min: plain {plain['bps']:.2f} refit {refit['bps']:.2f}",
              file=sys.stderr)
    result["drift"] = drift_rows
    cols = ["channels", "train R²", "success", "BPS", "BPS per seed", "time to target s"]
    table_rows = [[r["channels"], r["r2_train"], r["success_rate"], r["bps"],
                   " / ".join(f"{b:.2f}" for b in r["bps_per_seed"]), r["time_to_target_s"]]
                  for r in rows]
    dcols = ["minutes after calibration", "success", "BPS", "success (ReFIT)", "BPS (ReFIT)"]
    drows = [[str(r["minutes"]), r["plain"]["success_rate"], r["plain"]["bps"],
              r["refit"]["success_rate"], r["refit"]["bps"]] for r in drift_rows]
    print(f"\nGrid 35 x 35, dwell 0.6 s, 60 s per run, mean of {len(seeds)} seed(s); "
          f"Kalman trained on {args.calibration:g} s of reaches\n")
    print(table(cols, table_rows))
    print(f"\nTuning drift {DRIFT:g} deg/min, 96 channels\n")
    print(table(dcols, drows))
    result["markdown"] = {"channels": markdown_table(cols, table_rows),
                          "drift": markdown_table(dcols, drows)}
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
