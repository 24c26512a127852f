"""Evaluation schemes: a dataset's recordings -> training/test splits -> units.

Every unit is one pipeline x subject x split. The schemes, as in MOABB:

- ``within``: each recording is cut into K contiguous blocks of trials; each block is
  tested once, the model trained on the rest of that recording (no shuffling: trials
  next to each other in time never land on both sides).
- ``cross-run``: per subject and session, train on some runs and test on others
  (``train``/``test``), or hold out each run once.
- ``cross-session``: per subject, train on some sessions and test on others, or hold
  out each session once.
- ``loso``: leave one subject out: train on every other subject, test on this one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from bci.benchmark.datasets import Recording
from bci.benchmark.errors import SpecError
from bci.benchmark.spec import DatasetSpec, Evaluation, PipelineSpec
from bci.benchmark.unit import Part, Unit

#: A split: (subject, label, training recordings, test recordings, block or None).
Split = tuple[str, str, tuple[Recording, ...], tuple[Recording, ...], "tuple[int, int] | None"]


def _part(recording: Recording, block: tuple[int, int] | None = None) -> Part:
    return Part(path=recording.path, name=recording.name, sha256=recording.sha256,
                bids=recording.bids, block=block)


def _held_out(groups: dict, entity: str, evaluation: Evaluation, dataset: DatasetSpec,
              prefix) -> list[Split]:
    """Splits over one entity (run or session) inside groups of recordings."""
    splits: list[Split] = []
    seen: set[str] = set()
    for group_key, recordings in sorted(groups.items()):
        values = sorted({getattr(r, entity) for r in recordings})
        seen.update(values)
        subject = recordings[0].subject
        if evaluation.train is not None:
            train = tuple(r for r in recordings if getattr(r, entity) in evaluation.train)
            test = tuple(r for r in recordings if getattr(r, entity) in evaluation.test)
            if train and test:
                label = (f"{prefix(group_key)}{entity} {'+'.join(evaluation.train)} -> "
                         f"{'+'.join(evaluation.test)}")
                splits.append((subject, label, train, test, None))
            continue
        if len(values) < 2:
            continue
        for value in values:
            test = tuple(r for r in recordings if getattr(r, entity) == value)
            train = tuple(r for r in recordings if getattr(r, entity) != value)
            splits.append((subject, f"{prefix(group_key)}{entity} {value} held out", train,
                           test, None))
    if not splits:
        if evaluation.train is not None:
            wanted = f"{entity}s {list(evaluation.train)} and {list(evaluation.test)}"
        else:
            wanted = f"two {entity}s or more"
        raise SpecError(f"dataset {dataset.name!r}: no subject has {wanted} for "
                        f"{evaluation.scheme} (its {entity}s: {sorted(seen)}): fix "
                        f"[evaluation] or entities =")
    return splits


def dataset_splits(dataset: DatasetSpec, recordings: Sequence[Recording]) -> list[Split]:
    """The splits of one dataset under its evaluation scheme."""
    evaluation = dataset.evaluation
    if evaluation.scheme == "within":
        return [(r.subject, f"{r.name} fold {k + 1}/{evaluation.folds}", (r,), (r,),
                 (k, evaluation.folds))
                for r in recordings for k in range(evaluation.folds)]
    if evaluation.scheme == "cross-run":
        groups: dict = defaultdict(list)
        for r in recordings:
            groups[(r.subject, r.session)].append(r)
        return _held_out(groups, "run", evaluation, dataset,
                         lambda key: f"session {key[1]}: " if key[1] else "")
    if evaluation.scheme == "cross-session":
        groups = defaultdict(list)
        for r in recordings:
            groups[r.subject].append(r)
        return _held_out(groups, "session", evaluation, dataset, lambda key: "")
    subjects = sorted({r.subject for r in recordings})
    if len(subjects) < 2:
        raise SpecError(f"dataset {dataset.name!r}: leave-one-subject-out needs two subjects "
                        f"or more, found {subjects}: fix entities = or the scheme")
    return [(s, f"subject {s} held out", tuple(r for r in recordings if r.subject != s),
             tuple(r for r in recordings if r.subject == s), None) for s in subjects]


def plan_units(dataset: DatasetSpec, recordings: Sequence[Recording],
               pipelines: dict[str, PipelineSpec]) -> list[Unit]:
    """Every unit of one dataset: its pipelines x its splits."""
    units = []
    for subject, label, train, test, block in dataset_splits(dataset, recordings):
        for name in dataset.pipelines:
            pipeline = pipelines[name]
            units.append(Unit(
                pipeline=name, dataset=dataset.name, subject=subject, split=label,
                scheme=dataset.evaluation.scheme, config_text=pipeline.text,
                config_origin=str(pipeline.path),
                train=tuple(_part(r, block) for r in train),
                test=tuple(_part(r, block) for r in test)))
    return units


__all__ = ["dataset_splits", "plan_units"]
