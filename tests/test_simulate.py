"""The simulated headset: determinism, the effects its model promises, and fresh samples.

Each effect test measures what a decoder would look for (band power, a spectral peak, an
average waveform, RMS per channel) on the shipped sample recordings, so a model or
sample that lost its effect fails here before a demo silently decodes noise.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import ModuleType

import mne
import numpy as np
import pytest
import scipy.signal

from bci.datasets import PARADIGMS, simulate, write_simulation
from bci.errors import ConfigError

SAMPLE_NAMES = ("sample-motor-imagery_raw.fif", "sample-ssvep_raw.fif",
                "sample-p300_raw.fif", "sample-emg_raw.fif", "sample-rest_raw.fif")


# -- helpers -------------------------------------------------------------------------------

def _load_make_samples(sample_recordings: Path) -> ModuleType:
    """``recordings/make_samples.py`` is a script, not a package: import it by path."""
    spec = importlib.util.spec_from_file_location(
        "make_samples", sample_recordings / "make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(path: Path) -> mne.io.Raw:
    return mne.io.read_raw_fif(path, preload=True, verbose=False)


def _segments(raw: mne.io.BaseRaw, label: str, tmin: float = 0.0,
              tmax: float | None = None) -> list[np.ndarray]:
    """Data of every annotation ``label``, from ``tmin`` to ``tmax`` (default: its end)."""
    sfreq, data = raw.info["sfreq"], raw.get_data()
    out = []
    for onset, duration, desc in zip(raw.annotations.onset, raw.annotations.duration,
                                     raw.annotations.description, strict=True):
        if desc == label:
            start = round((onset + tmin) * sfreq)
            stop = round((onset + (duration if tmax is None else tmax)) * sfreq)
            out.append(data[:, start:stop])
    assert out, f"no '{label}' annotation"
    return out


def _band_power(x: np.ndarray, sfreq: float, lo: float, hi: float) -> np.ndarray:
    """Mean Welch PSD in ``[lo, hi]`` Hz per channel."""
    freqs, psd = scipy.signal.welch(x, sfreq, nperseg=min(x.shape[-1], int(sfreq)), axis=-1)
    band = (freqs >= lo) & (freqs <= hi)
    return psd[..., band].mean(axis=-1)


@pytest.fixture(scope="module")
def samples(sample_recordings: Path) -> dict[str, mne.io.Raw]:
    missing = [n for n in SAMPLE_NAMES if not (sample_recordings / n).is_file()]
    assert not missing, (f"sample recordings missing: {missing}: run "
                         "'python recordings/make_samples.py'")
    return {name: _read(sample_recordings / name) for name in SAMPLE_NAMES}


# -- API and determinism -----------------------------------------------------------------

@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_same_seed_same_samples_other_seed_other_samples(paradigm: str) -> None:
    a = simulate(paradigm, duration=12.0, seed=3)
    b = simulate(paradigm, duration=12.0, seed=3)
    c = simulate(paradigm, duration=12.0, seed=4)
    assert np.array_equal(a.get_data(), b.get_data())
    assert list(a.annotations.description) == list(b.annotations.description)
    np.testing.assert_array_equal(a.annotations.onset, b.annotations.onset)
    assert not np.allclose(a.get_data(), c.get_data())


def test_write_simulation_is_byte_identical(tmp_path: Path) -> None:
    first = write_simulation(tmp_path / "a_raw.fif", "p300", duration=5.0, seed=1)
    second = write_simulation(tmp_path / "sub" / "b_raw.fif", "p300", duration=5.0, seed=1)
    assert first.read_bytes() == second.read_bytes()
    raw = _read(first)
    expected = simulate("p300", duration=5.0, seed=1)
    # Written as float32: equal to the simulation to single precision.
    np.testing.assert_array_equal(raw.get_data(),
                                  expected.get_data().astype(np.float32).astype(float))
    assert list(raw.annotations.description) == list(expected.annotations.description)


@pytest.mark.parametrize(("paradigm", "sfreq", "n_channels", "ch_type", "labels"), [
    ("motor-imagery", 160.0, 16, "eeg", {"T0", "T1", "T2"}),
    ("ssvep", 256.0, 8, "eeg", {"13Hz", "17Hz", "21Hz", "rest"}),
    ("p300", 256.0, 8, "eeg", {"target", "nontarget"}),
    ("emg", 1000.0, 8, "emg", {"rest", "fist", "wrist_flexion", "wrist_extension",
                               "radial_deviation", "ulnar_deviation"}),
    ("rest", 160.0, 8, "eeg", {"eyes_open", "eyes_closed"}),
])
def test_defaults_per_paradigm(paradigm: str, sfreq: float, n_channels: int, ch_type: str,
                               labels: set[str]) -> None:
    raw = simulate(paradigm, duration=40.0)
    assert raw.info["sfreq"] == sfreq
    assert raw.get_channel_types() == [ch_type] * n_channels
    assert set(raw.annotations.description) == labels
    assert raw.annotations.onset.max() + raw.annotations.duration.max() <= raw.times[-1] + 1
    rms = np.sqrt(np.mean(raw.get_data() ** 2, axis=1))
    if ch_type == "eeg":
        # Realistic scalp EEG: around ten microvolts, in volts; positions from the montage.
        assert np.all((rms > 5e-6) & (rms < 50e-6)), rms
        positions = np.array([ch["loc"][:3] for ch in raw.info["chs"]])
        assert np.all(np.isfinite(positions)) and np.all(np.abs(positions).sum(1) > 0)
    else:
        assert np.all((rms > 5e-6) & (rms < 200e-6)), rms


def test_p300_events_are_instants_at_one_in_six() -> None:
    ann = simulate("p300", duration=60.0).annotations
    assert np.all(ann.duration == 0)
    is_target = ann.description == "target"
    assert is_target.mean() == pytest.approx(1 / 6, abs=0.01)
    assert not np.any(is_target[1:] & is_target[:-1]), "two targets in a row"


def test_motor_imagery_trials_are_four_seconds_balanced_and_preceded_by_rest() -> None:
    ann = simulate("motor-imagery").annotations
    labels = list(ann.description)
    tasks = [(d, dur) for d, dur in zip(labels, ann.duration, strict=True) if d != "T0"]
    assert {dur for _, dur in tasks} == {4.0}
    assert abs(sum(d == "T1" for d, _ in tasks) - sum(d == "T2" for d, _ in tasks)) <= 1
    assert all(labels[i - 1] == "T0" for i, d in enumerate(labels) if d != "T0")


def test_line_noise_at_the_mains_frequency_and_off_when_asked() -> None:
    def peak_ratio(raw: mne.io.BaseRaw, freq: float) -> float:
        freqs, psd = scipy.signal.welch(raw.get_data(), raw.info["sfreq"], nperseg=512)
        at = psd[:, np.argmin(np.abs(freqs - freq))].mean()
        around = psd[:, (np.abs(freqs - freq) > 2) & (np.abs(freqs - freq) < 6)].mean()
        return float(at / around)

    assert peak_ratio(simulate("rest", duration=30.0), 50.0) > 5
    us = simulate("rest", duration=30.0, line_freq=60.0)
    assert us.info["line_freq"] == 60.0 and peak_ratio(us, 60.0) > 5
    assert peak_ratio(simulate("rest", duration=30.0, line_freq=None), 50.0) < 2


def test_channel_choice() -> None:
    raw = simulate("motor-imagery", duration=10.0, ch_names=["c3", "CZ", "C4"])
    assert raw.ch_names == ["C3", "Cz", "C4"]
    raw = simulate("motor-imagery", duration=10.0, n_channels=64)
    assert len(raw.ch_names) == 64 and {"C3", "C4", "Oz", "Fp1"} <= set(raw.ch_names)
    # Fewer than the default layout: the channels nearest the effect stay.
    assert {"C3", "C4"} <= set(simulate("motor-imagery", duration=10.0, n_channels=4).ch_names)
    assert simulate("emg", duration=10.0, n_channels=4).ch_names == [
        "EMG1", "EMG2", "EMG3", "EMG4"]


@pytest.mark.parametrize(("call", "words"), [
    (lambda: simulate("eyeblink"), ["eyeblink", *PARADIGMS]),
    (lambda: simulate("motor-imagery", duration=2.0), ["too short", "5 s"]),
    (lambda: simulate("rest", duration=float("nan")), ["finite"]),
    (lambda: simulate("ssvep", sfreq=20.0), ["sfreq", "64"]),
    (lambda: simulate("emg", sfreq=100.0), ["sfreq", "200"]),
    (lambda: simulate("rest", line_freq=0), ["line_freq"]),
    (lambda: simulate("rest", seed=-1), ["seed"]),
    (lambda: simulate("rest", ch_names=["C3", "X9"]), ["X9", "10-20"]),
    (lambda: simulate("rest", n_channels=65), ["n_channels", "64"]),
    (lambda: simulate("rest", ch_names=["C3"], n_channels=3), ["not both"]),
    (lambda: write_simulation("out.edf", "rest"), ["FIF", ".fif"]),
])
def test_errors_are_one_line_config_errors(call, words: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_ten_minutes_of_64_channels_is_fast() -> None:
    simulate("motor-imagery", duration=10.0, n_channels=64)  # warm the montage cache
    best = np.inf
    for _ in range(2):
        start = time.perf_counter()
        raw = simulate("motor-imagery", duration=600.0, n_channels=64)
        best = min(best, time.perf_counter() - start)
    assert raw.get_data().shape == (64, 96000)
    # Measured ~0.5 s on an idle 2-core machine; the bound only catches per-sample loops
    # (which would take minutes) while tolerating a busy CI runner.
    assert best < 6.0, f"{best:.1f} s to simulate 10 min x 64 ch"


# -- the effects, on the shipped samples ---------------------------------------------------

def test_motor_imagery_sample_has_lateralised_mu_desynchronisation(samples) -> None:
    raw = samples["sample-motor-imagery_raw.fif"]
    sfreq = raw.info["sfreq"]
    c3, c4 = raw.ch_names.index("C3"), raw.ch_names.index("C4")
    power = {label: np.mean([_band_power(x, sfreq, 8, 12)
                             for x in _segments(raw, label, 0.5, 3.5)], axis=0)
             for label in ("T1", "T2")}
    # Left-hand imagery (T1) desynchronises the right hemisphere (C4), right hand the left.
    assert power["T1"][c4] / power["T2"][c4] < 0.75
    assert power["T2"][c3] / power["T1"][c3] < 0.75
    assert len(_segments(raw, "T1")) == len(_segments(raw, "T2")) == 20


def test_motor_imagery_sample_trains_on_the_first_part_and_decodes_the_rest(samples):
    """The README's demo: fit on the first 24 trials, decode the last 16."""
    raw = samples["sample-motor-imagery_raw.fif"]
    sfreq = raw.info["sfreq"]
    picks = [raw.ch_names.index(c) for c in ("C3", "C4")]
    labels = [d for d in raw.annotations.description if d in ("T1", "T2")]
    # Causal band-pass, as online; then log mu power at C3 and C4 after each cue.
    sos = scipy.signal.butter(4, [8, 13], "bandpass", fs=sfreq, output="sos")
    filtered = raw.copy().apply_function(lambda x: scipy.signal.sosfilt(sos, x))
    feats = []
    for label in ("T1", "T2"):
        feats += [(onset, np.log(np.mean(x[picks] ** 2, axis=1)))
                  for onset, x in zip(
                      [o for o, d in zip(raw.annotations.onset, raw.annotations.description,
                                         strict=True) if d == label],
                      _segments(filtered, label, 0.5, 2.5), strict=True)]
    feats.sort(key=lambda item: item[0])
    x = np.array([f[0] - f[1] for _, f in feats])  # log C3 power - log C4 power
    y = np.array([label == "T2" for label in labels])
    train, test = slice(0, 24), slice(24, None)
    threshold = (x[train][y[train]].mean() + x[train][~y[train]].mean()) / 2
    accuracy = np.mean((x[test] < threshold) == y[test])
    assert accuracy >= 0.75, accuracy


