"""Study (offline, virtual clock): the EMG wristband's click in the cursor task.

For each UCI MYO subject in ``../shared/recordings/uci-emg-gestures``,
``docs/configs/emg-cursor.toml`` (gesture decoder, hysteresis, ``[cursor] click =
"fist"``) is trained on series 1 and run over series 2 as the 8 x 8 grid task that selects
by click (:func:`bci.cursor.live.run_cursor_offline`, the stage a live run uses). Counts:
``fist_segments`` (labelled fists the user made), ``clicks`` (stable-fist onsets),
``true_clicks`` (onsets within a labelled fist, from 1 s before it: the UCI labels mark
the held phase, the movement starts 0.4-0.9 s earlier, docs/emg-gestures.md),
``false_clicks`` (all other onsets), ``missed_fists`` (fist segments without a click).

Usage::

    python bench/study_emg_click.py [--json FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import markdown_table, write_json

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT.parent / "shared" / "recordings" / "uci-emg-gestures"
LEAD = 1.0  # seconds before a labelled fist that still count as making it


def study(subject: str) -> dict:
    from bci.cursor import GridTask
    from bci.cursor.live import run_cursor_offline
    from bci.learn.segments import labelled_segments
    from bci.learn.training import train_sources
    from bci.outputs import Collector
    from bci.pipeline.config import load_config
    from bci.replay.files import sources_from_file

    series1, series2 = sorted((FOLDER / subject).glob("*.txt.gz"))
    config = load_config(ROOT / "docs" / "configs" / "emg-cursor.toml")
    model, _, _ = train_sources(config, [sources_from_file(series1)[0]], n_folds=1)
    source = sources_from_file(series2)[0]
    collector = Collector(events=False)
    stage = run_cursor_offline(model, source, GridTask(8, selection="click", seed=1),
                               chunk=5, sinks=[collector])
    sfreq = source.sfreq
    fists = [(a / sfreq, b / sfreq) for a, b, c in labelled_segments(source, config.events)
             if c == "fist"]
    clicks = [u.time for u in stage.updates if u.click]
    true = [t for t in clicks if any(a - LEAD <= t <= b for a, b in fists)]
    missed = sum(not any(a - LEAD <= t <= b for t in clicks) for a, b in fists)
    return {"subject": subject, "series": f"{series1.name} -> {series2.name}",
            "seconds": round(source.n_times / sfreq, 1), "fist_segments": len(fists),
            "clicks": len(clicks), "true_clicks": len(true),
            "false_clicks": len(clicks) - len(true), "missed_fists": missed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    subjects = sorted(p.name for p in FOLDER.glob("subject*") if p.is_dir())
    if not subjects:
        print(f"no UCI recordings in {FOLDER}", file=sys.stderr)
        return 1
    rows = [study(s) for s in subjects]
    columns = list(rows[0])
    print(markdown_table(columns, [[r[c] for c in columns] for r in rows]))
    if args.json:
        write_json(args.json, {"rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
