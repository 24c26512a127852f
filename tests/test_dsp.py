"""Tests of bci.dsp: causal filters with carried state, re-referencing, repair, features.

The central property: whatever the chunking, the live filters give exactly (bit for
bit) what one ``scipy.signal.sosfilt`` call gives on the whole signal, so live decisions
equal offline decisions. It is checked on a real recording (PhysioNet eegmmidb S001R04,
64 EEG channels at 160 Hz, when ``../shared/recordings`` is present) and on a synthetic
signal that always runs.
"""

from __future__ import annotations

from typing import NamedTuple

import mne
import numpy as np
import pytest
import scipy.signal
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import bci.dsp.sos as sos_module
from bci.dsp import (
    BandPower,
    FilterChain,
    NonFiniteGuard,
    Picks,
    Reference,
    SosFilter,
    band_power,
    design_bandpass,
    design_highpass,
    design_lowpass,
    design_notch,
    stack_sos,
)
from bci.dsp.band_power import POWER_FLOOR
from bci.errors import ConfigError

EEGMMIDB_RUN = "physionet-eegmmidb/S001/S001R04.edf"


class Signal(NamedTuple):
    data: np.ndarray  # (n_channels, n_times), volts
    sfreq: float
    ch_names: list[str]
    ch_types: list[str]


def _synthetic() -> Signal:
    """8 channels at 250 Hz, 12 s: DC offsets up to 100 uV, alpha, mains, 1/f-ish noise."""
    rng = np.random.default_rng(20240601)
    sfreq, n_channels = 250.0, 8
    t = np.arange(int(12 * sfreq)) / sfreq
    noise = np.cumsum(rng.standard_normal((n_channels, t.size)), axis=1) * 0.3e-6
    noise += rng.standard_normal((n_channels, t.size)) * 2e-6
    alpha = 10e-6 * np.sin(2 * np.pi * 10.0 * t + rng.uniform(0, 2 * np.pi, (n_channels, 1)))
    mains = 5e-6 * np.sin(2 * np.pi * 50.0 * t) + 2e-6 * np.sin(2 * np.pi * 100.0 * t)
    offsets = np.linspace(-100e-6, 100e-6, n_channels)[:, None]
    data = offsets + alpha + mains + noise
    names = ["Fz", "C3", "Cz", "C4", "P3", "Pz", "P4", "Oz"]
    return Signal(data, sfreq, names, ["eeg"] * n_channels)


@pytest.fixture(scope="module")
def synthetic() -> Signal:
    return _synthetic()


@pytest.fixture(scope="module")
def eegmmidb(shared_recordings) -> Signal:
    path = shared_recordings / EEGMMIDB_RUN
    if not path.is_file():
        pytest.skip(f"{path} not found: the real-recording checks need it")
    raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
    return Signal(raw.get_data(), raw.info["sfreq"], raw.ch_names, raw.get_channel_types())


@pytest.fixture(
    scope="module", params=["synthetic", pytest.param("eegmmidb", marks=pytest.mark.realdata)]
)
def signal(request) -> Signal:
    return request.getfixturevalue(request.param)


# The [[filters]] lists under test; every one is valid at 160 Hz and at 250 Hz.
CONFIGS: dict[str, list[dict]] = {
    "bandpass": [{"kind": "bandpass", "l_freq": 8.0, "h_freq": 30.0}],
    "highpass": [{"kind": "highpass", "l_freq": 1.0}],
    "lowpass": [{"kind": "lowpass", "h_freq": 30.0, "order": 5}],
    "notch": [{"kind": "notch", "freq": 50.0}],
    "reference": [{"kind": "reference", "ref": "average"}],
    "fused": [
        {"kind": "bandpass", "l_freq": 1.0, "h_freq": 40.0},
        {"kind": "notch", "freq": 50.0, "harmonics": True},
        {"kind": "highpass", "l_freq": 0.5, "order": 2},
        {"kind": "reference", "ref": "average"},
    ],
}


