"""A benchmark SPEC: which pipelines, on which datasets, evaluated how (a TOML file).

The file is parsed, never evaluated, and checked before any unit runs: a pipeline or a
dataset that is missing, a scheme that does not exist or a split naming runs that are
not there is one :class:`~bci.benchmark.errors.SpecError` line. ``docs/benchmarks/README.md``
documents the keys; ``docs/benchmarks/example.toml`` is a complete example.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from bci.benchmark.errors import SpecError

#: Evaluation schemes, by the name a SPEC uses.
SCHEMES = ("within", "cross-run", "cross-session", "loso")

_TOP_KEYS = {"name", "description", "root", "out", "evaluation", "pipelines", "datasets"}
_EVALUATION_KEYS = {"scheme", "folds", "train", "test"}
_DATASET_KEYS = {"name", "path", "include", "entities", "bids", "subject", "session", "task",
                 "run", "datatype", "pipelines", "evaluation"}
_BIDS_ENTITIES = ("subject", "session", "task", "run")


@dataclass(frozen=True)
class Evaluation:
    """How the recordings of one dataset are split into training and test parts.

    Attributes
    ----------
    scheme : str
        ``"within"`` (cross-validation inside each recording, over contiguous blocks of
        trials), ``"cross-run"``, ``"cross-session"`` or ``"loso"``
        (leave-one-subject-out).
    folds : int
        Blocks per recording for ``"within"``.
    train, test : tuple of str or None
        For ``"cross-run"`` (run labels) and ``"cross-session"`` (session labels): train
        on these, test on those. When absent, each run (session) of a subject is held
        out once and the subject's others train.
    """

    scheme: str = "within"
    folds: int = 5
    train: tuple[str, ...] | None = None
    test: tuple[str, ...] | None = None


@dataclass(frozen=True)
class PipelineSpec:
    """A pipeline config a SPEC names: its name there, its file and its text."""

    name: str
    path: Path
    text: str


@dataclass(frozen=True)
class DatasetSpec:
    """Where one dataset's recordings are and how to tell subject, session and run.

    Attributes
    ----------
    name : str
    path : Path
        A folder (searched recursively), a glob pattern, or a BIDS root.
    include : str or None
        Glob pattern under ``path`` selecting the recordings (default: every file bci
        reads).
    entities : str or None
        Regular expression with named groups ``subject``, ``session``, ``run`` matched
        against each file's path relative to ``path`` (default: the subject is the
        parent folder, the run the file name).
    bids : bool
        ``path`` is a BIDS root read through mne-bids, filtered by ``filters``.
    filters : dict of str to tuple of str
        BIDS entities to keep (``subject``, ``session``, ``task``, ``run``).
    datatype : str
        BIDS datatype (``"eeg"``).
    pipelines : tuple of str
        Names of the pipelines run on this dataset (default: all of the SPEC's).
    evaluation : Evaluation
    """

    name: str
    path: Path
    include: str | None = None
    entities: str | None = None
    bids: bool = False
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    datatype: str = "eeg"
    pipelines: tuple[str, ...] = ()
    evaluation: Evaluation = field(default_factory=Evaluation)


@dataclass(frozen=True)
class BenchmarkSpec:
    """A parsed, checked SPEC.

    Attributes
    ----------
    name : str
    origin : str
        The SPEC's path, for messages.
    root : Path
        The folder relative paths in the SPEC start from.
    out : Path or None
        Default result folder (``--out`` overrides it).
    pipelines : dict of str to PipelineSpec
    datasets : tuple of DatasetSpec
    """

    name: str
    origin: str
    root: Path
    out: Path | None
    pipelines: dict[str, PipelineSpec]
    datasets: tuple[DatasetSpec, ...]


def _strings(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, (str, int)):
        return (str(value),)
    if isinstance(value, list) and value and all(isinstance(v, (str, int)) for v in value):
        return tuple(str(v) for v in value)
    raise SpecError(f"{where} must be a string or a non-empty list of strings")


def _evaluation(table: object, where: str, default: Evaluation | None = None) -> Evaluation:
    if table is None:
        return default or Evaluation()
    if not isinstance(table, dict):
        raise SpecError(f"{where} must be a table, e.g. {{ scheme = \"cross-run\" }}")
    unknown = set(table) - _EVALUATION_KEYS
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {sorted(unknown)}: use "
                        f"{sorted(_EVALUATION_KEYS)}")
    base = default or Evaluation()
    scheme = table.get("scheme", base.scheme)
    if scheme not in SCHEMES:
        raise SpecError(f"{where}.scheme = {scheme!r}: use one of {', '.join(SCHEMES)}")
    folds = table.get("folds", base.folds)
    if not isinstance(folds, int) or isinstance(folds, bool) or folds < 2:
        raise SpecError(f"{where}.folds = {folds!r}: use an integer of at least 2")
    inherit = scheme == base.scheme
    train = _strings(table["train"], f"{where}.train") if "train" in table else (
        base.train if inherit else None)
    test = _strings(table["test"], f"{where}.test") if "test" in table else (
        base.test if inherit else None)
    if (train is None) != (test is None):
        raise SpecError(f"{where}: give both train and test, or neither (then each is held "
                        "out once)")
    if train is not None and scheme not in ("cross-run", "cross-session"):
        raise SpecError(f"{where}: train/test lists apply to cross-run and cross-session, "
                        f"not {scheme}")
    if train is not None and set(train) & set(test):
        raise SpecError(f"{where}: {sorted(set(train) & set(test))} in both train and test")
    return Evaluation(scheme=scheme, folds=folds, train=train, test=test)


def _resolve(root: Path, text: str) -> Path:
    import os

    path = Path(text).expanduser()
    # normpath, not resolve(): "../x" reads better in messages and symlinks stay as given.
    return Path(os.path.normpath(path if path.is_absolute() else root / path))


def _has_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


def _dataset(table: object, index: int, root: Path, default: Evaluation,
             pipelines: dict[str, PipelineSpec]) -> DatasetSpec:
    where = f"datasets[{index}]"
    if not isinstance(table, dict):
        raise SpecError(f"{where} must be a table ([[datasets]])")
    unknown = set(table) - _DATASET_KEYS
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {sorted(unknown)}: use "
                        f"{sorted(_DATASET_KEYS)}")
    name = table.get("name")
    if not isinstance(name, str) or not name:
        raise SpecError(f"{where} needs a name = \"...\"")
    where = f"dataset {name!r}"
    if ("path" in table) == ("bids" in table):
        raise SpecError(f"{where}: give either path = FOLDER or GLOB, or bids = ROOT")
    bids = "bids" in table
    text = table["bids"] if bids else table["path"]
    if not isinstance(text, str):
        raise SpecError(f"{where}: {'bids' if bids else 'path'} must be a string")
    path = _resolve(root, text)
    if bids:
        if not path.is_dir():
            raise SpecError(f"{where}: no BIDS root at {path}: fix bids = or fetch the data")
        if not (path / "dataset_description.json").is_file():
            raise SpecError(f"{where}: {path} has no dataset_description.json, so it is not a "
                            "BIDS root: point bids = at the folder that holds it")
    elif not path.exists() and not _has_glob(text):
        raise SpecError(f"{where}: no such folder or file {path}: fix path = (relative paths "
                        "start at the SPEC's root)")
    filters = {k: _strings(table[k], f"{where}.{k}") for k in _BIDS_ENTITIES if k in table}
    if filters and not bids:
        raise SpecError(f"{where}: {sorted(filters)} filter BIDS roots only: use entities = "
                        "REGEX and include = GLOB for folders")
    if not bids and any(k in table for k in ("datatype",)):
        raise SpecError(f"{where}: datatype applies to BIDS roots only")
    if bids and any(k in table for k in ("include", "entities")):
        raise SpecError(f"{where}: include/entities apply to folders; filter a BIDS root "
                        "with subject, session, task, run")
    entities = table.get("entities")
    if entities is not None:
        import re

        try:
            pattern = re.compile(entities)
        except re.error as err:
            raise SpecError(f"{where}.entities is not a regular expression ({err})") from None
        if "subject" not in pattern.groupindex:
            raise SpecError(f"{where}.entities needs a (?P<subject>...) group")
    chosen = _strings(table["pipelines"], f"{where}.pipelines") if "pipelines" in table \
        else tuple(pipelines)
    missing = [p for p in chosen if p not in pipelines]
    if missing:
        raise SpecError(f"{where} names pipeline(s) {missing} the SPEC does not define: add "
                        f"them under [pipelines] (defined: {', '.join(pipelines)})")
    include = table.get("include")
    if include is not None and not isinstance(include, str):
        raise SpecError(f"{where}.include must be a glob pattern string")
    datatype = table.get("datatype", "eeg")
    return DatasetSpec(name=name, path=path, include=include, entities=entities, bids=bids,
                       filters=filters, datatype=str(datatype), pipelines=chosen,
                       evaluation=_evaluation(table.get("evaluation"), f"{where}.evaluation",
                                              default))


def parse_spec(text: str, *, origin: str = "<spec>", base: Path | None = None
               ) -> BenchmarkSpec:
    """Parse and check a SPEC's TOML text.

    Parameters
    ----------
    text : str
        The TOML source.
    origin : str
        Where it came from, for messages.
    base : Path or None
        The folder the SPEC's ``root`` is relative to (its own folder; default: the
        working directory).

    Raises
    ------
    SpecError
        On any mistake, in one line.
    """
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{origin}: not valid TOML ({err})") from None
    unknown = set(table) - _TOP_KEYS
    if unknown:
        raise SpecError(f"{origin}: unknown key(s) {sorted(unknown)}: use {sorted(_TOP_KEYS)}")
    base = Path.cwd() if base is None else base
    root = _resolve(base, str(table.get("root", ".")))
    pipelines_table = table.get("pipelines")
    if not isinstance(pipelines_table, dict) or not pipelines_table:
        raise SpecError(f"{origin}: needs a [pipelines] table, name = \"config.toml\"")
    pipelines = {}
    for name, value in pipelines_table.items():
        if not isinstance(value, str):
            raise SpecError(f"{origin}: pipelines.{name} must be the path of a config file")
        path = _resolve(root, value)
        if not path.is_file():
            raise SpecError(f"{origin}: pipeline {name!r}: no such config file {path} (relative "
                            "paths start at the SPEC's root)")
        pipelines[name] = PipelineSpec(name=name, path=path,
                                       text=path.read_text(encoding="utf-8"))
    datasets_table = table.get("datasets")
    if not isinstance(datasets_table, list) or not datasets_table:
        raise SpecError(f"{origin}: needs at least one [[datasets]] table")
    default = _evaluation(table.get("evaluation"), "evaluation")
    datasets = tuple(_dataset(d, i, root, default, pipelines)
                     for i, d in enumerate(datasets_table))
    names = [d.name for d in datasets]
    if len(set(names)) != len(names):
        raise SpecError(f"{origin}: dataset names must be unique ({names})")
    out = table.get("out")
    return BenchmarkSpec(name=str(table.get("name", Path(origin).stem)), origin=origin,
                         root=root, out=None if out is None else _resolve(root, str(out)),
                         pipelines=pipelines, datasets=datasets)


def load_spec(path: str | Path) -> BenchmarkSpec:
    """Read a SPEC file; relative paths in it start at its ``root`` (default: its folder)."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: no such SPEC file")
    return parse_spec(path.read_text(encoding="utf-8"), origin=str(path),
                      base=path.resolve().parent)


__all__ = ["SCHEMES", "BenchmarkSpec", "DatasetSpec", "Evaluation", "PipelineSpec",
           "load_spec", "parse_spec"]
