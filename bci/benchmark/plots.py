"""Figures like MOABB's: scores per subject with pipelines side by side, and paired plots.

Drawn with matplotlib's Agg backend (no display needed; nothing here imports Qt).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    # A bare Figure draws with Agg and never touches pyplot's global state or a display.
    return Figure(figsize=(width, height), layout="constrained")


def score_plot(rows: Sequence[dict], path: Path, metric: str = "balanced_accuracy") -> Path:
    """Each subject's score (mean over its splits), one row per dataset, pipelines side by side.

    Chance for the dataset's number of classes is not drawn: it depends on the classes
    each split holds, so the axis starts at 0.
    """
    from bci.benchmark.tables import subject_scores

    scores = subject_scores(rows, metric)
    datasets = sorted({d for d, _ in scores})
    pipelines = sorted({p for _, p in scores})
    figure = _figure(7.0, 1.0 + 0.9 * max(len(datasets), 1))
    axes = figure.subplots()
    colours = [f"C{i % 10}" for i in range(len(pipelines))]
    width = 0.8 / max(len(pipelines), 1)
    for i, dataset in enumerate(datasets):
        for j, pipeline in enumerate(pipelines):
            values = list(scores.get((dataset, pipeline), {}).values())
            if not values:
                continue
            y = i - 0.4 + width * (j + 0.5)
            jitter = [y + width * 0.3 * math.sin(7.0 * k) for k in range(len(values))]
            axes.scatter(values, jitter, s=18, color=colours[j], alpha=0.7,
                         label=pipeline if i == 0 else None)
            mean = sum(values) / len(values)
            axes.plot([mean, mean], [y - width * 0.45, y + width * 0.45], color=colours[j],
                      linewidth=2.5)
    axes.set_yticks(range(len(datasets)), datasets)
    axes.set_ylim(len(datasets) - 0.5, -0.5)
    axes.set_xlim(0.0, 1.0)
    axes.set_xlabel(f"{metric.replace('_', ' ')} (dots: subjects, bars: mean)")
    axes.grid(axis="x", alpha=0.3)
    if pipelines:
        # Legend handles exist only for the first dataset's pipelines; add the rest.
        handles = [axes.scatter([], [], s=18, color=c, label=p)
                   for p, c in zip(pipelines, colours, strict=True)]
        axes.legend(handles=handles, loc="lower left", fontsize="small")
    figure.savefig(path, dpi=120)
    return path


def paired_plot(comparisons: Sequence[dict], path: Path,
                metric: str = "balanced_accuracy") -> Path:
    """Scores of pipeline A against pipeline B on each dataset, one panel per pair.

    A dot above the diagonal is a subject (or split) where B did better; each panel's
    title gives the number of pairs, the standardised mean difference and the one-sided
    permutation p-value that A is better.
    """
    shown = [c for c in comparisons if c["dataset"] != "all"
             and c["pipeline_a"] < c["pipeline_b"] and c["pairs"]]
    n = max(len(shown), 1)
    columns = min(n, 3)
    rows = math.ceil(n / columns)
    figure = _figure(3.2 * columns, 3.2 * rows)
    grid = figure.subplots(rows, columns, squeeze=False)
    for ax in grid.flat[len(shown):]:
        ax.set_axis_off()
    for ax, c in zip(grid.flat, shown, strict=False):
        xa = [p[1] for p in c["pairs"]]
        xb = [p[2] for p in c["pairs"]]
        ax.plot([0, 1], [0, 1], color="0.6", linewidth=1)
        ax.scatter(xa, xb, s=20, alpha=0.8)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.set_xlabel(c["pipeline_a"], fontsize="small")
        ax.set_ylabel(c["pipeline_b"], fontsize="small")
        smd = "n/a" if math.isnan(c["smd"]) else f"{c['smd']:.2f}"
        ax.set_title(f"{c['dataset']}: n={c['n_pairs']} {c['paired_on']}\n"
                     f"SMD {smd}, p(A>B)={c['p_value']:.3f}", fontsize="small")
    figure.suptitle(f"paired {metric.replace('_', ' ')}", fontsize="medium")
    figure.savefig(path, dpi=120)
    return path


__all__ = ["paired_plot", "score_plot"]