def run_chunked(stage, data: np.ndarray, sizes: list[int]) -> np.ndarray:
    """Feed ``data`` to ``stage`` in chunks of ``sizes`` (cycled) and join the outputs."""
    outputs, start, i = [], 0, 0
    while start < data.shape[1]:
        stop = start + sizes[i % len(sizes)]
        outputs.append(stage(data[:, start:stop]))
        start, i = stop, i + 1
    return np.concatenate(outputs, axis=1)


def one_scipy_call(chain: FilterChain, data: np.ndarray) -> np.ndarray:
    """The reference computation: re-reference (if any), then ONE public sosfilt call."""
    x = data if chain.reference is None else chain.reference(data)
    if chain.sos_ is None:
        return x
    zi = scipy.signal.sosfilt_zi(chain.sos_)[:, None, :] * x[:, 0][None, :, None]
    y, _ = scipy.signal.sosfilt(chain.sos_, x, axis=-1, zi=zi)
    return y


def random_sizes(seed: int, n: int = 200) -> list[int]:
    return list(np.random.default_rng(seed).integers(1, 97, size=n))


# --------------------------------------------------------------------------------------
# Chunk invariance, bit for bit.
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CONFIGS))
def test_chunked_output_is_bit_identical_to_one_sosfilt_call(signal: Signal, name: str):
    data = signal.data
    expected = one_scipy_call(
        FilterChain.from_config(CONFIGS[name], signal.sfreq, signal.ch_names), data
    )
    for sizes in ([data.shape[1]], [1], [3], [17], random_sizes(7)):
        chain = FilterChain.from_config(CONFIGS[name], signal.sfreq, signal.ch_names)
        got = run_chunked(chain, data, sizes)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)
        # Stronger, and what "live decisions equal offline decisions" rests on.
        assert np.array_equal(got, expected), f"{name}: chunks of {sizes[:5]} differ in bits"


def test_reference_equals_its_matrix(signal: Signal):
    data = signal.data
    for ref, exclude in (
        ("average", None),
        ([signal.ch_names[1]], None),
        (signal.ch_names[:2], [signal.ch_names[0]]),
    ):
        reference = Reference(signal.ch_names, ref, exclude)
        want = reference.matrix_ @ data
        got = run_chunked(reference, data, [17])
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10 * np.abs(data).max())
        assert np.array_equal(got, run_chunked(reference, data, [1]))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sizes=st.lists(st.integers(min_value=0, max_value=150), min_size=1, max_size=40))
def test_any_chunking_is_bit_identical_property(synthetic: Signal, sizes: list[int]):
    assume(sum(sizes) > 0)
    data = synthetic.data[:, :1500]
    chain = FilterChain.from_config(CONFIGS["fused"], synthetic.sfreq, synthetic.ch_names)
    got = run_chunked(chain, data, sizes)
    assert np.array_equal(got, one_scipy_call(chain, data))


def test_kernel_shortcut_matches_public_sosfilt(synthetic: Signal, monkeypatch):
    chain_args = (CONFIGS["fused"], synthetic.sfreq, synthetic.ch_names)
    fast = run_chunked(FilterChain.from_config(*chain_args), synthetic.data, [5])
    monkeypatch.setattr(sos_module, "_sosfilt_inplace", sos_module._public_sosfilt_inplace)
    public = run_chunked(FilterChain.from_config(*chain_args), synthetic.data, [5])
    assert np.array_equal(fast, public)


def test_fused_sections_equal_the_cascade_exactly(synthetic: Signal):
    fs = synthetic.sfreq
    parts = [design_bandpass(fs, 1.0, 40.0), design_notch(fs, 50.0), design_highpass(fs, 0.5)]
    cascade = synthetic.data
    for part in parts:
        cascade = scipy.signal.sosfilt(part, cascade, axis=-1)
    fused = scipy.signal.sosfilt(stack_sos(parts), synthetic.data, axis=-1)
    assert np.array_equal(fused, cascade)


