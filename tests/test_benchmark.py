"""bci benchmark: same scores as train/evaluate, resume, schedulers agree, bad input, BIDS, MOABB.

Small: the shipped motor-imagery sample, cut in two "runs", and tiny SPECs.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import mne
import numpy as np
import pytest

from bci.benchmark import ResultStoreError, SchedulerError, SpecError, parse_spec, run_benchmark
from bci.benchmark.datasets import Recording
from bci.benchmark.spec import DatasetSpec, Evaluation
from bci.benchmark.splits import dataset_splits
from bci.benchmark.stats import paired_permutation_pvalue, stouffer
from bci.benchmark.tables import TIMING_COLUMNS
from bci.benchmark.unit import TIMING_FIELDS

PROJECT = Path(__file__).resolve().parents[1]
TS_CONFIG = PROJECT / "recordings" / "demo-motor-imagery.toml"


@pytest.fixture(scope="module")
def study(tmp_path_factory, sample_recordings) -> Path:
    """Two runs of one subject (the MI sample cut in two), a CSP config, and a BIDS copy."""
    root = tmp_path_factory.mktemp("study")
    raw = mne.io.read_raw_fif(sample_recordings / "sample-motor-imagery_raw.fif",
                              preload=True, verbose="error")
    (root / "data" / "sub01").mkdir(parents=True)
    half = raw.times[-1] / 2
    for run, (tmin, tmax) in enumerate(((0.0, half), (half, None)), start=1):
        part = raw.copy().crop(tmin, tmax)
        part.save(root / "data" / "sub01" / f"sub01_run{run}_raw.fif", verbose="error")
    (root / "csp.toml").write_text(TS_CONFIG.read_text().replace(
        'kind = "tangent-space-lr"\nestimator = "oas"', 'kind = "csp-lda"\nn_components = 4'))
    from bci.bids import write_bids

    for run in (1, 2):
        write_bids(root / "data" / "sub01" / f"sub01_run{run}_raw.fif", root / "bids",
                   subject="01", task="imagery", run=str(run))
    return root


def _spec(study: Path, datasets: str, evaluation: str = "") -> str:
    return (f'root = "{study}"\n[pipelines]\nts = "{TS_CONFIG}"\ncsp = "csp.toml"\n'
            f"{evaluation}\n{datasets}")


CROSS_RUN = """
[[datasets]]
name = "mi"
path = "data"
entities = '(?P<subject>sub\\d+)_run(?P<run>\\d+)'
evaluation = { scheme = "cross-run", train = ["1"], test = ["2"] }
"""

WITHIN = """
[[datasets]]
name = "mi"
path = "data"
include = "sub01/sub01_run1_raw.fif"
evaluation = { scheme = "within", folds = 2 }
"""


@pytest.fixture(scope="module")
def within_reference(study, tmp_path_factory):
    """A sequential run of the WITHIN SPEC: the reference the other runs must equal."""
    out = tmp_path_factory.mktemp("within") / "out"
    return run_benchmark(parse_spec(_spec(study, WITHIN)), out), out


def _without_timing(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in TIMING_FIELDS}


def _table(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return [{k: v for k, v in row.items() if k not in TIMING_COLUMNS}
                for row in csv.DictReader(handle)]


def test_unit_equals_bci_train_then_bci_evaluate(study, tmp_path):
    from bci.benchmark.learn import evaluate, load_config, sha256, train

    result = run_benchmark(parse_spec(_spec(study, CROSS_RUN)), tmp_path / "out")
    assert (result.computed, result.skipped, result.failed) == (2, 0, 0)
    run1, run2 = (study / "data" / "sub01" / f"sub01_run{r}_raw.fif" for r in (1, 2))
    for pipeline, config in (("ts", TS_CONFIG), ("csp", study / "csp.toml")):
        record = next(r for r in result.records if r["pipeline"] == pipeline)
        # `bci train --data run1` (its --cv scores cost time and do not change the model)
        model, _, _ = train(load_config(config), [run1], n_folds=0)
        expected = evaluate(model, [run2])                       # `bci evaluate --data run2`
        for key in ("accuracy", "balanced_accuracy", "roc_auc", "confusion_matrix",
                    "n_decisions"):
            assert record["scores"][key] == expected[key], (pipeline, key)
        assert record["files"][0]["decisions"] == expected["files"][0]["decisions"]
        assert record["decisions_per_second"] == expected["decisions_per_second"]
        assert [p["sha256"] for p in record["train"] + record["test"]] == \
            [sha256(run1), sha256(run2)]
        assert record["versions"]["scikit-learn"] and record["timing"]["speed_x_realtime"] > 1
        assert expected["n_decisions"] == 20 and record["scores"]["accuracy"] >= 0.7
    stored = json.loads((tmp_path / "out" / "records" / f"{result.records[0]['key']}.json")
                        .read_text())
    assert stored == result.records[0]


def test_kill_then_resume_gives_the_full_table_and_a_rerun_computes_nothing(
        study, within_reference, tmp_path):
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(_spec(study, WITHIN))
    reference, reference_out = within_reference
    assert reference.computed == 4
    out = tmp_path / "out"
    command = [sys.executable, "-m", "bci.cli", "benchmark", str(spec_path), "--out", str(out),
               "--json"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(PROJECT), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=env)
    deadline = time.monotonic() + 40
    while not list((out / "records").glob("*.json")) and time.monotonic() < deadline:
        if process.poll() is not None:
            break
        time.sleep(0.05)  # waiting for another process's file: no event to block on
    process.send_signal(signal.SIGKILL)
    process.communicate()
    done_before = len(list((out / "records").glob("*.json")))
    assert 1 <= done_before < 4, "the run was not killed half-way"
    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True, env=env,
                             timeout=60)
    assert resumed.returncode == 0, resumed.stderr
    counts = json.loads(resumed.stdout)
    assert (counts["computed"], counts["skipped"]) == (4 - done_before, done_before)
    assert _table(out / "results.csv") == _table(reference_out / "results.csv")
    again = run_benchmark(parse_spec(spec_path.read_text()), out, resume=True)
    assert (again.computed, again.skipped) == (0, 4)


def test_local_dask_cluster_gives_the_records_of_a_sequential_run(
        study, within_reference, tmp_path):
    sequential, _ = within_reference
    dask = run_benchmark(parse_spec(_spec(study, WITHIN)), tmp_path / "dask", jobs=2)
    assert dask.backend == "local" and sequential.backend == "sequential"
    assert dask.computed == sequential.computed == 4
    assert [_without_timing(r) for r in dask.records] == \
        [_without_timing(r) for r in sequential.records]
    # Worker processes ran them, not this one.
    assert {r["timing"]["pid"] for r in dask.records}.isdisjoint({os.getpid()})


def test_a_failing_unit_is_recorded_and_the_run_goes_on(study, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for run in (1, 2):
        (data / f"sub01_run{run}_raw.fif").symlink_to(
            study / "data" / "sub01" / f"sub01_run{run}_raw.fif")
    (data / "sub02_run1_raw.fif").write_bytes(b"\x00\x00\x00\x00" * 64)  # not a FIF file
    (data / "sub02_run2_raw.fif").symlink_to(study / "data" / "sub01" / "sub01_run2_raw.fif")
    text = _spec(study, CROSS_RUN.replace('path = "data"', f'path = "{data}"'))
    result = run_benchmark(parse_spec(text), tmp_path / "out")
    failed = [r for r in result.records if r["status"] == "failed"]
    assert len(failed) == 2 and {r["subject"] for r in failed} == {"sub02"}
    assert all("sub02_run1_raw.fif" in r["error"] and "\n" not in r["error"] for r in failed)
    assert sum(r["status"] == "ok" for r in result.records) == 2
    rows = _table(tmp_path / "out" / "results.csv")
    assert sorted(r["status"] for r in rows) == ["failed", "failed", "ok", "ok"]
    again = run_benchmark(parse_spec(text), tmp_path / "out")
    assert again.computed == 0 and again.failed == 2


def test_a_result_folder_of_a_newer_bci_is_refused(study, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "bci-benchmark.json").write_text(json.dumps(
        {"format": "bci-benchmark-results", "format_version": 99, "bci": "9.0"}))
    with pytest.raises(ResultStoreError, match="newer bci") as err:
        run_benchmark(parse_spec(_spec(study, WITHIN)), tmp_path / "out")
    assert "\n" not in str(err.value)


def test_a_scheduler_that_does_not_answer_fails_within_10_s(study, tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(SchedulerError, match=f"tcp://127.0.0.1:{port}") as err:
        run_benchmark(parse_spec(_spec(study, WITHIN)), tmp_path / "out",
                      scheduler=f"tcp://127.0.0.1:{port}")
    assert time.monotonic() - started < 10
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("datasets, needle", [
    ('[[datasets]]\nname = "x"\npath = "nowhere"', "no such folder"),
    ('[[datasets]]\nname = "x"\npath = "data"\npipelines = ["lda"]', "'lda'"),
    ('[[datasets]]\nname = "x"\nbids = "bids"\nsubject = "07"', "no eeg recording"),
    ('[[datasets]]\nname = "x"\nbids = "data"', "dataset_description.json"),
    ('[[datasets]]\nname = "x"\npath = "data"\nevaluation = { scheme = "kfold" }',
     "cross-run"),
])
def test_spec_mistakes_are_one_line(study, tmp_path, datasets, needle):
    with pytest.raises(SpecError) as err:
        run_benchmark(parse_spec(_spec(study, datasets)), tmp_path / "out")
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_spec_naming_a_missing_pipeline_file_is_one_line(study):
    with pytest.raises(SpecError, match="no such config file"):
        parse_spec(f'root = "{study}"\n[pipelines]\nx = "missing.toml"\n{WITHIN}')


def test_a_bids_tree_scores_as_the_files_it_was_made_from(study, tmp_path):
    bids = CROSS_RUN.replace('path = "data"\nentities = \'(?P<subject>sub\\d+)_run(?P<run>\\d+)\'',
                             'bids = "bids"\ntask = "imagery"')
    from_bids = run_benchmark(parse_spec(_spec(study, bids)), tmp_path / "bids")
    from_files = run_benchmark(parse_spec(_spec(study, CROSS_RUN)), tmp_path / "files")
    assert from_bids.computed == 2 and from_bids.failed == 0
    for a, b in zip(from_bids.records, from_files.records, strict=True):
        assert a["scores"] == b["scores"]
        assert [d["predicted"] for d in a["files"][0]["decisions"]] == \
            [d["predicted"] for d in b["files"][0]["decisions"]]
        assert a["test"][0]["bids"] and a["test"][0]["name"].endswith("run-2_eeg.vhdr")


def _recording(subject: str, session: str, run: str) -> Recording:
    return Recording(path=f"/d/{subject}{session}{run}", name=f"{subject}{session}{run}",
                     subject=subject, session=session, run=run, sha256=subject + session + run)


@pytest.mark.parametrize("evaluation, expected", [
    (Evaluation("loso"), {("a", ("b1x", "b2x"), ("a1x", "a2x")),
                          ("b", ("a1x", "a2x"), ("b1x", "b2x"))}),
    (Evaluation("cross-session"), {("a", ("a2x",), ("a1x",)), ("a", ("a1x",), ("a2x",)),
                                   ("b", ("b2x",), ("b1x",)), ("b", ("b1x",), ("b2x",))}),
    (Evaluation("cross-session", train=("1",), test=("2",)),
     {("a", ("a1x",), ("a2x",)), ("b", ("b1x",), ("b2x",))}),
])
def test_schemes_split_subjects_and_sessions(evaluation, expected):
    recordings = [_recording(s, ses, "x") for s in "ab" for ses in "12"]
    dataset = DatasetSpec(name="d", path=Path("/d"), evaluation=evaluation)
    splits = dataset_splits(dataset, recordings)
    assert {(s, tuple(r.name for r in train), tuple(r.name for r in test))
            for s, _, train, test, _ in splits} == expected


def test_paired_statistics_are_exact_for_small_samples():
    # Four pairs, all better: one sign assignment in 2**4 is as extreme.
    assert paired_permutation_pvalue([0.9, 0.8, 0.7, 0.95], [0.5, 0.6, 0.6, 0.5]) == 1 / 16
    assert paired_permutation_pvalue([0.5, 0.5], [0.5, 0.5]) == 1.0
    from scipy.stats import combine_pvalues

    assert stouffer([0.01, 0.2], [4, 9]) == pytest.approx(
        combine_pvalues([0.01, 0.2], method="stouffer", weights=[2, 3])[1])


def test_moabb_evaluation_of_a_bci_decoder_equals_bci_on_the_same_epochs(tmp_path):
    pytest.importorskip("moabb")
    from moabb.datasets.fake import FakeDataset
    from moabb.evaluations import WithinSessionEvaluation
    from moabb.paradigms import LeftRightImagery
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.preprocessing import LabelEncoder

    from bci.benchmark.moabb import moabb_pipelines

    dataset = FakeDataset(event_list=("left_hand", "right_hand"), n_sessions=1, n_runs=1,
                          n_subjects=2, paradigm="imagery", seed=7, duration=60, n_events=40,
                          channels=("C3", "Cz", "C4", "FC3", "FC4", "CP3", "CP4", "Pz"))
    paradigm = LeftRightImagery(fmin=8, fmax=30, tmin=0.5, tmax=2.5)
    pipelines = moabb_pipelines({"bci-ts-lr": TS_CONFIG}, sfreq=128.0)
    evaluation = WithinSessionEvaluation(paradigm=paradigm, datasets=[dataset], overwrite=True,
                                         hdf5_path=str(tmp_path), random_state=42,
                                         save_model=False)
    results = evaluation.process(pipelines)
    assert len(results) == 2
    for subject in dataset.subject_list:
        X, y, _ = paradigm.get_data(dataset, [subject])
        assert X.shape == (40, 8, 257)
        ours = cross_val_score(pipelines["bci-ts-lr"], X, LabelEncoder().fit_transform(y),
                               cv=StratifiedKFold(5, shuffle=True, random_state=42),
                               scoring="roc_auc").mean()
        theirs = float(results.loc[results["subject"].astype(str) == str(subject),
                                   "score"].iloc[0])
        # MOABB keeps its scores in HDF5 as float32: equal to that precision, exactly.
        assert np.float32(theirs) == np.float32(ours)
    assert np.isfinite(results["score"]).all()


def test_bids_conversion_of_an_xdf_session_keeps_samples_events_and_channels(tmp_path):
    import mne_bids
    from test_io import write_xdf  # the XDF 1.0 writer of the reader's tests

    from bci.bids import BidsError, write_bids
    from bci.replay.files import sources_from_file
    from bci.replay.source import ReplaySource

    rng = np.random.default_rng(0)
    eeg = rng.normal(0, 20, size=(2560, 4))  # 10 s at 256 Hz, microvolts
    start = 100.0
    write_xdf(tmp_path / "session.xdf", [
        {"name": "ExG", "type": "EEG", "srate": 256, "n_channels": 4,
         "channels": [(c, "EEG", "microvolts") for c in ("C3", "Cz", "C4", "Pz")],
         "times": start + np.arange(2560) / 256, "values": eeg},
        {"name": "Markers", "type": "Markers", "srate": 0, "n_channels": 1, "fmt": "string",
         "times": start + np.array([1.0, 3.5, 6.0]), "values": ["left", "right", "left"]}])
    written = write_bids(tmp_path / "session.xdf", tmp_path / "bids", subject="01",
                         session="1", task="imagery", run="1", line_freq=50)
    assert written.name == "sub-01_ses-1_task-imagery_run-1_eeg.vhdr"
    raw = mne_bids.read_raw_bids(mne_bids.get_bids_path_from_fname(written), verbose="error")
    stored = ReplaySource.from_raw(raw, "stored")
    original = sources_from_file(tmp_path / "session.xdf")[0]
    assert stored.ch_names == original.ch_names and stored.ch_types == ("eeg",) * 4
    assert stored.sfreq == 256.0 and raw.info["line_freq"] == 50
    assert stored.markers == original.markers
    assert [label for _, label in stored.markers] == ["left", "right", "left"]
    np.testing.assert_allclose(stored.data, original.data, rtol=1e-6, atol=1e-12)
    with pytest.raises(BidsError, match="--overwrite"):
        write_bids(tmp_path / "session.xdf", tmp_path / "bids", subject="01", session="1",
                   task="imagery", run="1")
    with pytest.raises(BidsError, match="letters and digits"):
        write_bids(tmp_path / "session.xdf", tmp_path / "bids", subject="s_01", task="x")


def test_within_recording_folds_test_every_trial_exactly_once(study, within_reference):
    from bci.replay.files import sources_from_file

    result, _ = within_reference
    source = sources_from_file(study / "data" / "sub01" / "sub01_run1_raw.fif")[0]
    trials = sorted(round(t, 6) for t, label in source.markers if label in ("T1", "T2"))
    for pipeline in ("ts", "csp"):
        records = [r for r in result.records if r["pipeline"] == pipeline]
        assert [r["split"] for r in records] == [
            "sub01/sub01_run1_raw.fif fold 1/2", "sub01/sub01_run1_raw.fif fold 2/2"]
        tested = [d for r in records for d in r["files"][0]["decisions"]]
        assert len(tested) == len(trials) == 20
        assert all(d["true"] in ("left", "right") for d in tested)
        # Two contiguous blocks of 10 trials each, as the 20 trials split in two.
        first, second = (r["files"][0]["decisions"] for r in records)
        assert len(first) == len(second) == 10
