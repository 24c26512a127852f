"""Pipeline TOML: parsed, never evaluated; every mistake is one line naming file and key."""

from __future__ import annotations

import pytest

from bci.errors import ConfigError
from bci.pipeline.config import load_config, parse_config

GOOD = """
[signal]
picks = "eeg"
[[filters]]
kind = "bandpass"
l_freq = 8.0
h_freq = 30.0
[epochs]
events = { left = "T1", right = "T2" }
tmin = 0.5
tmax = 2.5
[decoder]
kind = "csp-lda"
[budget]
end_to_end = 20.0
"""


def test_good_config_defaults_to_marker_mode():
    config = parse_config(GOOD)
    assert config.mode == "markers"
    assert config.classes == ["left", "right"]
    assert config.events == {"left": ["T1"], "right": ["T2"]}
    assert config.budget == {"end_to_end": 20.0}


@pytest.mark.parametrize("text, needle", [
    ("[signal\npicks='eeg'", "malformed TOML"),
    (GOOD + "\n[bogus]\nx=1", "unknown section"),
    (GOOD.replace("tmax = 2.5", "tmax = 0.1"), "tmax"),
    (GOOD.replace('kind = "csp-lda"', ""), "[decoder] needs a kind"),
    (GOOD.replace("[epochs]", "[online]\nmode = 'sliding'\n[epochs]"), "window"),
    (GOOD.replace("end_to_end = 20.0", "end_to_end = -1"), "positive"),
    (GOOD.replace('picks = "eeg"', "picks = 3"), "picks"),
    (GOOD.replace("tmin = 0.5", 'tmin = "__import__(\'os\')"'), "must be a number"),
])
def test_bad_configs_fail_in_one_line(text, needle):
    with pytest.raises(ConfigError) as info:
        parse_config(text, origin="pipe.toml")
    message = str(info.value)
    assert needle in message and message.startswith("pipe.toml: ") and "\n" not in message


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml")
