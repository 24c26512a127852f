"""A person's course: simulated assessments and training sessions appended to the
history; the course's values equal each session's own summary; bad input is one line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from bci.attention import command, course_command
from bci.attention.course import course
from bci.attention.history import HISTORY_FILE, read_history
from bci.attention.protocol import parse_assess_protocol
from bci.attention.session import check_channels
from bci.errors import ConfigError

PROJECT = Path(__file__).resolve().parents[1]

PROTOCOL = """
[resting]
eyes_open = 10
eyes_closed = 10
instructions = 1
[cpt]
blocks = 3
stimuli_per_block = 20
instructions = 1
soa = [1.0, 1.5]
[simulate]
theta_beta_ratio = {tbr}
omission_rate = {om}
seed = {seed}
"""


def _assess(tmp_path: Path, person: Path, k: int, tbr: float, om: float, *extra) -> int:
    proto = tmp_path / f"p{k}.toml"
    proto.write_text(PROTOCOL.format(tbr=tbr, om=om, seed=k), encoding="utf-8")
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    args = parser.parse_args([str(proto), "--simulate", "--out", str(person / f"a{k}"),
                              "--person", str(person), "--seed", str(k), *extra])
    return command.run(args)


def _train(tmp_path: Path, person: Path, k: int) -> None:
    from bci.cli import neurofeedback

    text = (PROJECT / "docs/protocols/alpha.toml").read_text(encoding="utf-8")
    text = text.replace('"O1..", "Oz..", "O2.."', '"O1", "Oz", "O2"')
    text = text.replace("baseline = 30.0", "baseline = 8.0")  # the sample lasts 30 s
    proto = tmp_path / "alpha.toml"
    proto.write_text(text, encoding="utf-8")
    parser = argparse.ArgumentParser()
    neurofeedback.add_arguments(parser)
    args = parser.parse_args([str(proto), "--data",
                              str(PROJECT / "recordings/sample-rest_raw.fif"),
                              "--summary", str(person / f"t{k}"), "--person", str(person)])
    assert neurofeedback.run(args) == 0


def test_course_equals_the_sessions_own_summaries(tmp_path, capsys):
    person = tmp_path / "child"
    person.mkdir()
    assert _assess(tmp_path, person, 1, 5.0, 0.3) == 0
    _train(tmp_path, person, 1)
    assert _assess(tmp_path, person, 2, 4.0, 0.2) == 0
    _train(tmp_path, person, 2)
    # An interrupted assessment: kept, flagged, never the "after".
    assert _assess(tmp_path, person, 9, 1.0, 0.0, "--duration", "40") == 3
    assert _assess(tmp_path, person, 3, 3.0, 0.05) == 0
    capsys.readouterr()

    history = read_history(person)["sessions"]
    assert [s["kind"] for s in history] == ["assessment", "training", "assessment",
                                            "training", "assessment", "assessment"]
    assert [s["status"] for s in history].count("interrupted") == 1
    c = course(person)
    keys = ("omission_errors", "commission_errors", "rt_mean_ms", "rt_sd_ms", "d_prime",
            "theta_beta_ratio", "alpha_peak_hz")
    for row, folder in zip(c["assessments"], ["a1", "a2", "a9", "a3"], strict=True):
        own = json.loads((person / folder / "assessment.json").read_text())
        assert row["status"] == own["status"]
        for key in keys:
            assert row[key] == own[key], (folder, key)
    for row, folder in zip(c["training"], ["t1", "t2"], strict=True):
        own = json.loads((person / folder / "summary.json").read_text())
        assert row["mean_feedback"] == own["feedback"]["mean_feedback"]
        assert row["reward_rate"] == own["feedback"]["fraction_rewarded"]
        assert [b["mean_feedback"] for b in row["blocks"]] == \
            [m["mean_feedback"] for m in own["per_minute"]]
    before, after = c["before_after"]["before"], c["before_after"]["after"]
    assert (before["number"], after["number"]) == (1, 6)  # #5 was interrupted
    # The simulated course: theta/beta falls as the protocols set it.
    assert before["theta_beta_ratio"] == pytest.approx(5.0, rel=0.05)
    assert after["theta_beta_ratio"] == pytest.approx(3.0, rel=0.05)

    parser = argparse.ArgumentParser()
    course_command.add_arguments(parser)
    assert course_command.run(parser.parse_args([str(person)])) == 0
    text = (person / "course.md").read_text()
    assert "No clinical norms" in text and "| #5 | interrupted |" in text
    assert (person / "course.png").stat().st_size > 10_000
    # The third assessment's report compares with the two complete earlier ones only.
    report = (person / "a3" / "assessment.md").read_text()
    assert "#1 " in report and "#3 " in report and "#5 " not in report


def test_bad_person_folders_are_one_line(tmp_path):
    with pytest.raises(ConfigError, match="no such person folder"):
        read_history(tmp_path / "nobody")
    person = tmp_path / "p"
    person.mkdir()
    (person / HISTORY_FILE).write_text(json.dumps(
        {"format": "bci-person-history", "version": 99, "sessions": []}))
    with pytest.raises(ConfigError, match="newer bci") as err:
        read_history(person)
    assert "\n" not in str(err.value)
    (person / HISTORY_FILE).write_text("{not json")
    with pytest.raises(ConfigError, match="damaged"):
        read_history(person)
    # Refused before the session starts: nothing written.
    with pytest.raises(ConfigError, match="damaged"):
        _assess(tmp_path, person, 1, 4.0, 0.1)
    assert not (person / "a1").exists()


def test_protocol_channels_not_in_stream_is_one_line():
    protocol = parse_assess_protocol({})
    with pytest.raises(ConfigError, match="not in stream 'muse'"):
        check_channels(protocol, ["TP9", "AF7", "AF8", "TP10"], "muse")
    check_channels(protocol, ["Fz..", "Cz..", "Pz.."], "physionet")


@pytest.mark.parametrize("table, message", [
    ({"cpt": {"letters": "ABX"}}, "contains the no-go letter"),
    ({"cpt": {"stimulus": 2.0}}, "not shorter than the shortest soa"),
    ({"cpt": {"target_ratio": 1.2}}, "between 0 and 1"),
    ({"cpt": {"stimuli_per_block": 3}}, "give more stimuli per block"),
    ({"cpt": {"blink": 1}}, "has no key 'blink'"),
    ({"resting": {"eyes_open": -1}}, "finite number"),
])
def test_bad_protocols_are_one_line(table, message):
    with pytest.raises(ConfigError, match=message):
        parse_assess_protocol(table)


def test_shipped_protocol_parses():
    from bci.attention.protocol import load_assess_protocol
    from bci.attention.task import build_assess_timeline

    protocol = load_assess_protocol(PROJECT / "docs/protocols/assess-attention.toml")
    timeline = build_assess_timeline(protocol)
    assert timeline.n_trials == protocol.cpt.blocks * protocol.cpt.stimuli_per_block
