"""Scoring a saved model pseudo-online on held-out recordings."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bci.learn.labels import check_evaluation_labels
from bci.learn.segments import labelled_segments, segment_label
from bci.pipeline.model import Model
from bci.pipeline.spec import build_pipeline
from bci.pipeline.step import Sink
from bci.replay.source import ReplaySource
from bci.runtime.offline import run_offline
from bci.runtime.stages import gesture_rest, pipeline_stages
from bci.stream.file_clock import FileClock


def evaluate_source(model: Model, source: ReplaySource, name: str | None = None, *,
                    sinks: Sequence[Sink] = ()) -> dict:
    """Decisions and scores of ``model`` over one recording on the virtual clock.

    ``name`` names the recording's file in error messages (default: its stream name).
    Each decision's ``time`` is seconds into the file (the LSL time of the window's last
    sample on a replay started at 0), and ``trial`` the number of the file's marker it
    belongs to (as ``bci live --print`` numbers them; None before the first marker).
    ``sinks`` get the steps too (``bci evaluate --print``).
    """
    pipeline = build_pipeline(model, sfreq=source.sfreq, ch_names=source.ch_names,
                              ch_types=source.ch_types, stream_name=name or source.name,
                              other_source="evaluate on recordings of the device the "
                                           "model was trained on")
    check_evaluation_labels(model.config.events, source,
                            marker_locked=model.config.mode == "markers", name=name)
    stages = pipeline_stages(pipeline)
    started = time.perf_counter()
    decisions = run_offline(pipeline, source, stages=stages, sinks=sinks)
    elapsed = time.perf_counter() - started
    config = model.config
    segments = labelled_segments(source, config.events) if config.mode == "sliding" else []
    clock = FileClock.of_file(source.markers, source.offset)
    rows = []
    for d in decisions:
        true = d.true_label
        if true is None and segments:
            length = int(round(config.window * source.sfreq))
            true = segment_label(d.stop_index - length, d.stop_index, segments)
        trial = clock.trial(d.event_time if d.event_time is not None else d.window_end)
        row = {"time": d.window_end, "trial": trial, "predicted": d.label, "true": true,
               "scores": [float(s) for s in d.scores]}
        if d.gesture is not None:
            row["gesture"] = d.gesture
            row["events"] = [f"{e.kind}:{e.gesture}" for e in d.events]
        rows.append(row)
    duration = source.n_times / source.sfreq
    result = {"file": source.name, "decisions": rows, "signal_seconds": duration,
              "elapsed_seconds": elapsed, "stats": pipeline.stats.snapshot()}
    rest = gesture_rest(stages)
    if rest is not None and config.mode == "sliding":
        from bci.postprocess import gesture_metrics

        events = [e for d in decisions for e in d.events]
        result["gestures"] = gesture_metrics(decisions, events, segments, sfreq=source.sfreq,
                                             window=config.window, rest=rest)
    return result


def score(rows: list[dict], classes: list[str]) -> dict:
    """Accuracy, balanced accuracy, confusion matrix, and ROC-AUC for two classes."""
    from sklearn.metrics import (
        accuracy_score,
        balanced_accuracy_score,
        confusion_matrix,
        roc_auc_score,
    )

    labelled = [r for r in rows if r["true"] is not None]
    out: dict = {"n_decisions": len(rows), "n_labelled": len(labelled)}
    if not labelled:
        return out
    y_true = [r["true"] for r in labelled]
    y_pred = [r["predicted"] for r in labelled]
    out["accuracy"] = float(accuracy_score(y_true, y_pred))
    out["balanced_accuracy"] = float(balanced_accuracy_score(y_true, y_pred))
    out["confusion_matrix"] = {"labels": classes,
                               "matrix": confusion_matrix(y_true, y_pred,
                                                          labels=classes).tolist()}
    if len(classes) == 2 and len(set(y_true)) == 2:
        positive = np.array([r["scores"][1] for r in labelled])
        out["roc_auc"] = float(roc_auc_score([t == classes[1] for t in y_true], positive))
    return out


def evaluate(model: Model, paths: Sequence[str | Path], *,
             printer: Callable[[str], Sink] | None = None) -> dict:
    """Evaluate on every file; per-file and pooled scores, speed relative to real time.

    ``printer(path)``, if given, makes a sink that gets each file's steps (``bci
    evaluate --print`` prints every decision as it is made).
    """
    if model.config.targets is not None:  # regression: R² per target and overall
        from bci.learn.regression import evaluate_regression

        return evaluate_regression(model, paths)
    from bci.replay.files import sources_from_file

    files, rows = [], []
    signal_seconds = elapsed = 0.0
    for path in paths:
        sinks = [printer(str(path))] if printer is not None else []
        result = evaluate_source(model, sources_from_file(path)[0], name=Path(path).name,
                                 sinks=sinks)
        result["scores"] = score(result["decisions"], model.classes)
        files.append(result)
        rows.extend(result["decisions"])
        signal_seconds += result["signal_seconds"]
        elapsed += result["elapsed_seconds"]
    pooled = score(rows, model.classes)
    gestures: dict = {}
    if any("gestures" in f for f in files):
        from bci.postprocess import METRIC_KEYS, pool_gesture_metrics

        detail = pool_gesture_metrics([f["gestures"] for f in files if "gestures" in f])
        # The four headline figures at the top level, their counts under "gestures".
        gestures = {**{k: detail[k] for k in METRIC_KEYS}, "gestures": detail}
    return {"classes": model.classes, **pooled, **gestures,
            "decisions_per_second": len(rows) / signal_seconds if signal_seconds else 0.0,
            "signal_seconds": signal_seconds, "elapsed_seconds": elapsed,
            "speed_x_realtime": signal_seconds / elapsed if elapsed else float("inf"),
            "files": files}