def test_rest_sample_alpha_is_much_stronger_with_eyes_closed(samples) -> None:
    raw = samples["sample-rest_raw.fif"]
    sfreq = raw.info["sfreq"]
    occipital = [raw.ch_names.index(c) for c in ("O1", "O2")]
    closed = np.mean([_band_power(x, sfreq, 8, 12) for x in _segments(raw, "eyes_closed")],
                     axis=0)[occipital]
    opened = np.mean([_band_power(x, sfreq, 8, 12) for x in _segments(raw, "eyes_open")],
                     axis=0)[occipital]
    assert np.all(closed / opened >= 3.0), closed / opened


def test_ssvep_sample_spectrum_peaks_at_the_stimulus_frequency(samples) -> None:
    raw = samples["sample-ssvep_raw.fif"]
    sfreq, oz = raw.info["sfreq"], raw.ch_names.index("Oz")
    for label, freq in (("13Hz", 13.0), ("17Hz", 17.0), ("21Hz", 21.0)):
        trials = _segments(raw, label, 1.0, 4.0)
        freqs, psd = scipy.signal.periodogram(np.array(trials)[:, oz], sfreq, axis=-1)
        psd = psd.mean(axis=0)
        # The highest peak above the alpha band, and far above its neighbourhood.
        band = (freqs >= 12) & (freqs <= 45)
        assert freqs[band][np.argmax(psd[band])] == pytest.approx(freq, abs=0.34), label
        at = psd[np.argmin(np.abs(freqs - freq))]
        near = psd[(np.abs(freqs - freq) > 0.6) & (np.abs(freqs - freq) < 3)]
        assert at > 4 * near.mean(), label
    # Rest trials have no such peak.
    rest = np.array(_segments(raw, "rest", 1.0, 4.0))[:, oz]
    freqs, psd = scipy.signal.periodogram(rest, sfreq, axis=-1)
    psd = psd.mean(axis=0)
    at = psd[np.argmin(np.abs(freqs - 13.0))]
    assert at < 4 * psd[(np.abs(freqs - 13.0) > 0.6) & (np.abs(freqs - 13.0) < 3)].mean()


