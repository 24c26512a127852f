"""Paired comparisons of pipelines, as MOABB makes them.

Two pipelines are compared on the same subjects of one dataset (each subject's score
averaged over its splits; on the splits themselves when the dataset has one subject):
a one-sided paired permutation test that A scores higher than B (exact over every sign
flip up to 12 pairs, 10 000 resamples above), and the standardised mean difference of
the pairs as the effect size. Datasets are combined with Stouffer's method weighted by
the square root of their number of pairs (MOABB's meta-analysis).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

#: Up to this many pairs every sign flip is enumerated: the p-value is exact.
EXACT_PAIRS = 12


def paired_permutation_pvalue(a: Sequence[float], b: Sequence[float], *, seed: int = 0
                              ) -> float:
    """One-sided p-value of ``mean(a - b) > 0`` under random sign flips of the pairs."""
    diff = np.asarray(a, float) - np.asarray(b, float)
    n = diff.size
    if n == 0:
        return math.nan
    observed = diff.mean()
    if n <= EXACT_PAIRS:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=n)))
    else:
        rng = np.random.default_rng(seed)
        signs = rng.choice((1.0, -1.0), size=(10_000, n))
    means = (signs * diff).mean(axis=1)
    # Ties count as at least as extreme; the observed assignment is among them.
    return float(np.mean(means >= observed - 1e-12))


def standardised_mean_difference(a: Sequence[float], b: Sequence[float]) -> float:
    """Mean of the paired differences over their standard deviation (nan below 2 pairs)."""
    diff = np.asarray(a, float) - np.asarray(b, float)
    if diff.size < 2:
        return math.nan
    spread = diff.std(ddof=1)
    if spread == 0:
        return math.copysign(math.inf, diff.mean()) if diff.mean() else 0.0
    return float(diff.mean() / spread)


def stouffer(pvalues: Sequence[float], n_pairs: Sequence[int]) -> float:
    """Combined one-sided p-value of several datasets (weights: sqrt of their pairs)."""
    from scipy.stats import combine_pvalues

    kept = [(p, n) for p, n in zip(pvalues, n_pairs, strict=True) if not math.isnan(p)]
    if not kept:
        return math.nan
    if len(kept) == 1:
        return kept[0][0]
    p = np.clip([k[0] for k in kept], 1e-12, 1 - 1e-12)
    return float(combine_pvalues(p, method="stouffer",
                                 weights=np.sqrt([k[1] for k in kept]))[1])


def compare(rows: Sequence[dict], metric: str = "balanced_accuracy") -> list[dict]:
    """Every ordered pair of pipelines on every dataset, plus the combined row per pair.

    Parameters
    ----------
    rows : list of dict
        Per-unit rows (:func:`bci.benchmark.tables.unit_rows`).
    metric : str

    Returns
    -------
    list of dict
        ``dataset`` (``"all"`` for the combination), ``pipeline_a``, ``pipeline_b``,
        ``paired_on``, ``n_pairs``, ``mean_a``, ``mean_b``, ``smd``, ``p_value``, and
        ``pairs``: the paired scores, for plots.
    """
    from bci.benchmark.tables import subject_scores

    ok = [r for r in rows if r["status"] == "ok" and r[metric] is not None]
    datasets = sorted({r["dataset"] for r in ok})
    out = []
    for dataset in datasets:
        members = [r for r in ok if r["dataset"] == dataset]
        pipelines = sorted({r["pipeline"] for r in members})
        subjects = {r["subject"] for r in members}
        if len(subjects) >= 2:
            paired_on = "subjects"
            scores = {p: v for (d, p), v in subject_scores(members, metric).items()}
        else:
            paired_on = "splits"
            scores = {p: {r["split"]: r[metric] for r in members if r["pipeline"] == p}
                      for p in pipelines}
        for a, b in itertools.permutations(pipelines, 2):
            common = sorted(set(scores[a]) & set(scores[b]))
            xa = [scores[a][k] for k in common]
            xb = [scores[b][k] for k in common]
            out.append({"dataset": dataset, "pipeline_a": a, "pipeline_b": b,
                        "paired_on": paired_on, "n_pairs": len(common),
                        "mean_a": float(np.mean(xa)) if xa else math.nan,
                        "mean_b": float(np.mean(xb)) if xb else math.nan,
                        "smd": standardised_mean_difference(xa, xb),
                        "p_value": paired_permutation_pvalue(xa, xb),
                        "pairs": list(zip(common, xa, xb, strict=True))})
    pairs = sorted({(r["pipeline_a"], r["pipeline_b"]) for r in out})
    for a, b in pairs:
        these = [r for r in out if (r["pipeline_a"], r["pipeline_b"]) == (a, b)]
        if len(these) < 2:
            continue
        out.append({"dataset": "all", "pipeline_a": a, "pipeline_b": b,
                    "paired_on": "datasets (Stouffer)",
                    "n_pairs": sum(r["n_pairs"] for r in these),
                    "mean_a": math.nan, "mean_b": math.nan,
                    "smd": float(np.nanmean([r["smd"] for r in these]))
                    if any(np.isfinite(r["smd"]) for r in these) else math.nan,
                    "p_value": stouffer([r["p_value"] for r in these],
                                        [r["n_pairs"] for r in these]),
                    "pairs": []})
    return out


__all__ = ["EXACT_PAIRS", "compare", "paired_permutation_pvalue",
           "standardised_mean_difference", "stouffer"]
