"""The monitor's channel names: PhysioNet's dotted labels standardised as MNE does, and
whether the standard 10-05 montage then knows them (no display needed)."""

from __future__ import annotations

import mne
import numpy as np
import pytest

from bci_apps.channel_names import montage_note, standard_name, standard_names
from bci_apps.trace_math import event_classes, marker_text


@pytest.mark.realdata
def test_standard_names_are_mnes_and_the_montage_then_knows_all_64(shared_recordings):
    path = shared_recordings / "physionet-eegmmidb" / "S001" / "S001R04.edf"
    raw = mne.io.read_raw_edf(path, verbose="error")
    dotted = list(raw.ch_names)
    mne.datasets.eegbci.standardize(raw)
    renamed = standard_names(dotted)
    assert list(renamed) == raw.ch_names  # exactly mne.datasets.eegbci.standardize
    assert renamed[:4] == ("FC5", "FC3", "FC1", "FCz") and "Fp1" in renamed
    eeg = ["eeg"] * 64
    # Matched by name as set_montage matches: none of the dotted labels, all 64 renamed.
    assert montage_note(dotted, eeg).endswith(", 0/64 channels found")
    note = montage_note(renamed, eeg)
    assert note.endswith(", 64/64 channels found")
    assert note.split(",")[0] in ("montage: colin27_1005", "montage: standard_1005")


def test_names_that_would_collide_are_kept_and_non_eeg_streams_have_no_montage():
    assert standard_name("Fpz.") == "Fpz" and standard_name("Oz..") == "Oz"
    assert standard_names(["C3", "c3."]) is None  # two channels would be called C3
    assert montage_note(["EMG1", "EMG2"], ["emg", "emg"]) == ""
    # Only EEG channels are counted: a counter channel is not a missing electrode.
    assert montage_note(["Cz", "counter"], ["eeg", "misc"]).endswith(", 1/1 channels found")


def test_markers_are_named_after_the_classes_they_stand_for():
    classes = event_classes({"left": ["T1"], "right": ["T2", "T4"]})
    assert classes == {"T1": "left", "T2": "right", "T4": "right"}
    assert marker_text("T1", classes) == "left (T1)"
    assert marker_text("T4", classes) == "right (T4)"
    assert marker_text("T0", classes) == "T0"  # a label no class is trained on
    # An ambiguous configuration shows both names rather than hiding one.
    assert marker_text("X", event_classes({"a": ["X"], "b": ["X"]})) == "a/b (X)"
    assert np.all([marker_text(label, {}) == label for label in ("T0", "T1")])
