"""``bci evaluate MODEL --data FILE --compare-adapt``: the same held-out data, adapted or not.

Each file is one session: the un-adapted model (exactly the trained decoder) and the
adapted one (a fresh session state per file) run over it pseudo-online, on the virtual
clock, through the same pipeline ``bci live`` runs; their scores sit side by side with
the accuracy over time (the labelled trials in consecutive blocks, first to last), and
the difference in correct trials.

Re-centering alone runs through :func:`bci.learn.evaluation.evaluate_source` unchanged
(the step is inside the decoder). Supervised updates and output normalisation are a
post-decoder stage (:class:`AdaptationStage`) of the one session loop, which hands it each
decision with its window and true label, in order, live and offline alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bci.adapt.model import (
    describe_adaptation,
    settings_of,
    with_adaptation,
    without_adaptation,
)
from bci.adapt.normalise import OutputNormaliser
from bci.adapt.settings import AdaptSettings, check_warmup
from bci.adapt.supervised import SupervisedUpdates
from bci.pipeline.step import Step


def adaptive_stages(model: Any, decoder: object, settings: AdaptSettings) -> list:
    """The post-decoder stages the settings ask for, bound to the session's decoder."""
    stages: list = []
    if settings.supervised:
        stages.append(SupervisedUpdates(decoder, model.classes, settings.supervised_window,
                                        settings.min_per_class))
    if settings.normalise:
        stages.append(OutputNormaliser(settings.normalise_seconds, settings.normalise_trials))
    return stages


class AdaptationStage:
    """Supervised updates and output normalisation as a post-decoder stage of the session
    loop: each decision, with the window it came from and its true class, in order.

    Parameters
    ----------
    stages : list
        :class:`~bci.adapt.supervised.SupervisedUpdates` and/or
        :class:`~bci.adapt.normalise.OutputNormaliser`, bound to the session's decoder.
    true_label : callable
        ``true_label(decision, window)``: the decision's class when known, else None.
    """

    name = "adapt"

    def __init__(self, stages: list, true_label: Any) -> None:
        self.supervised = next((s for s in stages if isinstance(s, SupervisedUpdates)), None)
        self.normaliser = next((s for s in stages if isinstance(s, OutputNormaliser)), None)
        self.true_label = true_label

    def __call__(self, step: Step) -> Step:
        """Normalise each decision, then learn from the labelled ones."""
        if not step.decisions:
            return step
        decisions = []
        for decision, window in zip(step.decisions, step.windows, strict=True):
            if self.normaliser is not None:
                decision = self.normaliser(decision)
            true = self.true_label(decision, window)
            if true is not None and decision.true_label is None:
                decision = replace(decision, true_label=true)
            decisions.append(decision)
            if self.supervised is not None and true is not None:
                self.supervised.update(window.data, true)
        return replace(step, decisions=tuple(decisions))

    def reset(self) -> None:
        """Nothing of its own to forget (the adaptive objects reset with the decoder)."""


def run_session(model: Any, source: Any, settings: AdaptSettings) -> dict:
    """Decisions of an adapted model over one recording, post-decoder stages included.

    The session loop of :mod:`bci.runtime` on the virtual clock, with the adaptation
    stage after the pipeline, as a live session would run it.

    Parameters
    ----------
    model : bci.pipeline.model.Model
        Already adapted (:func:`bci.adapt.with_adaptation`); its decoder is updated in
        place by supervised updates.
    source : bci.replay.source.ReplaySource
    settings : AdaptSettings

    Returns
    -------
    dict
        ``decisions`` (rows as in ``bci evaluate``) and ``adaptation`` (final state).
    """
    from bci.learn.evaluation import evaluate_source
    from bci.learn.segments import labelled_segments, segment_label
    from bci.pipeline.spec import build_pipeline
    from bci.runtime.offline import run_offline

    stages = adaptive_stages(model, model.decoder, settings)
    if not stages:
        result = evaluate_source(model, source)
        return {"decisions": result["decisions"],
                "adaptation": describe_adaptation(model.decoder)}
    pipeline = build_pipeline(model, sfreq=source.sfreq, ch_names=source.ch_names,
                              ch_types=source.ch_types, stream_name=source.name)
    config = model.config
    segments = labelled_segments(source, config.events) if config.mode == "sliding" else []

    def true_label(decision, window):
        if window.label is not None:
            return window.label
        if segments:
            return segment_label(window.start_index, window.stop_index, segments)
        return None

    decisions = run_offline(pipeline, source, stages=[AdaptationStage(stages, true_label)])
    rows = [{"time": d.window_end, "predicted": d.label, "true": d.true_label,
             "scores": [float(s) for s in d.scores], "value": d.value} for d in decisions]
    return {"decisions": rows, "adaptation": describe_adaptation(model.decoder, stages)}


