"""A benchmark run: plan the units, compute those without a record, write the outputs.

Plain synchronous code: the caller passes a ``progress`` callback (the command line
draws a bar with it); records are stored as they arrive, whichever backend runs them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bci.benchmark.datasets import find_recordings
from bci.benchmark.errors import SpecError
from bci.benchmark.schedulers import execute
from bci.benchmark.spec import BenchmarkSpec
from bci.benchmark.splits import plan_units
from bci.benchmark.store import ResultStore
from bci.benchmark.unit import Unit, failed_record, run_unit

#: The metric the plots and paired statistics use (defined for any number of classes,
#: and not inflated by unbalanced classes).
METRIC = "balanced_accuracy"


@dataclass
class BenchmarkResult:
    """What a run did and where it wrote it.

    Attributes
    ----------
    units : list of Unit
        Every unit the SPEC plans (each content key once).
    records : list of dict
        Their records, in ``units`` order.
    computed, skipped, failed : int
        Units computed in this run, found already recorded, and recorded as failed (in
        this run or before).
    backend : str
        ``sequential``, ``joblib``, ``local`` or the scheduler address.
    outputs : dict of str to str
        Tables and plots written.
    """

    units: list[Unit]
    records: list[dict]
    computed: int
    skipped: int
    failed: int
    backend: str
    outputs: dict[str, str] = field(default_factory=dict)


def plan(spec: BenchmarkSpec, store: ResultStore) -> list[Unit]:
    """Every unit of the SPEC, each content key once, in SPEC order."""
    from bci.benchmark.learn import parse_config
    from bci.errors import ConfigError

    for pipeline in spec.pipelines.values():
        try:
            parse_config(pipeline.text, origin=str(pipeline.path))
        except ConfigError as err:
            raise SpecError(f"pipeline {pipeline.name!r}: {err}") from None
    units: list[Unit] = []
    seen: set[str] = set()
    for dataset in spec.datasets:
        recordings = find_recordings(dataset, store.sha256)
        for unit in plan_units(dataset, recordings, spec.pipelines):
            if unit.key not in seen:
                seen.add(unit.key)
                units.append(unit)
    store.save_hashes()
    return units


def _relabel(record: dict, unit: Unit) -> dict:
    # A record found by content may have been written under other names: show this SPEC's.
    return {**record, "pipeline": unit.pipeline, "dataset": unit.dataset,
            "subject": unit.subject, "split": unit.split}


def _worker_failure(unit: Unit, err: BaseException) -> dict:
    return failed_record(unit, f"the worker failed ({type(err).__name__}: "
                               f"{str(err).strip().splitlines()[0] if str(err).strip() else ''})")


def run_benchmark(spec: BenchmarkSpec, out: str | Path, *, jobs: int = 1,
                  scheduler: str | None = None, resume: bool = False,
                  retry_failed: bool = False,
                  progress: Callable[[int, int, dict | None], None] | None = None,
                  function: Callable[[Unit], dict] = run_unit) -> BenchmarkResult:
    """Run a benchmark into the result folder ``out``; return what it did.

    Parameters
    ----------
    spec : BenchmarkSpec
    out : str or Path
        Result folder (created; reused: units with a record are not computed again).
    jobs : int
        Worker processes.
    scheduler : str or None
        See :func:`bci.benchmark.schedulers.execute`.
    resume : bool
        ``out`` must hold an earlier run.
    retry_failed : bool
        Compute again the units recorded as failed (by default they stay failed, so a
        rerun computes nothing).
    progress : callable or None
        ``(done, total, record)``: once with ``record=None`` before the first unit, then
        after each unit.
    function : callable
        The unit runner (a module-level function; the benchmark of the schedulers passes
        a trivial one).
    """
    from bci.benchmark.schedulers import resolve

    resolve(jobs, scheduler)  # a bad --jobs/--scheduler fails before any work
    store = ResultStore(out, resume=resume)
    units = plan(spec, store)
    records: dict[str, dict] = {}
    todo = []
    for unit in units:
        record = store.get(unit.key)
        if record is not None and (record["status"] == "ok" or not retry_failed):
            records[unit.key] = record
        else:
            todo.append(unit)
    skipped = len(units) - len(todo)
    done = 0
    if progress is not None:
        progress(0, len(todo), None)

    def on_result(unit: Unit, record: dict) -> None:
        nonlocal done
        store.put(record)
        records[unit.key] = record
        done += 1
        if progress is not None:
            progress(done, len(todo), record)

    backend = execute(todo, function, on_result, _worker_failure, jobs=jobs,
                      scheduler=scheduler)
    ordered = [_relabel(records[u.key], u) for u in units]
    result = BenchmarkResult(units=units, records=ordered, computed=done, skipped=skipped,
                             failed=sum(r["status"] != "ok" for r in ordered),
                             backend=backend)
    result.outputs = write_outputs(ordered, Path(out))
    return result


def _finite(value: object) -> object:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def write_outputs(records: list[dict], out: Path) -> dict[str, str]:
    """Tables (Markdown, CSV), paired statistics and plots of the records, into ``out``."""
    from bci.benchmark import tables
    from bci.benchmark.stats import compare

    rows = tables.unit_rows(records)
    summary = tables.summary_rows(rows)
    comparisons = compare(rows, METRIC)
    stats_columns = ("dataset", "pipeline_a", "pipeline_b", "paired_on", "n_pairs", "mean_a",
                     "mean_b", "smd", "p_value")
    stats_rows = [{k: _finite(c[k]) for k in stats_columns} for c in comparisons]
    outputs = {}
    for name, text in (
            ("results.csv", tables.to_csv(rows, tables.UNIT_COLUMNS)),
            ("results.md", tables.markdown(rows, tables.UNIT_COLUMNS)),
            ("summary.csv", tables.to_csv(summary, tables.SUMMARY_COLUMNS)),
            ("summary.md", tables.markdown(summary, tables.SUMMARY_COLUMNS)),
            ("statistics.csv", tables.to_csv(stats_rows, stats_columns)),
            ("statistics.md", tables.markdown(stats_rows, stats_columns))):
        (out / name).write_text(text, encoding="utf-8")
        outputs[name.replace(".", "_")] = str(out / name)
    (out / "summary.json").write_text(json.dumps(
        {"summary": [{k: _finite(v) for k, v in s.items()} for s in summary],
         "statistics": stats_rows}, indent=1) + "\n", encoding="utf-8")
    if any(r["status"] == "ok" for r in rows):
        from bci.benchmark.plots import paired_plot, score_plot

        outputs["scores_png"] = str(score_plot(rows, out / "scores.png", METRIC))
        if any(c["dataset"] != "all" and c["pairs"] for c in comparisons):
            outputs["paired_png"] = str(paired_plot(comparisons, out / "paired.png", METRIC))
    return outputs


__all__ = ["METRIC", "BenchmarkResult", "plan", "run_benchmark", "write_outputs"]