def test_reference_position_does_not_change_the_result(synthetic: Signal):
    # The chain applies the reference before the fused filters; in exact arithmetic the
    # order does not matter (both are linear, one across channels, one along time).
    fs, names = synthetic.sfreq, synthetic.ch_names
    filters_then_ref = Reference(names)(
        FilterChain.from_config(CONFIGS["fused"][:3], fs, names)(synthetic.data)
    )
    chain = FilterChain.from_config(CONFIGS["fused"], fs, names)
    np.testing.assert_allclose(
        chain(synthetic.data), filters_then_ref, rtol=0, atol=1e-12 * 100e-6
    )


def test_reset_starts_over(synthetic: Signal):
    chain = FilterChain.from_config(CONFIGS["fused"], synthetic.sfreq, synthetic.ch_names)
    first = run_chunked(chain, synthetic.data, [32])
    chain.reset()
    assert chain.filter.zi_ is None
    assert np.array_equal(run_chunked(chain, synthetic.data, [32]), first)


def test_stages_never_modify_their_input(synthetic: Signal):
    data = synthetic.data[:, :500].copy()
    data[2, 100:120] = np.nan
    frozen = data.copy()
    data.setflags(write=False)  # any in-place write raises
    chain = FilterChain.from_config(CONFIGS["fused"], synthetic.sfreq, synthetic.ch_names)
    out = chain(data)
    for stage in (
        SosFilter(design_highpass(synthetic.sfreq, 1.0), 8),
        Reference(synthetic.ch_names),
        Picks(synthetic.ch_names, synthetic.ch_types, ["Cz"]),
    ):
        stage(frozen)
    assert np.array_equal(data, frozen, equal_nan=True)
    assert out is not data and np.isfinite(out).all()


def test_empty_chunk_changes_nothing(synthetic: Signal):
    data = synthetic.data[:, :300]
    chain = FilterChain.from_config(CONFIGS["fused"], synthetic.sfreq, synthetic.ch_names)
    empty = chain(data[:, :0])
    assert empty.shape == (8, 0) and chain.filter.zi_ is None
    assert np.array_equal(run_chunked(chain, data, [0, 7, 0]), one_scipy_call(chain, data))


# --------------------------------------------------------------------------------------
# Design.
# --------------------------------------------------------------------------------------


def test_bandpass_passes_the_band_and_attenuates_mains():
    sos = design_bandpass(160.0, 8.0, 30.0)
    _, h = scipy.signal.sosfreqz(sos, worN=[15.0, 50.0], fs=160.0)
    gain_15, gain_50 = np.abs(h)
    assert abs(gain_15 - 1.0) < 1e-3
    assert 20 * np.log10(gain_50) < -20.0


@pytest.mark.parametrize(
    ("design", "mne_l", "mne_h"),
    [
        (lambda: design_bandpass(160.0, 8.0, 30.0), 8.0, 30.0),
        (lambda: design_highpass(160.0, 1.0), 1.0, None),
        (lambda: design_lowpass(160.0, 30.0), None, 30.0),
    ],
)
def test_design_matches_mne_create_filter(design, mne_l, mne_h):
    params = mne.filter.create_filter(
        None,
        160.0,
        mne_l,
        mne_h,
        method="iir",
        phase="forward",
        verbose="error",
        iir_params=dict(order=4, ftype="butter", output="sos"),
    )
    np.testing.assert_allclose(design(), params["sos"], rtol=1e-12, atol=1e-15)


def test_notch_removes_mains_and_harmonics():
    fs = 1000.0
    sos = design_notch(fs, 50.0, harmonics=True)
    assert sos.shape == (9, 6)  # 50, 100, ..., 450 Hz: all below Nyquist
    _, h = scipy.signal.sosfreqz(sos, worN=np.arange(50.0, 500.0, 50.0), fs=fs)
    assert np.abs(h).max() < 1e-6
    _, h = scipy.signal.sosfreqz(sos, worN=[10.0, 25.0, 75.0, 130.0], fs=fs)
    assert np.abs(h).min() > 0.9
    # In time: mains and two harmonics on top of 10 Hz; after settling only 10 Hz is left.
    t = np.arange(int(4 * fs)) / fs
    wanted = np.sin(2 * np.pi * 10 * t)
    mains = sum(np.sin(2 * np.pi * f * t) for f in (50.0, 100.0, 150.0))
    y = SosFilter(sos, 1)((wanted + mains)[None])[0]
    settled = slice(int(fs), None)
    y_ref = SosFilter(sos, 1)(wanted[None])[0]
    assert np.abs(y - y_ref)[settled].max() < 0.01  # mains gone to 1 %


