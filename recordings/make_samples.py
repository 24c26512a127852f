"""Regenerate the sample recordings in this folder, bit for bit.

The samples are simulations (``bci.datasets.simulate``, model in ``docs/simulate.md``)
with a fixed seed, so this script always writes the same files; ``tests/test_simulate.py``
regenerates them and fails if the shipped copies have gone stale. After changing the
signal model, run::

    python recordings/make_samples.py

and commit the new files with the change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bci.datasets import write_simulation

HERE = Path(__file__).resolve().parent

#: One seed for every sample: the samples differ by paradigm, not by luck of the draw.
SEED = 0

#: File name -> arguments of :func:`bci.datasets.write_simulation`. Durations are chosen
#: to hold whole trials and keep every file a few hundred kB.
SAMPLES: dict[str, dict[str, Any]] = {
    # 40 imagery trials (20 T1 left, 20 T2 right, in shuffled pairs), each after a 1-s
    # T0, on an 8-electrode sensorimotor layout: train on the first 24, decode the rest.
    "sample-motor-imagery_raw.fif": {
        "paradigm": "motor-imagery", "duration": 201.0,
        "ch_names": ["FC3", "FCz", "FC4", "C3", "Cz", "C4", "CP3", "CP4"]},
    # 8 trials of 4 s (2 each of 13Hz, 17Hz, 21Hz, rest), 1-s cue before each.
    "sample-ssvep_raw.fif": {"paradigm": "ssvep", "duration": 41.0},
    # 96 flashes, 16 targets (1 in 6), one every 0.25-0.35 s after a 1-s lead-in.
    "sample-p300_raw.fif": {"paradigm": "p300", "duration": 31.0},
    # 2 repetitions of 5 gestures (1.5 s each, after 1 s of rest), at 500 Hz.
    "sample-emg_raw.fif": {"paradigm": "emg", "duration": 25.5, "sfreq": 500.0},
    # 10-s blocks: eyes open, closed, open.
    "sample-rest_raw.fif": {"paradigm": "rest", "duration": 30.0},
}


def make_samples(out_dir: str | Path = HERE) -> list[Path]:
    """Write every sample recording into ``out_dir``.

    Parameters
    ----------
    out_dir : str | Path
        Destination folder (made if missing); this script's folder by default.

    Returns
    -------
    paths : list of Path
        The files written, in the order of :data:`SAMPLES`.
    """
    out_dir = Path(out_dir)
    paths = []
    for name, kwargs in SAMPLES.items():
        kwargs = dict(kwargs)
        paradigm = kwargs.pop("paradigm")
        paths.append(write_simulation(out_dir / name, paradigm, seed=SEED, **kwargs))
    return paths


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python recordings/make_samples.py [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE,
                        help="folder to write into (default: this script's folder)")
    args = parser.parse_args(argv)
    for path in make_samples(args.out):
        print(f"{path.stat().st_size / 1000:8.1f} kB  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
