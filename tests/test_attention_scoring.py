"""CPT scoring against the simulated responder's own account; resting measures on
PhysioNet S001 R01/R02 against MNE's Welch."""

from __future__ import annotations

import mne
import numpy as np
import pytest
from scipy.stats import norm

from bci.attention.cpt import ANTICIPATORY_S, Stimulus, score_cpt
from bci.attention.protocol import parse_assess_protocol
from bci.attention.resting import POSTERIOR, alpha_peak, psd, resting_measures
from bci.attention.session import analyse, assess_virtual
from bci.attention.simulate import SimulatedEEG, SimulatedResponder

SHORT = {"resting": {"eyes_open": 12, "eyes_closed": 12, "instructions": 1},
         "cpt": {"blocks": 4, "stimuli_per_block": 30, "instructions": 1,
                 "soa": [1.0, 1.5, 2.0]},
         "simulate": {"omission_rate": 0.1, "commission_rate": 0.3,
                      "anticipatory_rate": 0.1, "theta_beta_ratio": 2.5, "seed": 7}}


def _independent(stimuli, events):
    """Scores straight from what the responder says it did (no press assignment)."""
    kinds = [e.kind for e in events]
    go = np.array([s.go for s in stimuli])
    rts = np.array([e.rt * 1000 for e in events if e.kind == "hit"])
    n_go, n_nogo = int(go.sum()), int((~go).sum())
    hits, fa = kinds.count("hit"), kinds.count("commission")
    zh = norm.ppf((hits + 0.5) / (n_go + 1))
    zf = norm.ppf((fa + 0.5) / (n_nogo + 1))
    return {"omission_errors": kinds.count("omission"), "commission_errors": fa,
            "rt_mean_ms": rts.mean(), "rt_sd_ms": rts.std(ddof=1), "d_prime": zh - zf,
            "beta": np.exp((zf ** 2 - zh ** 2) / 2),
            "anticipatory": sum(len(e.anticipatory) for e in events)}


def test_cpt_scores_equal_the_responders_own_events(tmp_path):
    protocol = parse_assess_protocol(SHORT)
    run = assess_virtual(protocol, tmp_path / "a.xdf")
    result, _ = analyse(run["signal"], run["times"], run["sfreq"], run["ch_names"],
                        run["markers"], protocol, n_planned=run["n_planned"])
    events = run["responder"].events
    assert len(events) == 120 == result["completed"]["cpt_stimuli"]
    expected = _independent(run["stimuli"], events)
    cpt = result["cpt"]
    assert expected["omission_errors"] > 0 and expected["commission_errors"] > 0
    assert expected["anticipatory"] > 0
    for key in ("omission_errors", "commission_errors", "anticipatory"):
        assert cpt[key] == expected[key], key
    for key in ("rt_mean_ms", "rt_sd_ms", "d_prime", "beta"):
        # Press times went through the XDF-less marker list as float64 LSL times.
        assert cpt[key] == pytest.approx(expected[key], abs=1e-6), key
    assert result["status"] == "complete"
    # Per-block errors add up to the totals.
    assert sum(b["omission_errors"] for b in cpt["blocks"]) == cpt["omission_errors"]
    assert len(cpt["blocks"]) == 4
    # The simulated EEG's theta/beta ratio comes back.
    assert result["theta_beta_ratio"] == pytest.approx(2.5, rel=0.05)
    assert result["alpha_peak_hz"] == pytest.approx(10.0, abs=0.25)


def test_interrupted_session_is_scored_on_completed_letters(tmp_path):
    protocol = parse_assess_protocol(SHORT)
    run = assess_virtual(protocol, tmp_path / "a.xdf", duration=60.0)
    result, _ = analyse(run["signal"], run["times"], run["sfreq"], run["ch_names"],
                        run["markers"], protocol, n_planned=run["n_planned"])
    assert result["status"] == "interrupted"
    n = result["completed"]["cpt_stimuli"]
    assert 0 < n < 120 and result["completed"]["cpt_planned"] == 120
    # Exactly the letters whose window closed before the stop are scored.
    stop = run["markers"][-1][1]
    onsets = [s.onset for s in run["stimuli"]]
    assert n in (sum(o < stop for o in onsets) - 1, sum(o < stop for o in onsets))
    events = run["responder"].events[:n]
    assert result["omission_errors"] == [e.kind for e in events].count("omission")


def test_press_assignment_rules():
    stim = [Stimulus(10.0, "A", True), Stimulus(11.0, "X", False),
            Stimulus(12.0, "B", True), Stimulus(13.0, "C", True)]
    presses = [9.5,                      # before any letter: anticipatory
               10.05, 10.4, 10.6,        # anticipatory, hit (400 ms), a second press
               11.3,                     # commission
               13.0 + ANTICIPATORY_S + 1e-6]  # just over 100 ms: a response
    s = score_cpt(stim, presses)
    assert (s.hits, s.omission_errors, s.commission_errors) == (2, 1, 1)
    assert (s.anticipatory, s.multiple_responses) == (2, 1)
    assert s.rt_mean_ms == pytest.approx((400 + 100) / 2, abs=1e-3)


