"""Neurofeedback: baseline, normalised feedback, reward, artifacts, OSC, summary.

The end-to-end test replays a real recording (PhysioNet S001: eyes open R01, then eyes
closed R02) into ``bci neurofeedback`` running in its own process; an independent
inlet reads the feedback stream and an OSC server its messages. The feedback must
separate the two conditions, come at the protocol's rate in signal time, and equal, bit
for bit, the same protocol run offline on the virtual clock.
"""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from bci.errors import ConfigError
from bci.feedback import (
    FEEDBACK_CHANNELS,
    ArtifactDetector,
    BaselineNormaliser,
    DwellReward,
    FeedbackSettings,
    FeedbackStage,
    NeurofeedbackProcessor,
    build_feedback,
    load_protocol,
    parse_osc_address,
    parse_protocol,
    run_feedback_offline,
    session_summary,
    write_summary,
)
from bci.feedback.artifacts import AMPLITUDE, FLAT, GAP, WITHHELD
from bci.pipeline.decision import Decision
from bci.pipeline.windows import Window
from bci.replay import Player, ReplaySource, iter_virtual
from bci.replay.virtual import VirtualMarker
from bci.stream import Inlet
from bci.stream.discovery import resolve_stream
from bci.stream.gaps import Gap, GapDetector
from tests.osc_helpers import OscReceiver

ROOT = Path(__file__).resolve().parents[1]
PROTOCOLS = ROOT / "docs/protocols"
ALPHA = PROTOCOLS / "alpha.toml"
SFREQ = 160.0
SPEED = 8.0
CHUNK = 8


def _auc(negatives: np.ndarray, positives: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.zeros(len(negatives)), np.ones(len(positives))]
    return float(roc_auc_score(y, np.r_[negatives, positives]))


# -- the pieces ------------------------------------------------------------------------

def test_normaliser_is_the_baseline_percentile_whatever_the_unit():
    rng = np.random.default_rng(0)
    baseline = rng.lognormal(size=500)
    linear, logged = BaselineNormaliser(), BaselineNormaliser()
    for v in baseline:
        linear.add(v)
        logged.add(np.log10(v))
    linear.freeze()
    logged.freeze()
    probes = rng.lognormal(size=200)
    a = np.array([linear(v) for v in probes])
    b = np.array([logged(np.log10(v)) for v in probes])
    np.testing.assert_array_equal(a, b)  # invariant to an increasing transform
    expected = np.array([(baseline < v).mean() for v in probes])
    np.testing.assert_allclose(a, expected)
    assert linear(-1.0) == 0.0 and linear(1e9) == 1.0
    assert math.isnan(linear(float("nan")))
    # Ties count half; "down" flips the scale; value_at inverts it.
    ties = BaselineNormaliser("down")
    for v in (1.0, 2.0, 2.0, 3.0):
        ties.add(v)
    ties.freeze()
    assert ties(2.0) == 0.5 and ties(0.0) == 1.0 and ties(5.0) == 0.0
    assert ties.value_at(0.75) == pytest.approx(np.quantile([1, 2, 2, 3], 0.25))
    with pytest.raises(RuntimeError):
        ties.add(1.0)


def test_reward_needs_the_dwell_and_restarts_after_an_artifact():
    reward = DwellReward(0.7, dwell_samples=80)
    assert not reward.update(0.9, 0)
    assert not reward.update(0.9, 72)
    assert reward.update(0.9, 80)  # 80 samples (0.5 s at 160 Hz) above: earned
    assert reward.update(0.7, 88)  # at the threshold counts as above
    assert not reward.update(0.69, 96)  # below: dropped ...
    assert not reward.update(0.9, 104)  # ... and the dwell starts again
    assert reward.update(0.9, 184)
    reward.reset()  # an artifact
    assert not reward.update(0.9, 192)
    assert reward.update(0.9, 272)
    assert reward.n_rewards == 3
    assert not reward.update(float("nan"), 280)