@pytest.mark.parametrize(
    ("sfreq", "harmonics", "n_sections"),
    [
        (1000.0, False, 1),
        (1000.0, 3, 3),
        (200.0, True, 1),
        (250.0, True, 2),
        (4000.0, True, 39),
        (250.0, 10, 2),
    ],
)
def test_notch_harmonics_stop_below_nyquist(sfreq, harmonics, n_sections):
    assert design_notch(sfreq, 50.0, harmonics).shape == (n_sections, 6)


def test_dc_offset_does_not_ring():
    fs = 250.0
    t = np.arange(int(10 * fs)) / fs
    x = (100e-6 + 1e-6 * np.sin(2 * np.pi * 10 * t))[None]
    sos = design_highpass(fs, 1.0)
    y = SosFilter(sos, 1)(x)
    assert np.abs(y).max() < 3e-6  # the 1 uV signal, not the 100 uV offset
    # The test can fail: from a zero state the same filter rings on the offset.
    y0 = scipy.signal.sosfilt(sos, x, axis=-1)
    assert np.abs(y0).max() > 50e-6


# --------------------------------------------------------------------------------------
# Configuration errors: one line that says what to change.
# --------------------------------------------------------------------------------------

NAMES = ["Fz", "C3", "Cz", "C4", "P3", "Pz", "P4", "Oz"]


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda: design_bandpass(160.0, 8.0, 100.0), ["h_freq=100.0", "Nyquist", "80.0"]),
        (lambda: design_bandpass(160.0, 8.0, 80.0), ["Nyquist", "lower h_freq"]),
        (lambda: design_highpass(160.0, 90.0), ["l_freq=90.0", "Nyquist"]),
        (lambda: design_lowpass(160.0, 80.0), ["h_freq=80.0", "Nyquist"]),
        (lambda: design_notch(100.0, 50.0), ["freq=50.0", "Nyquist"]),
        (lambda: design_bandpass(160.0, 30.0, 8.0), ["l_freq=30.0", "below h_freq=8.0"]),
        (lambda: design_bandpass(160.0, 8.0, 8.0), ["below h_freq"]),
        (lambda: design_highpass(160.0, -1.0), ["l_freq=-1.0", "positive"]),
        (lambda: design_notch(160.0, -50.0), ["freq=-50.0", "positive"]),
        (lambda: design_bandpass(160.0, float("nan"), 30.0), ["finite"]),
        (lambda: design_lowpass(160.0, "30"), ["number"]),
        (lambda: design_bandpass(160.0, 8.0, 30.0, order=0), ["order=0", "1 to 16"]),
        (lambda: design_bandpass(160.0, 8.0, 30.0, order=2.5), ["whole number"]),
        (lambda: design_notch(160.0, 50.0, harmonics="yes"), ["harmonics"]),
        (lambda: design_notch(160.0, 50.0, quality=0.0), ["quality"]),
        (lambda: design_lowpass(0.0, 30.0), ["sfreq"]),
        (lambda: Reference(NAMES, ["Cz", "A1"]), ["'A1'", "valid names", "'Fz'"]),
        (lambda: Reference(NAMES, "avg"), ["'avg'", "average"]),
        (lambda: Reference(NAMES, ["Cz", "Cz"]), ["more than once"]),
        (lambda: Reference(NAMES, exclude=NAMES), ["every channel"]),
        (
            lambda: FilterChain.from_config([{"kind": "bandstop"}], 160.0, NAMES),
            ["#1", "'bandstop'", "bandpass, highpass, lowpass, notch, reference"],
        ),
        (
            lambda: FilterChain.from_config(
                [{"kind": "notch"}, {"kind": "bandpass", "l_freq": 8, "h_freq": 30, "hfreq": 3}],
                160.0,
                NAMES,
            ),
            ["#2", "'hfreq'", "l_freq, h_freq, order"],
        ),
        (
            lambda: FilterChain.from_config([{"kind": "bandpass", "l_freq": 8}], 160.0, NAMES),
            ["missing 'h_freq'"],
        ),
        (
            lambda: FilterChain.from_config([{"kind": "lowpass", "h_freq": 99.0}], 160.0, NAMES),
            ["[[filters]] #1", "Nyquist"],
        ),
        (
            lambda: FilterChain.from_config([{"kind": "reference", "ref": ["X"]}], 160.0, NAMES),
            ["#1", "'X'"],
        ),
        (
            lambda: FilterChain.from_config([{"kind": "reference"}] * 2, 160.0, NAMES),
            ["second reference", "#1"],
        ),
        (lambda: Picks(NAMES, ["eeg"] * 8, ["Cz", "T7"]), ["'T7'", "valid names"]),
        (lambda: Picks(NAMES, ["eeg"] * 8, "emg"), ["'emg'", "'eeg'"]),
        (lambda: Picks(NAMES, ["eeg"] * 8, []), ["no channel"]),
    ],
)
def test_invalid_settings_raise_one_line_config_errors(build, words):
    with pytest.raises(ConfigError) as info:
        build()
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


