"""One unit of work: one pipeline trained and evaluated on one subject's split.

A unit is a small, picklable description (the pipeline's TOML text, the files and
their checksums), so any process that reaches the data can run it: this one, a joblib
worker, a Dask worker on another machine. :func:`run_unit` trains with the code of
``bci train`` and scores with the code of ``bci evaluate`` on the virtual clock, and
returns a result record; it never raises, a failure is a record too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import time
from dataclasses import asdict, dataclass, replace

#: Bumped when result records change incompatibly; an older bci refuses newer folders.
RESULT_FORMAT_VERSION = 1
RESULT_FORMAT = "bci-benchmark-result"

#: Fields of a record that depend on the machine and the moment, not on the inputs:
#: two runs of the same unit agree on everything else.
TIMING_FIELDS = ("timing",)


@dataclass(frozen=True)
class Part:
    """One recording (or one block of it) on the training or the test side of a split.

    Attributes
    ----------
    path : str
        Absolute path of the file.
    name : str
        Its name relative to the dataset, for tables.
    sha256 : str
        Checksum the planner saw; the worker checks the file it reads against it.
    bids : bool
        Read through mne-bids.
    block : tuple of (int, int) or None
        ``(k, K)``: within-recording cross-validation; the test side is block ``k`` of
        ``K`` contiguous blocks of trials, the training side the rest.
    """

    path: str
    name: str
    sha256: str
    bids: bool = False
    block: tuple[int, int] | None = None


@dataclass(frozen=True)
class Unit:
    """A pipeline x subject x split, with everything its result depends on.

    Attributes
    ----------
    pipeline, dataset, subject, split, scheme : str
        Names for tables (not part of the content key).
    config_text, config_origin : str
        The pipeline's TOML and where it came from.
    train, test : tuple of Part
    """

    pipeline: str
    dataset: str
    subject: str
    split: str
    scheme: str
    config_text: str
    config_origin: str
    train: tuple[Part, ...]
    test: tuple[Part, ...]

    @property
    def key(self) -> str:
        """Content hash of what the result depends on: config, data, split, bci version.

        Names (of the pipeline, dataset, files) are left out, so renaming them in a SPEC
        or moving the data reuses the results.
        """
        import bci

        def side(parts: tuple[Part, ...]) -> list:
            return [[p.sha256, list(p.block) if p.block else None, p.bids] for p in parts]

        content = {"format_version": RESULT_FORMAT_VERSION, "bci": bci.__version__,
                   "config": hashlib.sha256(self.config_text.encode()).hexdigest(),
                   "scheme": self.scheme, "train": side(self.train), "test": side(self.test)}
        text = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def describe(self) -> dict:
        """The unit's identity as it goes into its record."""
        return {"pipeline": self.pipeline, "dataset": self.dataset, "subject": self.subject,
                "split": self.split, "scheme": self.scheme,
                "config_origin": self.config_origin,
                "config_sha256": hashlib.sha256(self.config_text.encode()).hexdigest(),
                "train": [_part_dict(p, "train") for p in self.train],
                "test": [_part_dict(p, "test") for p in self.test]}


def _part_dict(part: Part, role: str) -> dict:
    out = asdict(part)
    out.pop("path")
    out["block"] = list(part.block) if part.block else None
    out["side"] = role
    return out


def _read_source(part: Part):
    """The recording of ``part`` as a replay source, checked against its checksum."""
    from pathlib import Path

    from bci.benchmark.learn import sha256
    from bci.errors import RecordingError

    path = Path(part.path)
    if not path.is_file():
        raise RecordingError(f"{part.name}: not found at {part.path} on this worker: workers "
                             "must reach the data at the same path (docs/benchmarks/README.md)")
    if sha256(path) != part.sha256:
        raise RecordingError(f"{part.name}: the file at {part.path} differs from the one "
                             "planned (SHA-256): workers must see the same data")
    if part.bids:
        import mne_bids

        from bci.replay.source import ReplaySource

        bids_path = mne_bids.get_bids_path_from_fname(path)
        raw = mne_bids.read_raw_bids(bids_path, verbose="error")
        return ReplaySource.from_raw(raw, path.name.split(".")[0])
    from bci.replay.files import sources_from_file

    return sources_from_file(path)[0]


def crop_source(source, start: int, stop: int, name: str):
    """Samples ``[start, stop)`` of a replay source, with the markers that fall inside."""
    sfreq = source.sfreq
    kept = [(onset - start / sfreq, label, duration) for (onset, label), duration
            in zip(source.markers, source.durations or (0.0,) * len(source.markers),
                   strict=True)
            if start <= round(onset * sfreq) < stop]
    return replace(source, name=name, data=source.data[:, start:stop],
                   markers=tuple((o, lab) for o, lab, _ in kept),
                   durations=tuple(d for _, _, d in kept))


def block_edges(source, labels: set[str], n_blocks: int) -> list[int]:
    """Sample indices cutting a recording into ``n_blocks`` runs of consecutive trials.

    Each cut falls at the onset of a block's first trial, so no trial is split between
    training and test (a trial whose epoch runs past the next trial's onset loses its
    tail, as at the end of any recording).
    """
    import numpy as np

    from bci.errors import RecordingError

    onsets = [round(onset * source.sfreq) for onset, label in source.markers
              if label in labels]
    if len(onsets) < n_blocks:
        raise RecordingError(f"{source.name}: {len(onsets)} labelled trials, too few for "
                             f"{n_blocks} folds: lower [evaluation].folds")
    groups = np.array_split(np.arange(len(onsets)), n_blocks)
    return [0] + [onsets[g[0]] for g in groups[1:]] + [source.n_times]