def test_p300_sample_target_minus_nontarget_is_positive_at_300_ms(samples) -> None:
    raw = samples["sample-p300_raw.fif"]
    events, event_id = mne.events_from_annotations(raw, verbose=False)
    epochs = mne.Epochs(raw, events, event_id, tmin=-0.1, tmax=0.7, baseline=(-0.1, 0),
                        picks=["Pz"], preload=True, verbose=False)
    times = epochs.times
    diff = (epochs["target"].average().get_data()[0]
            - epochs["nontarget"].average().get_data()[0])
    window = (times >= 0.25) & (times <= 0.45)
    assert diff[window].mean() > 2e-6, diff[window].mean()
    assert 0.25 <= times[np.argmax(diff)] <= 0.45
    # Before the P300 there is nothing to tell the classes apart.
    assert diff[window].mean() > 3 * abs(diff[(times >= -0.1) & (times <= 0.15)].mean())


def test_emg_sample_gestures_have_distinct_patterns_and_rest_is_quiet(samples) -> None:
    raw = samples["sample-emg_raw.fif"]
    assert raw.get_channel_types() == ["emg"] * 8
    margin = round(0.25 * raw.info["sfreq"])  # skip the contraction's ramps
    rms = {label: np.sqrt(np.mean(np.concatenate(
        [x[:, margin:-margin] for x in _segments(raw, label)], axis=1) ** 2, axis=1))
        for label in set(raw.annotations.description)}
    gestures = [g for g in rms if g != "rest"]
    assert len(gestures) == 5
    for gesture in gestures:
        assert rms["rest"].max() < 0.2 * rms[gesture].max(), gesture
    # Each gesture's spatial pattern is its own: unit patterns pairwise far apart.
    patterns = np.array([rms[g] / np.linalg.norm(rms[g]) for g in gestures])
    similarity = patterns @ patterns.T
    assert np.all(similarity[~np.eye(len(gestures), dtype=bool)] < 0.9), similarity
    assert np.argmax(rms["wrist_flexion"]) != np.argmax(rms["wrist_extension"])