@pytest.mark.realdata
def test_unknown_channel_error_suggests_the_dotted_name(eegmmidb: Signal):
    with pytest.raises(ConfigError, match=r"'Cz' -> 'Cz\.\.'\?.*\(64 channels\)"):
        Reference(eegmmidb.ch_names, ["Cz"])


# --------------------------------------------------------------------------------------
# Re-referencing and picks.
# --------------------------------------------------------------------------------------


def test_average_reference_has_zero_mean_at_every_sample(signal: Signal):
    out = run_chunked(Reference(signal.ch_names, "average"), signal.data, [13])
    scale = np.abs(signal.data).max()
    assert np.abs(out.mean(axis=0)).max() < 1e-14 * scale
    # ...and it did something: the raw channels' mean is far from zero.
    assert np.abs(signal.data.mean(axis=0)).max() > 1e-3 * scale


def test_named_reference_and_exclude():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 50))
    out = Reference(NAMES, ["C3", "C4"], exclude=["C3", "C4", "Oz"])(x)
    keep = [0, 2, 4, 5, 6]
    np.testing.assert_allclose(out, x[keep] - (x[1] + x[3]) / 2, rtol=0, atol=1e-15)
    chain = FilterChain.from_config(
        [{"kind": "reference", "ref": "average", "exclude": ["Oz"]}], 250.0, NAMES
    )
    assert chain.n_channels_out == 7 and chain.ch_names_out == NAMES[:7]
    np.testing.assert_allclose(chain(x), x[:7] - x[:7].mean(axis=0), atol=1e-15)


def test_picks_by_type_and_by_name():
    types = ["eeg", "eeg", "eeg", "eog", "eeg", "emg", "eeg", "stim"]
    assert list(Picks(NAMES, types, "eeg").indices) == [0, 1, 2, 4, 6]
    picks = Picks(NAMES, types, ["Oz", "Fz"])
    assert list(picks.indices) == [7, 0] and picks.ch_names_out == ["Oz", "Fz"]
    assert list(Picks(NAMES, types, ["eog", "emg"]).indices) == [3, 5]
    assert list(Picks(NAMES, types, None).indices) == list(range(8))
    x = np.arange(16.0).reshape(8, 2)
    assert np.array_equal(picks(x), x[[7, 0]])


# --------------------------------------------------------------------------------------
# Non-finite samples.
# --------------------------------------------------------------------------------------


