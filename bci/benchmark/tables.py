"""Result tables: one row per unit, and a summary per dataset and pipeline (Markdown, CSV)."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Sequence

#: Columns of the per-unit table, in order.
UNIT_COLUMNS = ("dataset", "pipeline", "subject", "split", "status", "accuracy",
                "balanced_accuracy", "roc_auc", "n_decisions", "decisions_per_second",
                "speed_x_realtime", "key", "error")

#: Columns that depend on the machine, not on the inputs (left out when comparing runs).
TIMING_COLUMNS = ("speed_x_realtime",)

SUMMARY_COLUMNS = ("dataset", "pipeline", "subjects", "units", "failed", "accuracy",
                   "accuracy_std", "balanced_accuracy", "balanced_accuracy_std", "roc_auc")


def unit_rows(records: Sequence[dict]) -> list[dict]:
    """One flat row per record, sorted by dataset, pipeline, subject and split."""
    rows = []
    for r in records:
        scores = r.get("scores") or {}
        rows.append({
            "dataset": r["dataset"], "pipeline": r["pipeline"], "subject": r["subject"],
            "split": r["split"], "status": r["status"],
            "accuracy": scores.get("accuracy"),
            "balanced_accuracy": scores.get("balanced_accuracy"),
            "roc_auc": scores.get("roc_auc"), "n_decisions": scores.get("n_decisions"),
            "decisions_per_second": r.get("decisions_per_second"),
            "speed_x_realtime": (r.get("timing") or {}).get("speed_x_realtime"),
            "key": r["key"], "error": r.get("error") or ""})
    return sorted(rows, key=lambda row: (row["dataset"], row["pipeline"], row["subject"],
                                         row["split"]))


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _std(values: list[float]) -> float | None:
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def subject_scores(rows: Sequence[dict], metric: str) -> dict[tuple[str, str], dict[str, float]]:
    """(dataset, pipeline) -> subject -> mean of ``metric`` over that subject's splits."""
    collected: dict = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if row["status"] == "ok" and row[metric] is not None:
            collected[(row["dataset"], row["pipeline"])][row["subject"]].append(row[metric])
    return {k: {s: sum(v) / len(v) for s, v in subjects.items()}
            for k, subjects in collected.items()}


def summary_rows(rows: Sequence[dict]) -> list[dict]:
    """Per dataset and pipeline: mean and spread over subjects (each subject's mean first)."""
    groups: dict = defaultdict(list)
    for row in rows:
        groups[(row["dataset"], row["pipeline"])].append(row)
    per_metric = {m: subject_scores(rows, m) for m in ("accuracy", "balanced_accuracy",
                                                        "roc_auc")}
    out = []
    for (dataset, pipeline), members in sorted(groups.items()):
        row = {"dataset": dataset, "pipeline": pipeline,
               "subjects": len({m["subject"] for m in members}), "units": len(members),
               "failed": sum(m["status"] != "ok" for m in members)}
        for metric in ("accuracy", "balanced_accuracy", "roc_auc"):
            values = list(per_metric[metric].get((dataset, pipeline), {}).values())
            row[metric] = _mean(values)
            if metric != "roc_auc":
                row[f"{metric}_std"] = _std(values)
        out.append(row)
    return out


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) >= 100 else f"{value:.3f}"
    return str(value).replace("|", "\\|")


def markdown(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(_cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def to_csv(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """CSV with full precision (``repr`` of floats), empty cells for missing values."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: "" if row.get(c) is None else row.get(c) for c in columns})
    return buffer.getvalue()


__all__ = ["SUMMARY_COLUMNS", "TIMING_COLUMNS", "UNIT_COLUMNS", "markdown", "subject_scores",
           "summary_rows", "to_csv", "unit_rows"]
