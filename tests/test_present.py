"""The presentation protocols, schedules and frames, headless; calibrate -> train ->
evaluate on the virtual clock with the simulated headset that follows the cues."""

from __future__ import annotations

import argparse
import itertools
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import pyxdf

from bci.datasets.follow import CueFollowingHeadset, Response, responses_for
from bci.errors import ConfigError
from bci.learn.evaluation import evaluate
from bci.learn.training import train
from bci.present import (
    DecisionFeedback,
    Presenter,
    build_timeline,
    calibrate_virtual,
    load_protocol,
    parse_protocol,
    sampled_sinusoid,
    virtual_flips,
)
from bci.present.command import add_calibrate_arguments, run_virtual
from bci.present.speller import spell

PROTOCOLS = Path(__file__).resolve().parents[1] / "docs" / "protocols"


def _protocol(name: str, **replace: str):
    """A shipped protocol, with text replacements (shorter timings for tests)."""
    path = PROTOCOLS / f"calibrate-{name}.toml"
    text = path.read_text()
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return parse_protocol(text, origin=str(path), base=PROTOCOLS)


def _xdf(path: Path) -> tuple[dict, dict]:
    streams, _ = pyxdf.load_xdf(str(path))
    markers = next(s for s in streams if s["info"]["type"][0] == "Markers")
    signal = next(s for s in streams if s["info"]["type"][0] != "Markers")
    return signal, markers


# -- bad input: one line each, before anything runs ------------------------------------

@pytest.mark.parametrize(("replace", "message"), [
    ({'paradigm = "motor-imagery"': 'paradigm = "telepathy"'}, "unknown paradigm 'telepathy'"),
    ({"trials = 40": "trials = 0"}, "give at least one trial"),
    ({'label = "T1"': 'label = "LEFT"'}, "cue label 'LEFT' is not an event label"),
    ({"rest = [1.5, 2.5]": "rest = [2.5, 1.5]"}, "the low end comes first"),
    ({"fixation = 1.0": "fixation = -1"}, "[timing].fixation must be a number"),
])
def test_bad_protocols_fail_in_one_line_naming_the_problem(replace, message) -> None:
    with pytest.raises(ConfigError) as err:
        _protocol("motor-imagery", **replace)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_zero_trials_from_the_command_line_and_flicker_above_half_refresh() -> None:
    protocol = load_protocol(PROTOCOLS / "calibrate-ssvep.toml")
    with pytest.raises(ConfigError, match="give at least one trial"):
        protocol.with_trials(0)
    protocol.check_refresh(60.0)  # 21 Hz < 30 Hz
    with pytest.raises(ConfigError, match=r"'21Hz' flickers at 21 Hz, above half the "
                                          r"40 Hz refresh rate"):
        protocol.check_refresh(40.0)


def test_every_shipped_protocol_loads_against_its_config() -> None:
    for name in ("motor-imagery", "ssvep", "p300", "emg"):
        protocol = load_protocol(PROTOCOLS / f"calibrate-{name}.toml")
        assert protocol.config is not None
        events = {label for labels in protocol.config.events.values() for label in labels}
        if name == "p300":
            assert {protocol.markers["target"], protocol.markers["nontarget"]} <= events
        else:
            assert set(protocol.labels) <= events
        # Every cue has a simulated response: the headset can calibrate each paradigm.
        assert set(responses_for(protocol)) >= (set(protocol.labels) or {"target"})


# -- schedules -------------------------------------------------------------------------

def test_trials_are_balanced_and_the_order_is_the_seeds() -> None:
    protocol = load_protocol(PROTOCOLS / "calibrate-motor-imagery.toml").with_trials(20)
    a, b, c = (build_timeline(protocol, seed) for seed in (7, 7, 8))
    labels = [m for _, m in a.markers() if m in ("T1", "T2")]
    assert Counter(labels) == {"T1": 10, "T2": 10}
    assert a == b and a.trial_cues != c.trial_cues
    # Segments tile the run back to back; rests lie within the protocol's bounds.
    starts = np.array([s.start for s in a.segments])
    stops = np.array([s.stop for s in a.segments])
    np.testing.assert_allclose(starts[1:], stops[:-1])
    rests = [s.duration for s in a.segments if s.kind == "rest"]
    assert len(rests) == 20 and min(rests) >= 1.5 and max(rests) <= 2.5
    assert len(set(rests)) == 20