def _sides(unit: Unit, config) -> tuple[list, list]:
    labels = {label for names in config.events.values() for label in names}
    train, test = [], []
    for role, parts in (("train", unit.train), ("test", unit.test)):
        for part in parts:
            source = _read_source(part)
            if part.block is None:
                (train if role == "train" else test).append(source)
                continue
            k, n_blocks = part.block
            edges = block_edges(source, labels, n_blocks)
            if role == "test":
                test.append(crop_source(source, edges[k], edges[k + 1],
                                        f"{source.name}[block {k + 1}/{n_blocks}]"))
            else:
                for a, b, where in ((0, edges[k], "before"),
                                    (edges[k + 1], source.n_times, "after")):
                    if b > a:
                        train.append(crop_source(source, a, b, f"{source.name}[{where} "
                                                 f"block {k + 1}/{n_blocks}]"))
    return train, test


def evaluate_sources(model, sources) -> dict:
    """Score ``model`` on several sources exactly as ``bci evaluate`` scores files."""
    from bci.benchmark.learn import evaluate_source, score

    files, rows = [], []
    signal_seconds = elapsed = 0.0
    for source in sources:
        result = evaluate_source(model, source)
        result["scores"] = score(result["decisions"], model.classes)
        files.append(result)
        rows.extend(result["decisions"])
        signal_seconds += result["signal_seconds"]
        elapsed += result["elapsed_seconds"]
    out = {"scores": score(rows, model.classes), "files": files,
           "signal_seconds": signal_seconds, "elapsed_seconds": elapsed,
           "decisions_per_second": len(rows) / signal_seconds if signal_seconds else 0.0}
    if any("gestures" in f for f in files):
        from bci.postprocess import pool_gesture_metrics

        out["gestures"] = pool_gesture_metrics([f["gestures"] for f in files
                                                if "gestures" in f])
    return out


def _one_line(err: BaseException) -> str:
    from bci.errors import BciError

    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return text if isinstance(err, BciError) else f"{type(err).__name__}: {text}"


def failed_record(unit: Unit, error: str, *, started: float | None = None) -> dict:
    """The record of a unit that could not be computed."""
    return {"format": RESULT_FORMAT, "format_version": RESULT_FORMAT_VERSION,
            "key": unit.key, "status": "failed", "error": error, **unit.describe(),
            "timing": _timing(started)}


def _timing(started: float | None, **extra: float) -> dict:
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    total = time.perf_counter() - started if started is not None else 0.0
    return {"finished": now, "seconds": total, "host": platform.node(), "pid": os.getpid(),
            **extra}


def run_unit(unit: Unit) -> dict:
    """Train and evaluate one unit; return its result record (never raises).

    BLAS and scikit-learn threads are capped to one while it runs: units run side by
    side, one per core, and a second thread per unit only oversubscribes the cores
    (and makes results depend on how many run at once).
    """
    from threadpoolctl import threadpool_limits

    started = time.perf_counter()
    try:
        with threadpool_limits(limits=1):
            return _compute(unit, started)
    except Exception as err:  # one bad recording must not lose the other results
        return failed_record(unit, _one_line(err), started=started)


def _compute(unit: Unit, started: float) -> dict:
    from bci.benchmark.learn import library_versions, parse_config, train_sources

    config = parse_config(unit.config_text, origin=unit.config_origin)
    train, test = _sides(unit, config)
    loaded = time.perf_counter()
    # n_folds=0: the fitted model is the same as `bci train`'s; its inner
    # cross-validation would only cost time, the unit's split is the evaluation.
    model, data, _ = train_sources(config, train, n_folds=0)
    trained = time.perf_counter()
    result = evaluate_sources(model, test)
    evaluate_seconds = result.pop("elapsed_seconds")
    files = [{"file": f["file"], "scores": f["scores"], "signal_seconds": f["signal_seconds"],
              "decisions": f["decisions"], **({"gestures": f["gestures"]}
                                              if "gestures" in f else {})}
             for f in result["files"]]
    record = {"format": RESULT_FORMAT, "format_version": RESULT_FORMAT_VERSION,
              "key": unit.key, "status": "ok", "error": None, **unit.describe(),
              "classes": model.classes, "n_train_windows": int(data.X.shape[0]),
              "scores": result["scores"],
              **({"gestures": result["gestures"]} if "gestures" in result else {}),
              "decisions_per_second": result["decisions_per_second"],
              "signal_seconds": result["signal_seconds"], "files": files,
              "versions": library_versions()}
    record["timing"] = _timing(
        started, load_seconds=loaded - started, train_seconds=trained - loaded,
        evaluate_seconds=evaluate_seconds,
        speed_x_realtime=(result["signal_seconds"] / evaluate_seconds
                          if evaluate_seconds else None))
    return record


__all__ = ["RESULT_FORMAT", "RESULT_FORMAT_VERSION", "TIMING_FIELDS", "Part", "Unit",
           "block_edges", "crop_source", "evaluate_sources", "failed_record", "run_unit"]
