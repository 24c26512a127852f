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


def _mutations():
    from hypothesis import strategies as st

    return st.one_of(
        st.text(max_size=300),
        st.builds(lambda cut, junk: GOOD[:cut] + junk + GOOD[cut:],
                  st.integers(0, len(GOOD)), st.text(max_size=20)),
        st.builds(lambda a, b: GOOD[:a] + GOOD[b:], st.integers(0, len(GOOD)),
                  st.integers(0, len(GOOD))),
    )


def test_fuzzed_configs_parse_or_fail_cleanly():
    """Any text: a valid config or one ConfigError line, never another exception."""
    from hypothesis import given, settings

    @settings(max_examples=300, deadline=None)
    @given(_mutations())
    def check(text):
        try:
            config = parse_config(text, origin="fuzz.toml")
        except ConfigError as err:
            assert "\n" not in str(err)
        else:
            assert config.mode in ("markers", "sliding")

    check()


@pytest.mark.parametrize("edit, needle", [
    (('kind = "bandpass"', 'kind = "bandstop"'), "kind 'bandstop' is not one of"),
    (("l_freq = 8.0", "low = 8.0"), "unknown key(s) ['low']"),
    (('kind = "csp-lda"', 'kind = "csp-lda"\nn_comp = 4'), "no parameter(s) ['n_comp']"),
    (('kind = "csp-lda"', 'kind = "deep-net"'), "kind 'deep-net' is unknown"),
])
def test_filter_and_decoder_mistakes_are_caught_at_load(edit, needle):
    with pytest.raises(ConfigError) as info:
        parse_config(GOOD.replace(*edit), origin="pipe.toml")
    assert needle in str(info.value) and str(info.value).startswith("pipe.toml: ")


def test_settings_that_need_the_stream_fail_at_start_up_naming_the_file():
    from bci.pipeline.pipeline import Pipeline

    config = parse_config(GOOD.replace("h_freq = 30.0", "h_freq = 100.0"), origin="p.toml")
    with pytest.raises(ConfigError) as info:
        Pipeline(config, sfreq=160.0, ch_names=["C3", "C4"], ch_types=["eeg", "eeg"],
                 windows_only=True)
    assert str(info.value).startswith("p.toml: ") and "Nyquist" in str(info.value)


@pytest.mark.parametrize("online, needle", [
    ("window = 1e9\nstep = 0.1", "beyond the 600"),
    ("window = inf\nstep = 0.1", "finite"),
    ("window = nan\nstep = 0.1", "finite"),
    ("window = 1.0\nstep = 2.0", "longer than"),
])
def test_sizes_no_recording_needs_are_refused_in_one_line(online, needle):
    """What `bci live` used to take and then die of (MemoryError, OverflowError) or decode
    nothing with: refused at load, for every command, by the one validator."""
    text = f'[online]\nmode = "sliding"\n{online}\n[decoder]\nkind = "band-power"\n'
    with pytest.raises(ConfigError, match=needle) as info:
        parse_config(text, origin="x.toml")
    assert "\n" not in str(info.value) and str(info.value).startswith("x.toml:")


def test_deeply_nested_toml_is_one_line():
    text = "a = " + "[" * 5000 + "]" * 5000
    with pytest.raises(ConfigError) as info:
        parse_config(text, origin="deep.toml")
    assert "\n" not in str(info.value)


def test_a_window_larger_than_memory_is_refused_when_built():
    from bci.pipeline.pipeline import Pipeline

    config = parse_config('[online]\nmode = "sliding"\nwindow = 500.0\nstep = 1.0\n'
                          '[decoder]\nkind = "band-power"\n', origin="big.toml")
    names = [f"c{i}" for i in range(1024)]
    with pytest.raises(ConfigError, match="GiB") as info:
        Pipeline(config, sfreq=30_000.0, ch_names=names, ch_types=["seeg"] * 1024)
    assert "\n" not in str(info.value)