def test_artifact_detector_flags_large_and_flat_windows():
    rng = np.random.default_rng(1)
    raw = 0.1 + rng.normal(scale=20e-6, size=(3, 1600))  # 100 mV DC offset: no matter
    raw[1, 500:510] += 1e-3
    raw[2, 1000:1050] = 0.1 + rng.normal(scale=1e-9, size=50)  # 0.31 s flat
    detector = ArtifactDetector(max_amplitude=800e-6, flat_std=0.1e-6, n_channels=3,
                                sfreq=SFREQ)
    for start in range(0, 1600, 7):  # chunks of any size
        detector.push_raw(raw[:, start:start + 7], start)

    def window(start: int, stop: int) -> Window:
        filtered = raw[:, start:stop] - raw[:, start:stop].mean(axis=1, keepdims=True)
        return Window(filtered, start, stop, stop / SFREQ)

    assert detector.check(window(100, 420)) is None
    assert detector.check(window(300, 620)) == AMPLITUDE
    # Stretches are 40 samples (0.25 s) from sample 0: [1000, 1040) is the flat one.
    assert detector.check(window(800, 1032)) is None  # ends inside the stretch
    assert detector.check(window(800, 1040)) == FLAT
    assert detector.check(window(1040, 1360)) is None  # 1040..1050 alone is too short


def _decision(value: float, stop: int) -> Decision:
    return Decision(value=value, label=None, scores=np.array([value]),
                    window_end=stop / SFREQ, stop_index=stop)


def _processor(**settings) -> NeurofeedbackProcessor:
    defaults = {"baseline": 10.0, "rate": 20.0, "smoothing": 0.5, "threshold": 0.7,
                "dwell": 0.5, "min_baseline_windows": 20}
    return NeurofeedbackProcessor(FeedbackSettings(**{**defaults, **settings}), sfreq=SFREQ,
                                  step_samples=8)


def _feed(processor, values, start, reasons=None, gaps=()):
    """One decision per 8 samples from ``start``; returns every sample produced."""
    out = []
    for k, value in enumerate(values):
        stop = start + 8 * k
        reason = reasons[k] if reasons is not None else None
        out.extend(processor.update(stop, [(_decision(value, stop), reason)],
                                    [g for g in gaps if stop - 8 < g.index <= stop]))
    return out


def test_processor_baseline_then_smoothed_feedback_on_the_signal_grid():
    processor = _processor()
    rng = np.random.default_rng(2)
    baseline = rng.uniform(0, 100, size=200)  # 10 s of windows every 8 samples
    assert _feed(processor, baseline, start=320) == []  # nothing during the baseline
    assert processor.in_baseline
    low = float(np.quantile(baseline, 0.25))
    samples = _feed(processor, [low] * 10 + [1e3] * 60, start=320 + 1600)
    assert not processor.in_baseline
    assert processor.baseline_start == 320 and processor.baseline_stop == 1920
    index = np.array([s.index for s in samples])
    np.testing.assert_array_equal(np.diff(index), 8)  # 20 Hz of signal at 160 Hz
    assert index[0] == 1920
    feedback = np.array([s.feedback for s in samples])
    start = feedback[9]
    assert start == pytest.approx(0.25, abs=0.01)
    # A step to a value above the whole baseline: first-order response, tau 0.5 s.
    k = np.arange(1, 61)
    expected = 1.0 - (1.0 - start) * np.exp(-k * 0.05 / 0.5)
    np.testing.assert_allclose(feedback[10:], expected, rtol=0, atol=1e-12)
    reward = np.array([s.reward for s in samples])
    first_above = int(np.argmax(feedback >= 0.7))
    first_reward = int(np.argmax(reward))
    assert first_reward - first_above == 10  # dwell 0.5 s = 10 samples at 20 Hz
    assert reward[first_reward:].all() and not reward[:first_reward].any()


def test_processor_artifacts_hold_the_feedback_and_reset_the_dwell():
    processor = _processor(smoothing=0.0)
    _feed(processor, np.linspace(0, 1, 200), start=320)
    values = [2.0] * 20 + [2.0] * 5 + [2.0] * 20
    reasons = [None] * 20 + [AMPLITUDE] * 5 + [None] * 20
    samples = _feed(processor, values, start=1920, reasons=reasons)
    artifact = np.array([s.is_artifact for s in samples])
    reward = np.array([s.reward for s in samples])
    assert list(artifact) == [r is not None for r in reasons]
    assert reward[10:20].all() and not reward[20:25].any()
    assert not reward[25:35].any() and reward[35:].all()  # dwell again after it
    assert all(s.feedback == samples[19].feedback for s in samples[20:25])
    # Decisions that never come: a gap (the pipeline restarts) or withheld windows.
    last = samples[-1].window_stop
    gap = Gap(index=last + 4, time=(last + 4) / SFREQ, n_missing=160, duration=1.0)
    lost = processor.update(last + 16, [], [gap])
    assert [s.artifact for s in lost] == [GAP, GAP]
    assert all(s.feedback == samples[-1].feedback and not s.reward for s in lost)
    processor2 = _processor()
    _feed(processor2, np.linspace(0, 1, 200), start=320)
    _feed(processor2, [0.5], start=1920)
    assert [s.artifact for s in processor2.update(1936, [])] == [WITHHELD, WITHHELD]