def test_nan_burst_never_reaches_the_filter_state(signal: Signal):
    data = signal.data.copy()
    n_channels, n_times = data.shape
    mid = n_times // 2
    burst = (slice(1, min(9, n_channels)), slice(mid, mid + 40))
    data[burst] = np.nan
    data[0, mid + 100] = np.inf
    data[:, mid + 300 : mid + 317] = np.nan  # every channel, one whole 17-sample chunk
    expected_mask = ~np.isfinite(data).all(axis=0)
    chain = FilterChain.from_config(CONFIGS["fused"], signal.sfreq, signal.ch_names)
    outputs, masks = [], []
    for start in range(0, n_times, 17):
        outputs.append(chain(data[:, start : start + 17]))
        masks.append(chain.repaired_.copy())
        assert np.isfinite(chain.filter.zi_).all()
    out = np.concatenate(outputs, axis=1)
    assert np.isfinite(out).all()
    assert chain.n_nonfinite_ == int((~np.isfinite(data)).sum())
    assert np.array_equal(np.concatenate(masks), expected_mask)
    # Holding the last value does not ring: around the bursts the output stays within
    # the range of the clean signal's output.
    clean = one_scipy_call(
        FilterChain.from_config(CONFIGS["fused"], signal.sfreq, signal.ch_names), signal.data
    )
    settled = slice(int(5 * signal.sfreq), None)
    near = slice(mid, mid + int(2 * signal.sfreq))
    assert np.abs(out[:, near]).max() <= 2 * np.abs(clean[:, settled]).max()
    # Before the burst the output is untouched, bit for bit.
    assert np.array_equal(out[:, : mid - mid % 17], clean[:, : mid - mid % 17])


def test_zero_fill_would_ring_where_holding_does_not(synthetic: Signal):
    # The counterpart that makes the test above able to fail: with 100 uV offsets, a
    # burst replaced by zeros rings far outside the clean output's range.
    data = synthetic.data.copy()
    mid = data.shape[1] // 2
    data[:, mid : mid + 40] = 0.0
    chain = FilterChain.from_config(CONFIGS["fused"], synthetic.sfreq, synthetic.ch_names)
    out = run_chunked(chain, data, [17])
    clean = one_scipy_call(chain, synthetic.data)
    settled = slice(int(5 * synthetic.sfreq), None)
    assert np.abs(out[:, mid : mid + 500]).max() > 2 * np.abs(clean[:, settled]).max()


def test_guard_holds_the_last_finite_value():
    guard = NonFiniteGuard(2)
    first = guard(np.array([[np.nan, 2.0, np.nan], [np.nan, np.nan, np.nan]]))
    # Channel 0 back-fills its first finite value; channel 1 has none yet: 0.
    assert np.array_equal(first, [[2.0, 2.0, 2.0], [0.0, 0.0, 0.0]])
    second = guard(np.array([[np.inf, 5.0], [-np.inf, 7.0]]))
    assert np.array_equal(second, [[2.0, 5.0], [7.0, 7.0]])
    assert list(guard.repaired_) == [True, False] and guard.n_nonfinite_ == 7
    clean = np.ones((2, 4))
    assert guard(clean) is clean and not guard.repaired_.any()
    data, mask = guard.repair(np.array([[1.0, np.nan], [1.0, 1.0]]))
    assert np.array_equal(data, [[1.0, 1.0], [1.0, 1.0]]) and list(mask) == [False, True]
    guard.reset()
    assert guard.n_nonfinite_ == 0 and np.isnan(guard.last_).all()


# --------------------------------------------------------------------------------------
# Band power.
# --------------------------------------------------------------------------------------


def test_band_power_of_a_sine():
    fs, amplitude = 250.0, 10e-6
    t = np.arange(int(2 * fs)) / fs
    x = np.vstack([amplitude * np.sin(2 * np.pi * 10.0 * t), 1e-7 * np.ones_like(t)])
    bands = {"alpha": [8, 12], "beta": [13, 30]}
    power = band_power(x, fs, bands, log=False)
    assert power.shape == (2, 2)
    assert power[0, 0] == pytest.approx(amplitude**2 / 2, rel=0.02)  # Parseval
    assert power[1, 0] < 1e-3 * power[0, 0]
    relative = band_power(x, fs, bands, log=False, relative=True)
    assert relative[0, 0] > 0.99
    logged = band_power(x, fs, bands)
    # log10 of the power, floored at 1e-30 V² (the sine's beta leakage is ~1e-40)
    np.testing.assert_allclose(logged[:, 0], np.log10(np.maximum(power[:, 0], POWER_FLOOR)))
    assert np.isfinite(logged).all()  # the flat channel: floored, not -inf