def test_p300_speller_flashes_every_row_and_column_per_repetition() -> None:
    protocol = load_protocol(PROTOCOLS / "calibrate-p300.toml").with_trials(2)
    timeline = build_timeline(protocol, 3)
    flashes = [s for s in timeline.segments if s.kind == "flash"]
    assert len(flashes) == 2 * protocol.repetitions * 12
    first = flashes[:12]
    assert sorted(m[1] for m in (s.markers for s in first)) == sorted(
        [f"flash:row{k}" for k in range(6)] + [f"flash:col{k}" for k in range(6)])
    # Exactly the row and the column of the attended character are targets.
    target = first[0].target
    hits = [s for s in first if s.markers[0] == "target"]
    assert len(hits) == 2
    assert all(any(protocol.matrix[r][c] == target for r, c in s.cells) for s in hits)


def test_oddball_has_the_target_ratio_and_never_two_targets_in_a_row() -> None:
    protocol = _protocol("p300", **{'mode = "matrix"': 'mode = "oddball"\nstimuli = 30\n'
                                    'target_ratio = 0.2', "repetitions = 15":
                                    "repetitions = 2"}).with_trials(3)
    timeline = build_timeline(protocol, 5)
    labels = [s.markers[0] for s in timeline.segments if s.kind == "flash"]
    assert len(labels) == 3 * 2 * 30 and labels.count("target") == 3 * 2 * 6
    assert all(not (a == b == "target") for a, b in itertools.pairwise(labels))


# -- frames ----------------------------------------------------------------------------

def test_flicker_frames_are_the_sampled_sinusoid_for_frequencies_that_do_not_divide_60(
        ) -> None:
    protocol = _protocol("ssvep", **{"phase = 0.0\n\n[[cues]]\nlabel = \"17Hz\"":
                                     "phase = 1.5\n\n[[cues]]\nlabel = \"17Hz\""}
                         ).with_trials(1)
    presenter = Presenter(protocol, build_timeline(protocol, 0), 60.0)
    frames = [(f, flip) for f, flip, _ in virtual_flips(presenter)
              if f.segment is not None and f.segment.kind == "flicker"]
    assert len(frames) == 4 * 60  # 4 s of flicker, one value per frame
    values = np.array([f.luminance for f, _ in frames])
    for k, cue in enumerate(protocol.cues):
        expected = sampled_sinusoid(cue.frequency, 60.0, len(frames), phase=cue.phase)
        np.testing.assert_allclose(values[:, k], expected, atol=1e-12)
    # The 13 Hz target's frames carry 13 Hz: the spectral peak of the luminance.
    spectrum = np.abs(np.fft.rfft(values[:, 0] - 0.5))
    assert np.fft.rfftfreq(len(frames), 1 / 60)[np.argmax(spectrum)] == pytest.approx(13, abs=0.25)


def test_markers_are_stamped_with_the_flip_and_a_dropped_flicker_frame_is_reported(
        ) -> None:
    protocol = _protocol("ssvep").with_trials(1)
    timeline = build_timeline(protocol, 0)
    presenter = Presenter(protocol, timeline, 60.0)
    flips, pushed, t = [], [], 10.0
    for k in range(600):
        frame = presenter.prepare(t)
        if frame.finished:
            break
        if frame.segment is not None and frame.segment.kind == "flicker" and k % 100 == 0:
            t += 2 / 60  # this frame reaches the screen one refresh late
        pushed += presenter.flipped(t)
        flips.append(t)
        t += 1 / 60
    labels = dict(pushed)
    cued = protocol.labels[timeline.trial_cues[0]]
    flicker = next(s for s in timeline.segments if s.kind == "flicker")
    # Stamped with the first flip at or after the flicker's scheduled start.
    first_flip = min(f for f in flips if f - 10.0 >= flicker.start - 1e-9)
    assert labels[cued] == first_flip
    assert all(when in flips for _, when in pushed)
    stats = presenter.stats.summary()
    drops = stats["dropped_frames"]
    assert drops["count"] >= 1 and all(d["during"] == "flicker" for d in drops["events"])
    assert sum(label == "bci:dropped-frame" for label, _ in pushed) == len(drops["events"])
    assert stats["measured_refresh_hz"] == pytest.approx(60.0, rel=1e-6)


def test_pause_stops_the_run_clock_and_stop_ends_with_a_marker() -> None:
    protocol = _protocol("motor-imagery").with_trials(2)
    presenter = Presenter(protocol, build_timeline(protocol, 0), 60.0)
    presenter.prepare(0.0)
    presenter.flipped(0.0)
    presenter.toggle_pause(1.0)
    presenter.toggle_pause(4.0)  # three seconds paused
    assert presenter.run_time(5.0) == pytest.approx(2.0)
    presenter.stop()
    frame = presenter.prepare(5.0)
    assert frame.finished and frame.markers == ("bci:pause", "bci:resume", "bci:stopped")


# -- the headset follows the cues -------------------------------------------------------