# -- the samples are what make_samples.py makes now ---------------------------------------

def test_shipped_samples_equal_a_fresh_regeneration(sample_recordings: Path,
                                                    tmp_path: Path) -> None:
    make_samples = _load_make_samples(sample_recordings)
    assert sorted(make_samples.SAMPLES) == sorted(SAMPLE_NAMES)
    fresh = make_samples.make_samples(tmp_path)
    total = 0
    for path in fresh:
        shipped_path = sample_recordings / path.name
        total += shipped_path.stat().st_size
        shipped, regenerated = _read(shipped_path), _read(path)
        hint = f"{path.name} is stale: run 'python recordings/make_samples.py'"
        assert shipped.ch_names == regenerated.ch_names, hint
        assert shipped.info["sfreq"] == regenerated.info["sfreq"], hint
        assert shipped.get_channel_types() == regenerated.get_channel_types(), hint
        # float32 in both; a tolerance of a few ulps lets another FFT library's rounding
        # pass while any change of the model or the seed does not.
        np.testing.assert_allclose(shipped.get_data(), regenerated.get_data(),
                                   rtol=1e-5, atol=1e-12, err_msg=hint)
        assert list(shipped.annotations.description) == list(
            regenerated.annotations.description), hint
        np.testing.assert_allclose(shipped.annotations.onset, regenerated.annotations.onset)
        np.testing.assert_allclose(shipped.annotations.duration,
                                   regenerated.annotations.duration)
    assert total < 2.5e6, f"sample recordings total {total / 1e6:.2f} MB"