def _welch_band_power(x, sfreq, bands, relative):
    """The reference: scipy.signal.welch, summed over each band's bins, edges included."""
    freqs, psd = scipy.signal.welch(x, fs=sfreq, nperseg=min(x.shape[-1], round(sfreq)))
    df = freqs[1] - freqs[0]
    power = np.stack(
        [psd[..., (freqs >= lo) & (freqs <= hi)].sum(-1) * df for lo, hi in bands.values()]
    )
    if relative:
        power = power / (psd[..., freqs > 0].sum(-1) * df)
    return np.log10(power)


@pytest.mark.parametrize("seconds", [0.2, 1.0, 2.0, 3.3])
@pytest.mark.parametrize("relative", [False, True])
def test_precomputed_band_power_equals_welch(synthetic: Signal, seconds, relative):
    n = int(seconds * synthetic.sfreq)
    window = synthetic.data[:, 100 : 100 + n]
    bands = {"theta": [4, 8], "alpha": [8, 13], "beta": [13, 30]}
    if seconds < 0.5:
        bands = {"low": [0, 40], "high": [40, 125]}
    want = _welch_band_power(window, synthetic.sfreq, bands, relative)
    got = BandPower(synthetic.sfreq, bands, n, relative=relative)(window)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_array_equal(
        band_power(window, synthetic.sfreq, bands, relative=relative), got
    )


def test_band_power_of_stacked_windows_equals_one_window_at_a_time(synthetic: Signal):
    # the decoders transform a batch offline and one window live: the bits must agree
    n = int(synthetic.sfreq)
    windows = np.stack([synthetic.data[:, i : i + n] for i in range(0, 20 * 37, 37)])
    engine = BandPower(synthetic.sfreq, {"alpha": [8, 12], "beta": [13, 30]}, n, relative=True)
    stacked = engine(windows)
    assert stacked.shape == (20, 2, synthetic.data.shape[0])
    np.testing.assert_array_equal(stacked, np.stack([engine(w) for w in windows]))


def test_band_edges_are_inclusive_and_the_log_floor_is_minus_30():
    fs = 250.0
    t = np.arange(int(fs)) / fs  # one second: 1 Hz bins at exactly 0, 1, 2, ... Hz
    engine = BandPower(fs, {"alpha": [8, 12], "beta": [13, 30]}, t.size, log=False)
    assert engine.freqs_[12] == 12.0
    twelve = engine(np.sin(2 * np.pi * 12.0 * t)[np.newaxis])[:, 0]
    # Hann spreads a 12 Hz sine's power (1/2) over the 11, 12 and 13 Hz bins as 1:4:1:
    # [8, 12] holds the 11 and 12 Hz bins (half-open [8, 12) would hold only 1/6), and
    # [13, 30] the 13 Hz bin
    assert twelve[0] == pytest.approx(5 / 6 * 0.5, rel=1e-6)
    assert twelve[1] == pytest.approx(1 / 6 * 0.5, rel=1e-6)
    # the 12 Hz bin counts in both bands that share that edge
    shared = band_power(np.sin(2 * np.pi * 12.0 * t)[np.newaxis], fs, [[8, 12], [12, 16]])
    np.testing.assert_allclose(shared[0], shared[1], rtol=1e-12)  # 11+12 vs 12+13 Hz
    assert band_power(np.zeros((2, 250)), fs, {"alpha": [8, 12]}).tolist() == [[-30.0, -30.0]]
    assert POWER_FLOOR == 1e-30


@pytest.mark.parametrize(
    ("bands", "words"),
    [
        ({"gamma": [30, 200]}, ["Nyquist"]),
        ({"x": [10.2, 10.8]}, ["no frequency bin"]),
        ({"x": [12, 8]}, ["low < high"]),
        ({}, ["empty"]),
    ],
)
def test_band_errors(bands, words):
    with pytest.raises(ConfigError) as info:
        band_power(np.zeros((2, 250)), 250.0, bands)
    assert all(w in str(info.value) for w in words)