def accuracy_over_time(rows: list[dict], n_blocks: int = 3) -> list[dict]:
    """Accuracy of the labelled decisions in ``n_blocks`` consecutive blocks.

    Parameters
    ----------
    rows : list of dict
        Decisions in stream order (``predicted``, ``true``).
    n_blocks : int

    Returns
    -------
    list of dict
        ``first`` and ``last`` (1-based trial numbers), ``n``, ``accuracy`` per block.
    """
    labelled = [r for r in rows if r["true"] is not None]
    blocks = []
    for part in np.array_split(np.arange(len(labelled)), n_blocks):
        if part.size == 0:
            continue
        correct = [labelled[i]["predicted"] == labelled[i]["true"] for i in part]
        blocks.append({"first": int(part[0]) + 1, "last": int(part[-1]) + 1,
                       "n": int(part.size), "accuracy": float(np.mean(correct))})
    return blocks


def _n_correct(rows: list[dict]) -> int:
    return sum(r["predicted"] == r["true"] for r in rows if r["true"] is not None)


def compare_adapt(model: Any, paths: Sequence[str | Path], *,
                  settings: AdaptSettings | None = None, n_blocks: int = 3) -> dict:
    """Score held-out recordings with and without adaptation, side by side.

    Parameters
    ----------
    model : bci.pipeline.model.Model
        A trained model (with or without a re-centering step).
    paths : sequence of path
        Held-out recordings; each is a session (adaptation starts afresh).
    settings : AdaptSettings or None
        What adapts; default the model's ``[adapt]`` table, or re-centering with the
        default forgetting and warm-up when it has none.
    n_blocks : int
        Blocks of the accuracy over time.

    Returns
    -------
    dict
        ``settings``; ``unadapted`` and ``adapted`` pooled scores; ``delta`` (adapted
        minus un-adapted: accuracy, ROC-AUC, correct trials); ``files`` with the same per
        file, each with ``over_time`` for both and the final ``adaptation`` state.

    Raises
    ------
    bci.errors.ConfigError
        A warm-up longer than a session, re-centering of a decoder with no covariance
        stage.
    """
    from bci.learn.evaluation import evaluate_source, score
    from bci.replay.files import sources_from_file

    if settings is None:
        settings = settings_of(model.config)
        if not (settings.recenter or settings.supervised or settings.normalise):
            settings = AdaptSettings(recenter=True)
    plain_model = without_adaptation(model)
    files, plain_rows, adapted_rows = [], [], []
    for path in paths:
        source = sources_from_file(path)[0]
        plain = evaluate_source(plain_model, source)["decisions"]
        check_warmup(settings, len(plain), source.name)
        adapted = run_session(with_adaptation(model, settings), source, settings)
        rows = adapted["decisions"]
        files.append({
            "file": source.name,
            "unadapted": score(plain, model.classes),
            "adapted": score(rows, model.classes),
            "correct_delta": _n_correct(rows) - _n_correct(plain),
            "over_time": {"unadapted": accuracy_over_time(plain, n_blocks),
                          "adapted": accuracy_over_time(rows, n_blocks)},
            "adaptation": adapted["adaptation"],
            "decisions": {"unadapted": plain, "adapted": rows}})
        plain_rows.extend(plain)
        adapted_rows.extend(rows)
    pooled = {"unadapted": score(plain_rows, model.classes),
              "adapted": score(adapted_rows, model.classes)}
    delta = {"correct": _n_correct(adapted_rows) - _n_correct(plain_rows)}
    for key in ("accuracy", "balanced_accuracy", "roc_auc"):
        if key in pooled["unadapted"] and key in pooled["adapted"]:
            delta[key] = pooled["adapted"][key] - pooled["unadapted"][key]
    return {"classes": model.classes, "settings": settings.describe(), **pooled,
            "delta": delta, "files": files}


def format_comparison(result: dict) -> str:
    """The comparison as a plain-text table (what ``--compare-adapt`` prints)."""
    def cell(scores: dict, key: str) -> str:
        return f"{scores[key]:.3f}" if key in scores else "-"

    lines = [f"{'file':<32} {'metric':<10} {'un-adapted':>10} {'adapted':>10}  over time "
             "(un-adapted -> adapted, blocks first..last)"]
    for f in result["files"]:
        for key in ("accuracy", "roc_auc"):
            if key not in f["unadapted"]:
                continue
            over = ""
            if key == "accuracy":
                un = " ".join(f"{b['accuracy']:.2f}" for b in f["over_time"]["unadapted"])
                ad = " ".join(f"{b['accuracy']:.2f}" for b in f["over_time"]["adapted"])
                over = f"{un} -> {ad}"
            lines.append(f"{f['file'][:32]:<32} {key:<10} {cell(f['unadapted'], key):>10} "
                         f"{cell(f['adapted'], key):>10}  {over}")
        lines.append(f"{'':<32} {'correct':<10} {'':>10} {f['correct_delta']:>+10d}  of "
                     f"{f['unadapted'].get('n_labelled', 0)} labelled")
    for key in ("accuracy", "roc_auc"):
        if key in result["unadapted"]:
            lines.append(f"{'all files':<32} {key:<10} {cell(result['unadapted'], key):>10} "
                         f"{cell(result['adapted'], key):>10}")
    return "\n".join(lines)