def test_headset_is_deterministic_and_its_erd_is_over_the_cued_hand() -> None:
    responses = {"L": Response("erd", hand="left", duration=4.0),
                 "R": Response("erd", hand="right", duration=4.0)}

    def mu_power(label: str) -> np.ndarray:
        """Mu-band power at C3, C4 summed over 1-4 s after each of eight cues."""
        headset = CueFollowingHeadset("motor-imagery", responses=responses, seed=4,
                                      line_freq=None)
        sf = headset.sfreq
        for k in range(8):
            headset.cue(label, 1.0 + 6.0 * k)
        data, _ = headset.read(int(50 * sf))
        c3, c4 = (headset.ch_names.index(c) for c in ("C3", "C4"))
        total = np.zeros(2)
        for k in range(8):
            start = int((2.0 + 6.0 * k) * sf)
            during = data[[c3, c4], start:start + int(3 * sf)]
            freqs = np.fft.rfftfreq(during.shape[1], 1 / sf)
            spectrum = np.abs(np.fft.rfft(during, axis=1)) ** 2
            total += spectrum[:, (freqs >= 8) & (freqs <= 13)].sum(axis=1)
        return total

    left, right = mu_power("L"), mu_power("R")
    assert left[1] < 0.75 * right[1]  # imagining the left hand desynchronises C4
    assert right[0] < 0.75 * left[0]  # and the right hand C3
    a = CueFollowingHeadset("p300", seed=2)
    b = CueFollowingHeadset("p300", seed=2)
    for h in (a, b):
        h.cue("target", 0.5)
    chunks = [a.read(n)[0] for n in (1, 300, 17, 700)]
    # Any chunking gives the same signal (to rounding: BLAS sums 1 and 700 columns
    # differently), and the same seed the same samples.
    np.testing.assert_allclose(np.concatenate(chunks, axis=1), b.read(1018)[0],
                               rtol=1e-10, atol=1e-16)


# -- calibrate -> train -> evaluate, on the virtual clock ------------------------------

def test_motor_imagery_calibration_trains_a_decoder_above_90_percent(tmp_path) -> None:
    protocol = load_protocol(PROTOCOLS / "calibrate-motor-imagery.toml").with_trials(20)
    first, second = tmp_path / "mi-1.xdf", tmp_path / "mi-2.xdf"
    summary = calibrate_virtual(protocol, first, seed=1)
    calibrate_virtual(protocol, second, seed=2)
    signal, markers = _xdf(first)
    assert signal["info"]["name"] == ["bci-simulated"] and len(signal["time_stamps"]) > 0
    cues = [v[0] for v in markers["time_series"] if v[0] in ("T1", "T2")]
    expected = [protocol.labels[k] for k in build_timeline(protocol, 1).trial_cues]
    assert cues == expected and Counter(cues) == {"T1": 10, "T2": 10}
    assert summary["n_trials"] == 20
    model, data, _ = train(protocol.config, [first], n_folds=1)
    assert Counter(data.y.tolist()) == {"left": 10, "right": 10}
    result = evaluate(model, [second])
    assert result["accuracy"] >= 0.9, result["accuracy"]


def test_ssvep_calibration_cca_above_90_percent(tmp_path) -> None:
    protocol = load_protocol(PROTOCOLS / "calibrate-ssvep.toml")  # 30 trials
    calibrate_virtual(protocol, tmp_path / "a.xdf", seed=1)
    calibrate_virtual(protocol, tmp_path / "b.xdf", seed=2)
    model, data, _ = train(protocol.config, [tmp_path / "a.xdf"], n_folds=1)
    assert Counter(data.y.tolist()) == {"13Hz": 10, "17Hz": 10, "21Hz": 10}
    assert evaluate(model, [tmp_path / "b.xdf"])["accuracy"] >= 0.9


def test_p300_calibration_xdawn_spells_the_attended_characters(tmp_path) -> None:
    protocol = load_protocol(PROTOCOLS / "calibrate-p300.toml")  # 6 characters x 15
    calibrate_virtual(protocol, tmp_path / "a.xdf", seed=1)
    calibrate_virtual(protocol, tmp_path / "b.xdf", seed=2)
    model, _, _ = train(protocol.config, [tmp_path / "a.xdf"], n_folds=1)
    result = evaluate(model, [tmp_path / "b.xdf"])
    assert result["roc_auc"] >= 0.65  # one flash: the model's P300 is 5 uV in ~10 uV EEG
    target = model.classes.index("target")
    scores = [d["scores"][target] for d in result["files"][0]["decisions"]]
    chosen = spell(protocol, build_timeline(protocol, 2), scores)
    assert len(chosen) == 6
    assert np.mean([a == b for a, b in chosen]) >= 0.9, chosen