def test_simulated_responder_is_seeded():
    stim = [Stimulus(float(k), "A", k % 5 != 0) for k in range(50)]
    a, b = SimulatedResponder(seed=3), SimulatedResponder(seed=3)
    assert [a.respond(s, k) for k, s in enumerate(stim)] == \
        [b.respond(s, k) for k, s in enumerate(stim)]


def _physionet(path):
    raw = mne.io.read_raw_edf(path, preload=True, verbose=False)
    mne.datasets.eegbci.standardize(raw)
    return raw.get_data(), raw.info["sfreq"], raw.ch_names


def test_resting_measures_on_physionet_match_mne(shared_recordings):
    folder = shared_recordings / "physionet-eegmmidb" / "S001"
    eo, sfreq, names = _physionet(folder / "S001R01.edf")
    ec, _, _ = _physionet(folder / "S001R02.edf")
    result, spectra = resting_measures(eo, ec, sfreq, names)
    nperseg = int(4 * sfreq)
    post = [names.index(c) for c in POSTERIOR if c in names]
    for name, data in (("eyes_open", eo), ("eyes_closed", ec)):
        p_mne, f_mne = mne.time_frequency.psd_array_welch(
            data, sfreq, fmin=0, fmax=sfreq / 2, n_fft=nperseg, n_per_seg=nperseg,
            n_overlap=nperseg // 2, window="hann", average="mean", verbose=False)
        freqs, p = spectra[name]
        np.testing.assert_allclose(freqs, f_mne)
        np.testing.assert_allclose(p, p_mne, rtol=1e-9, atol=0)
        df = f_mne[1] - f_mne[0]

        def bp(lo, hi, f=f_mne, p=p_mne, df=df):
            m = (f >= lo) & (f < hi)
            return p[:, m].sum(axis=1) * df

        rel = bp(8, 13) / bp(1, 30)
        got = result[name]["relative_band_power"]["alpha"]
        np.testing.assert_allclose([got[c] for c in names], rel, rtol=1e-9)
        assert result[name]["alpha_peak_hz"] == pytest.approx(
            alpha_peak(f_mne, p_mne[post].mean(axis=0)), abs=1e-9)
        cz = names.index("Cz")
        assert result[name]["theta_beta_ratio"]["Cz"] == pytest.approx(
            bp(4, 8)[cz] / bp(13, 21)[cz], rel=1e-9)
    assert 8.0 <= result["alpha_peak_hz"] <= 12.0
    # Eyes closed raises posterior alpha (the recording's README: about 16x).
    assert result["alpha_reactivity"] > 3.0


def test_simulated_eeg_sets_theta_beta_ratio():
    for ratio in (1.5, 6.0):
        eeg = SimulatedEEG(theta_beta_ratio=ratio, seed=1)
        eo, _ = eeg.read(250 * 30)
        eeg.eyes_closed = True
        ec, _ = eeg.read(250 * 30)
        r, _ = resting_measures(eo, ec, 250.0, eeg.ch_names)
        assert r["theta_beta_ratio"] == pytest.approx(ratio, rel=0.05)


def test_psd_refuses_too_short_segments():
    from bci.errors import ConfigError

    with pytest.raises(ConfigError, match="shorter than"):
        psd(np.zeros((1, 100)), 250.0)


def test_pauses_extend_resting_and_drop_presses():
    from bci.attention.task import parse_markers

    protocol = parse_assess_protocol({"resting": {"eyes_open": 10, "eyes_closed": 10}})
    markers = [("assess:eyes-open", 100.0), ("cpt:press", 101.0), ("bci:pause", 104.0),
               ("bci:resume", 110.0),
               ("assess:eyes-closed", 120.0), ("assess:cpt", 135.0),
               ("cpt:block:0", 140.0), ("cpt:go:A", 140.0), ("bci:pause", 140.5),
               ("cpt:press", 140.7), ("bci:resume", 150.0), ("cpt:press", 150.2),
               ("cpt:go:B", 151.0), ("assess:end", 153.0)]
    parsed = parse_markers(markers, protocol)
    assert parsed.eyes_open == (100.0, 116.0)      # 10 s of run time + a 6-s pause
    assert parsed.pauses == [(104.0, 110.0), (140.5, 150.0)]
    # Dropped: the press while resting, and the one while paused.
    assert parsed.presses == [150.2]
    assert not parsed.interrupted and len(parsed.stimuli) == 2