def test_processor_extends_a_baseline_full_of_artifacts():
    processor = _processor(baseline=1.0, min_baseline_windows=30)
    reasons = [FLAT] * 40 + [None] * 40
    samples = _feed(processor, np.arange(80.0), start=320, reasons=reasons)
    assert processor.normaliser.n_values == 30  # artifact windows never enter it
    assert samples and samples[0].index == 320 + 8 * 69
    assert sum(w.artifact is not None for w in processor.baseline_windows) == 40


# -- protocols and arguments -----------------------------------------------------------

_BASE = """
[signal]
picks = ["O1..", "O2.."]
[online]
mode = "sliding"
window = 2.0
{step}
[decoder]
kind = "{kind}"
{decoder}
{feedback}
"""


def _protocol_text(kind="band-power", feedback="[feedback]\nbaseline = 30.0", step="",
                   decoder=""):
    return _BASE.format(kind=kind, feedback=feedback, step=step, decoder=decoder)


@pytest.mark.parametrize(("text", "message"), [
    (_protocol_text(feedback=""), "no [feedback] table"),
    (_protocol_text(kind="csp-lda"), "must be trained"),
    (_protocol_text(kind="cca"), "outputs a class"),
    (_protocol_text(decoder="bands = { a = [8, 12], b = [13, 30] }"), "single band"),
    (_protocol_text(feedback="[feedback]\nthreshold = 1.5"), "threshold must be"),
    (_protocol_text(feedback="[feedback]\nrate = 0"), "rate must be > 0"),
    (_protocol_text(feedback="[feedback]\ndirection = \"sideways\""), "direction"),
    (_protocol_text(feedback="[feedback]\ntreshold = 0.7"), "unknown key(s) ['treshold']"),
])
def test_protocol_errors_are_one_line(text, message):
    with pytest.raises(ConfigError) as err:
        parse_protocol(text, origin="p.toml")
    assert message in str(err.value) and "\n" not in str(err.value)
    assert str(err.value).startswith("p.toml: ")


def test_protocol_step_defaults_to_one_over_rate():
    assert parse_protocol(_protocol_text(feedback="[feedback]\nrate = 25.0")).config.step \
        == 0.04
    kept = parse_protocol(_protocol_text(step="step = 0.1"))
    assert kept.config.step == 0.1 and kept.feedback == FeedbackSettings()


def test_shipped_protocols_fit_the_physionet_channels():
    names = ["Fz..", "Cz..", "C3..", "C4..", "O1..", "Oz..", "O2..", "Fp1."]
    # docs/protocols also holds presentation and assessment protocols: only those with a
    # [feedback] table are neurofeedback protocols.
    shipped = [p for p in sorted(PROTOCOLS.glob("*.toml")) if "\n[feedback]" in p.read_text()]
    assert {p.name for p in shipped} >= {"alpha.toml", "smr.toml", "theta-beta.toml"}
    for path in shipped:
        protocol = load_protocol(path)
        pipeline, processor = build_feedback(protocol, sfreq=SFREQ, ch_names=names,
                                             ch_types=["eeg"] * len(names))
        assert pipeline.windows.step == 8 and processor.settings.rate == 20.0
    assert load_protocol(PROTOCOLS / "theta-beta.toml").feedback.direction == "down"


def test_osc_addresses():
    assert parse_osc_address("127.0.0.1:9000").port == 9000
    assert parse_osc_address("localhost:57120").host in ("127.0.0.1", "::1")
    assert parse_osc_address("[::1]:9000").host == "::1"
    for bad, message in [("9000", "HOST:PORT"), ("host:port", "not a number"),
                         ("127.0.0.1:70000", "1-65535"), ("::1:9000", "brackets"),
                         ("no-such-host.invalid:9000", "cannot resolve")]:
        with pytest.raises(ConfigError, match=message):
            parse_osc_address(bad)