def test_calibrate_virtual_command_prints_the_train_command(tmp_path, capsys) -> None:
    parser = argparse.ArgumentParser()
    add_calibrate_arguments(parser)
    out = tmp_path / "emg.xdf"
    args = parser.parse_args([str(PROTOCOLS / "calibrate-emg.toml"), "--simulate",
                              "--virtual-clock", "--trials", "5", "--out", str(out)])
    assert run_virtual(args) == 0
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("next: bci train docs/configs/emg-gestures.toml".replace(
        "docs/", str(PROTOCOLS.parent) + "/")) or "emg-gestures.toml --data" in printed
    signal, markers = _xdf(out)
    labels = [v[0] for v in markers["time_series"]]
    assert sum(label in {c.label for c in load_protocol(
        PROTOCOLS / "calibrate-emg.toml").cues} for label in labels) == 5
    # The gestures are bursts: EMG power during holds far above rest.
    assert signal["info"]["type"] == ["EMG"]


def test_decision_feedback_bar_follows_the_decoders_direction() -> None:
    protocol = load_protocol(PROTOCOLS / "calibrate-motor-imagery.toml")
    channels = ["class", "score_left", "score_right", "window_end", "latency_ms"]
    feedback = DecisionFeedback(protocol, channels, smoothing=0.2)
    for k in range(20):
        feedback.update([1, 0.2, 0.8, 0, 1], 0.05 * k)
    assert feedback.bar == pytest.approx(0.6, abs=0.05)
    for k in range(20, 60):
        feedback.update([0, 0.9, 0.1, 0, 1], 0.05 * k)
    assert feedback.bar == pytest.approx(-0.8, abs=0.05)


def test_replay_follow_takes_the_cue_streams_announced_responses_and_answers_a_cue(
        ) -> None:
    import time
    import uuid

    import pylsl

    from bci.present import cue_description
    from bci.present.follow import follow_player
    from bci.stream.outlet import Outlet

    protocol = _protocol("ssvep", **{"frequency = 13.0": "frequency = 11.0"})
    name = f"cues-{uuid.uuid4().hex[:8]}"
    outlet = Outlet(cue_description(name, protocol, source_id=uuid.uuid4().hex))
    player = follow_player("ssvep", name, source_id=uuid.uuid4().hex, timeout=5.0)
    try:
        player.start()
        # The protocol's own frequencies, not bci simulate's defaults (13 Hz).
        assert player.headset.responses["13Hz"].frequency == 11.0
        info = pylsl.resolve_bypred(f"source_id='{player.source_id}'", 1, 5.0)[0]
        inlet = pylsl.StreamInlet(info, recover=False)
        inlet.open_stream(5.0)
        outlet.push_marker("13Hz", pylsl.local_clock())
        deadline = time.monotonic() + 5.0
        n = 0
        while (player.n_cues < 1 or n < 64) and time.monotonic() < deadline:
            _, stamps = inlet.pull_chunk(timeout=0.2, max_samples=256)
            n += len(stamps)
        inlet.close_stream()
        assert player.n_cues == 1 and n >= 64
        assert inlet.info().channel_count() == len(player.headset.ch_names)
    finally:
        player.stop()
        outlet.close()


def test_feedback_highlights_the_chosen_ssvep_target_and_spells_the_best_cell() -> None:
    ssvep = load_protocol(PROTOCOLS / "calibrate-ssvep.toml")
    feedback = DecisionFeedback(ssvep, ["class", "score_13Hz", "score_17Hz", "score_21Hz"])
    feedback.update([2, 0.1, 0.2, 0.7], 1.0)
    assert ssvep.cues[feedback.selected].label == "21Hz"
    p300 = load_protocol(PROTOCOLS / "calibrate-p300.toml")
    feedback = DecisionFeedback(p300, ["class", "score_nontarget", "score_target"])
    for _ in range(3):
        for k in range(6):
            feedback.flash_score(f"row{k}", 0.9 if k == 2 else 0.1)
            feedback.flash_score(f"col{k}", 0.8 if k == 4 else 0.2)
    assert feedback.end_sequence() == "Q" and feedback.spelled == "Q"  # row 2, column 4


def test_emg_calibration_trains_gestures_from_point_cue_markers(tmp_path) -> None:
    """An XDF cue stream has point markers only: each labels the signal up to the next
    marker ("rest", the gesture's name, then its label while held), so segment training
    and evaluation work on it."""
    protocol = load_protocol(PROTOCOLS / "calibrate-emg.toml").with_trials(10)
    calibrate_virtual(protocol, tmp_path / "a.xdf", seed=1)
    calibrate_virtual(protocol, tmp_path / "b.xdf", seed=2)
    model, data, _ = train(protocol.config, [tmp_path / "a.xdf"], n_folds=1)
    assert "rest" in set(data.y.tolist()) and len(set(data.y.tolist())) == 6
    result = evaluate(model, [tmp_path / "b.xdf"])
    assert result["window_accuracy"] >= 0.85, result["window_accuracy"]