def test_command_errors_are_one_line(capsys, monkeypatch):
    from bci import cli
    from bci.cli import supervisor

    monkeypatch.setattr(supervisor.signal, "signal", lambda *args: None)
    assert cli.main(["neurofeedback", str(ALPHA), "--stream", "x", "--osc", "nowhere"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("bci: error: --osc 'nowhere' must be HOST:PORT") and "\n" not in err
    no_feedback = ROOT / "docs/configs/alpha-eyes-closed.toml"
    assert cli.main(["neurofeedback", str(no_feedback), "--stream", "x"]) == 1
    assert "no [feedback] table" in capsys.readouterr().err


# -- real data ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def open_then_closed(shared_recordings) -> ReplaySource:
    """S001 R01 (eyes open, 60 s) then R02 (eyes closed, 60 s) as one recording."""
    from bci.replay.files import sources_from_file

    folder = shared_recordings / "physionet-eegmmidb/S001"
    r01, r02 = (sources_from_file(folder / f"S001{run}.edf")[0] for run in ("R01", "R02"))
    assert r01.n_times == r02.n_times == 9600
    return ReplaySource(name="S001R01R02", stype="EEG",
                        data=np.concatenate([r01.data, r02.data], axis=1), sfreq=r01.sfreq,
                        ch_names=r01.ch_names, ch_types=r01.ch_types)


@pytest.fixture(scope="module")
def alpha_offline(open_then_closed):
    return run_feedback_offline(load_protocol(ALPHA), open_then_closed, chunk=CHUNK)


def _conditions(window_stop: np.ndarray, window: int = 320) -> tuple[np.ndarray, np.ndarray]:
    """Windows wholly in R01 (eyes open) and wholly in R02 (eyes closed)."""
    return window_stop <= 9600, window_stop - window >= 9600


@pytest.mark.realdata
def test_offline_alpha_feedback_separates_eyes_closed(alpha_offline, tmp_path):
    run = alpha_offline
    stops = np.array([s.window_stop for s in run.samples])
    feedback = np.array([s.feedback for s in run.samples])
    eyes_open, eyes_closed = _conditions(stops)
    auc = _auc(feedback[eyes_open], feedback[eyes_closed])
    assert auc >= 0.9, f"window-level ROC-AUC {auc:.3f}"
    assert run.processor.baseline_start == 320 and run.processor.baseline_stop == 320 + 4800
    summary = session_summary(run, load_protocol(ALPHA))
    assert summary["baseline"]["seconds"] == 30.0
    assert summary["feedback"]["n_samples"] == len(run.samples) == 88 * 20 + 1
    minutes = summary["per_minute"]
    assert [m["minute"] for m in minutes] == [1, 2]
    assert minutes[1]["mean_feedback"] > minutes[0]["mean_feedback"] + 0.1
    paths = write_summary(tmp_path, summary, run)
    assert json.loads(paths["json"].read_text())["feedback"]["n_rewards"] >= 1
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["png"].stat().st_size > 20_000


def _run_with_faults(protocol, source: ReplaySource, drop: tuple[int, int]):
    """Feed ``source`` as a live session would, dropping samples ``drop`` (a gap)."""
    pipeline, processor = build_feedback(protocol, sfreq=source.sfreq,
                                         ch_names=source.ch_names, ch_types=source.ch_types)
    detector = GapDetector(1.0 / source.sfreq)
    received, samples = 0, []
    for item in iter_virtual([source], chunk=CHUNK):
        if isinstance(item, VirtualMarker):
            continue
        chunk = item.chunk
        if drop[0] <= chunk.first_index < drop[1]:
            continue
        chunk = dataclasses.replace(chunk, first_index=received)
        received += chunk.n_times
        gaps, _ = detector.update(chunk.times)
        step = FeedbackStage(processor)(pipeline.process(chunk, gaps=gaps))
        samples.extend(step.outputs["feedback"])
    return pipeline, processor, samples


@pytest.mark.realdata
def test_artifacts_pause_the_reward_on_real_data(open_then_closed):
    protocol = load_protocol(ALPHA)
    protocol = dataclasses.replace(
        protocol, feedback=dataclasses.replace(protocol.feedback, baseline=10.0))
    data = open_then_closed.data[:, 6400:].copy()  # R01 from 40 s, then R02: 80 s
    o1 = open_then_closed.ch_names.index("O1..")
    o2 = open_then_closed.ch_names.index("O2..")
    s = int(SFREQ)
    data[o1, 5 * s:5 * s + 16] += 2e-3  # in the baseline: must be left out of it
    data[o1, 40 * s:40 * s + 32] += 2e-3  # large amplitude
    data[o2, 48 * s:56 * s] = 0.0  # a flat line (loose electrode)
    data[:, 62 * s:62 * s + 16] = np.nan  # non-finite samples: windows withheld
    source = dataclasses.replace(open_then_closed, data=data)
    pipeline, processor, samples = _run_with_faults(protocol, source,
                                                    drop=(70 * s, 71 * s))
    assert sum(w.artifact == AMPLITUDE for w in processor.baseline_windows) > 0
    clean_baseline = sum(w.artifact is None for w in processor.baseline_windows)
    assert processor.normaliser.n_values == clean_baseline
    reasons = [x.artifact for x in samples]
    index = np.array([x.index for x in samples])
    for reason, start, stop in [(AMPLITUDE, 40 * s + 32, 42 * s),
                                (FLAT, 48 * s + 80, 57 * s + 80),  # within 0.5 s, until it clears
                                (WITHHELD, 62 * s + 16, 64 * s)]:
        inside = (index >= start) & (index <= stop)
        assert inside.sum() > 10
        assert all(reasons[k] == reason for k in np.flatnonzero(inside)), reason
    gap_ticks = [k for k, r in enumerate(reasons) if r == GAP]
    assert 30 <= len(gap_ticks) <= 42  # a 2 s window to refill after the gap (1 s lost)
    assert pipeline.stats.counters["gaps"] == 1
    # Artifacts hold the feedback and pause the reward; the dwell restarts after them.
    feedback = np.array([x.feedback for x in samples])
    reward = np.array([x.reward for x in samples])
    artifact = np.array([r is not None for r in reasons])
    assert not reward[artifact].any()
    assert reward[~artifact].mean() > 0.5  # eyes closed: rewarded most of the clean time
    for k in np.flatnonzero(artifact[1:] & ~artifact[:-1]) + 1:  # artifact onsets
        end = k + int(np.argmax(~artifact[k:]))
        assert np.all(feedback[k:end] == feedback[k - 1])
        assert not reward[end:end + 10].any()  # 0.5 s of dwell before a new reward


# -- end to end: a replay, the command in its own process, an independent reader ----------

@pytest.mark.realdata
def test_live_neurofeedback_end_to_end_equals_offline(open_then_closed, alpha_offline,
                                                      tmp_path):
    name = f"nf-{uuid.uuid4().hex[:8]}"
    out = f"{name}-feedback"
    source = dataclasses.replace(open_then_closed, name=name)
    seconds = source.n_times / source.sfreq
    player = Player([source], speed=SPEED, chunk=CHUNK, lead=0.3)
    player.open_outlets()
    osc = OscReceiver(first_argument_only=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "bci.cli", "neurofeedback", str(ALPHA), "--stream", name,
         "--out-stream", out, "--duration", str(seconds / SPEED + 30), "--timeout", "20",
         "--osc", f"127.0.0.1:{osc.port}", "--summary", str(tmp_path / "session"), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        info = resolve_stream(out, timeout=30)  # exists once the command has its inlet
        with Inlet(info=info, timeout=10) as inlet:
            channels = inlet.description.ch_names
            assert inlet.description.metadata["speed"] == repr(SPEED)
            player.start()
            assert player.wait(timeout=seconds / SPEED + 15)
            rows, stamps = [], []
            n_expected = len(alpha_offline.samples)
            deadline = time.monotonic() + 5
            while sum(r.shape[1] for r in rows) < n_expected and time.monotonic() < deadline:
                chunk = inlet.pull(timeout=0.2)
                if chunk is not None:
                    rows.append(chunk.data)
                    stamps.append(chunk.times)
    finally:
        player.stop()
        process.terminate()  # SIGTERM: the command stops cleanly and writes its summary
        stdout, stderr = process.communicate(timeout=60)
        osc.close()
    assert process.returncode == 0, stderr
    assert rows, f"no feedback from the command; its stderr:\n{stderr}"
    live = np.concatenate(rows, axis=1)
    pushed = np.concatenate(stamps)
    assert channels == FEEDBACK_CHANNELS
    feedback, reward, value, artifact, window_end, latency_ms = live

    # Offline, on the virtual clock: the very same samples.
    offline = alpha_offline.samples
    assert live.shape[1] == len(offline), f"{live.shape[1]} live, {len(offline)} offline"
    np.testing.assert_array_equal(feedback, [s.feedback for s in offline])
    np.testing.assert_array_equal(reward, [float(s.reward) for s in offline])
    np.testing.assert_array_equal(value, [s.value for s in offline])
    np.testing.assert_array_equal(artifact, [float(s.is_artifact) for s in offline])
    expected_end = player.t0 + np.array([s.window_end for s in offline]) / SPEED
    assert np.max(np.abs(window_end - expected_end)) < 1e-3

    # What the signal holds: eyes closed (R02) gives far more feedback than eyes open.
    signal_time = (window_end - player.t0) * SPEED
    stops = np.round(signal_time * SFREQ).astype(int) + 1
    eyes_open, eyes_closed = _conditions(stops)
    auc = _auc(feedback[eyes_open], feedback[eyes_closed])
    assert auc >= 0.9, f"window-level ROC-AUC {auc:.3f}"
    assert ((feedback >= 0) & (feedback <= 1)).all() and set(reward) <= {0.0, 1.0}

    # Steady rate: one sample every 1/20 s of signal, none missing or doubled (the
    # tolerance covers LSL clock-correction updates, scaled up by the replay speed).
    np.testing.assert_allclose(np.diff(signal_time), 0.05, atol=2e-3)
    rate = (len(pushed) - 1) / (pushed[-1] - pushed[0]) / SPEED
    typical = 1.0 / np.median(np.diff(pushed)) / SPEED  # robust to bursts under load
    assert abs(typical - 20.0) < 1.0, f"measured {typical:.2f} Hz of signal time"
    assert abs(rate - 20.0) < 2.0, f"measured {rate:.2f} Hz of signal time on average"
    assert np.all(latency_ms > 0)
    # latency_ms is push time - window_end; the stamps we read went through our own
    # clock correction, which may differ by some microseconds.
    np.testing.assert_allclose(latency_ms, (pushed - window_end) * 1e3, atol=1.0)
    p50, p99 = np.percentile(latency_ms, [50, 99])
    assert p50 < 50.0, f"latency p50 {p50:.2f} ms"
    print(f"\nneurofeedback live: ROC-AUC {auc:.3f}, {rate:.2f} Hz of signal time, "
          f"latency p50 {p50:.2f} ms, p99 {p99:.2f} ms ({len(pushed)} samples)")

    # OSC carried the same samples.
    assert len(osc.messages.get("/bci/feedback", [])) == len(offline)
    np.testing.assert_allclose(osc.messages["/bci/feedback"], feedback, atol=1e-6)
    assert osc.messages["/bci/reward"] == [int(r) for r in reward]
    assert osc.messages["/bci/artifact"] == [int(a) for a in artifact]

    # The session summary: on stdout (--json) and as files.
    summary = json.loads(stdout)
    assert summary["baseline"]["seconds"] == 30.0
    assert summary["feedback"]["n_samples"] == len(offline)
    assert summary["output"]["rate_hz_measured"] == pytest.approx(rate, abs=0.5)
    assert summary["output"]["latency_ms"]["p50"] == pytest.approx(p50, rel=0.2, abs=1.0)
    assert summary["output"]["osc"]["sent"] == len(offline)
    assert len(summary["per_minute"]) == 2
    assert Path(summary["files"]["png"]).read_bytes()[:4] == b"\x89PNG"
    assert json.loads(Path(summary["files"]["json"]).read_text())["protocol"] \
        == summary["protocol"]


@pytest.mark.realdata
def test_command_offline_gives_the_offline_samples(shared_recordings, alpha_offline,
                                                   tmp_path, capsys, monkeypatch):
    from bci import cli
    from bci.cli import supervisor

    monkeypatch.setattr(supervisor.signal, "signal", lambda *args: None)
    folder = shared_recordings / "physionet-eegmmidb/S001"
    status = cli.main(["neurofeedback", str(ALPHA), "--data", str(folder / "S001R01.edf"),
                       str(folder / "S001R02.edf"), "--chunk", "1000", "--summary",
                       str(tmp_path), "--json"])
    assert status == 0
    # (under pytest, MNE's reader warnings land on captured stdout too: read the file)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert capsys.readouterr().out.rstrip().endswith("}")
    assert summary["feedback"]["n_samples"] == len(alpha_offline.samples)
    table = np.genfromtxt(tmp_path / "feedback.csv", delimiter=",", names=True)
    np.testing.assert_array_equal(table["feedback"], [s.feedback for s in alpha_offline.samples])
    np.testing.assert_array_equal(table["index"], [s.index for s in alpha_offline.samples])
