"""Formats MNE reads: FIF, EDF, BDF, GDF, BrainVision, EEGLAB, with events as annotations.

MNE's readers already turn EDF+/GDF/BrainVision/EEGLAB events into annotations. Two event
sources they leave aside are added here, so that every recording carries its events the
same way: an MNE events file next to a FIF (``X_raw.fif`` + ``X-eve.fif``), and trigger
codes in a stim channel (BioSemi's ``Status``, Neuromag's ``STI 014``).
"""

from __future__ import annotations

import logging
import re
import warnings
from collections import Counter
from pathlib import Path

import mne
import numpy as np

from bci.io.edf_size import check_edf_size
from bci.io.fif_scan import check_fif_chain
from bci.io.gdf_header import check_gdf_header
from bci.io.mat_scan import check_mat_structure

# verbose="warning" hides MNE's INFO chatter but keeps its warnings (omitted annotations,
# odd headers), which the user should see; it is passed per call, never set globally.
_VERBOSE = "warning"
# BioSemi trigger codes are the low 16 bits of Status; bits 16-23 are system flags (CMS
# range, battery) that would turn every trigger into a different code.
_BIOSEMI_TRIGGER_MASK = 0xFFFF

logger = logging.getLogger(__name__)


def sibling_events_file(path: Path) -> Path | None:
    """The MNE events file that belongs to a FIF recording, if there is one.

    ``X_raw.fif``, ``X-raw.fif``, ``X.fif`` (also ``.fif.gz``) pair with ``X-eve.fif``
    (or ``X_eve.fif``, ``X-eve.fif.gz``).
    """
    stem = path.name
    for ending in (".gz", ".fif"):
        if stem.lower().endswith(ending):
            stem = stem[: -len(ending)]
    bases = [stem]
    if stem.lower().endswith(("_raw", "-raw")):
        bases.insert(0, stem[:-4])
    for base in bases:
        for suffix in ("-eve.fif", "_eve.fif", "-eve.fif.gz", "_eve.fif.gz"):
            candidate = path.with_name(base + suffix)
            if candidate.is_file():
                return candidate
    return None


def _add_events(raw: mne.io.BaseRaw, events: np.ndarray) -> None:
    """Append events (absolute sample, previous value, code) as zero-length annotations."""
    if len(events) == 0:
        return
    codes = np.unique(events[:, 2])
    annotations = mne.annotations_from_events(
        events,
        raw.info["sfreq"],
        event_desc={int(code): str(int(code)) for code in codes},
        first_samp=raw.first_samp,
        orig_time=None,
    )
    if raw.annotations.orig_time is not None:
        # Annotations tied to the measurement date count from it, not from the first
        # sample: shift by the first sample's time so both kinds can be concatenated.
        annotations = mne.Annotations(
            annotations.onset + raw.first_time,
            annotations.duration,
            annotations.description,
            orig_time=raw.annotations.orig_time,
        )
    raw.set_annotations(raw.annotations + annotations, verbose=_VERBOSE)


def _add_stim_events(raw: mne.io.BaseRaw, fmt: str) -> None:
    """Turn trigger codes in stim channels into annotations (when the file has none)."""
    stim = [raw.ch_names[i] for i in mne.pick_types(raw.info, meg=False, stim=True)]
    if not stim or len(raw.annotations):
        return
    events = mne.find_events(
        raw,
        stim_channel=stim,
        shortest_event=1,
        initial_event=True,
        mask=_BIOSEMI_TRIGGER_MASK if fmt == "BDF" else None,
        mask_type="and",
        verbose="error",
    )
    _add_events(raw, events)


_CROPPED = re.compile(r"Limited (\d+) annotation\(s\) that were expanding outside the data")
_OMITTED = re.compile(r"Omitted (\d+) annotation\(s\) that were outside data range")


def read_with_mne(path: Path, fmt: str) -> tuple[mne.io.BaseRaw, str]:
    """Read a FIF/EDF/BDF/GDF/BrainVision/EEGLAB file (see :func:`_read_with_mne`).

    MNE warns, with its own source path, when it cuts annotations that run past the end
    of the data (PhysioNet's R01/R02 hold a 61-s rest annotation in 60 s of data) or
    leaves out those wholly outside it: that is said here in one line naming the file;
    other warnings pass through unchanged.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        raw, recovered = _read_with_mne(path, fmt)
    for w in caught:
        cropped, omitted = _CROPPED.search(str(w.message)), _OMITTED.search(str(w.message))
        if cropped or omitted:
            n = int((cropped or omitted).group(1))
            where = "ran past the end of" if cropped else "lay outside"
            done = "cut there" if cropped else "left out"
            logger.warning("%s: %d annotation%s %s the data (%.1f s) and %s %s", path.name,
                           n, "" if n == 1 else "s", where, raw.n_times / raw.info["sfreq"],
                           "was" if n == 1 else "were", done)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno,
                                   source=w.source)
    return raw, recovered


def _read_with_mne(path: Path, fmt: str) -> tuple[mne.io.BaseRaw, str]:
    """Read a FIF/EDF/BDF/GDF/BrainVision/EEGLAB file, preloaded, events as annotations.

    FIF tag chains are checked for loops first (``bci.io.fif_scan``), EDF and BDF for
    truncation (``bci.io.edf_size``), GDF signal counts (``bci.io.gdf_header``).
    EDF/BDF channel types are inferred from label prefixes (``"EEG Fpz"``, ``"EMG
    chin"``; MNE then drops the prefix from the name) and default to eeg, as for
    PhysioNet's files. The returned Raw starts at sample 0; the string is '' or, for an
    EDF/BDF whose last record is short, what was recovered.
    """
    has_events_file = False
    recovered = ""
    if fmt == "FIF":
        check_fif_chain(path)
        raw = mne.io.read_raw_fif(path, preload=True, verbose=_VERBOSE)
        events_file = sibling_events_file(path)
        has_events_file = events_file is not None
        if events_file is not None:
            check_fif_chain(events_file)
            _add_events(raw, mne.read_events(events_file, verbose=_VERBOSE))
    elif fmt in ("EDF", "BDF"):
        recovered = check_edf_size(path, fmt)
        if recovered:
            logger.warning("%s: %s", path.name, recovered)
        reader = mne.io.read_raw_edf if fmt == "EDF" else mne.io.read_raw_bdf
        with warnings.catch_warnings():
            # The short last record is logged above, in one line that says what was read.
            warnings.filterwarnings("ignore", "Number of records from the header")
            raw = reader(path, preload=True, infer_types=True, verbose=_VERBOSE)
    elif fmt == "GDF":
        check_gdf_header(path)  # a damaged signal count makes MNE parse for 40 s and more
        raw = mne.io.read_raw_gdf(path, preload=True, verbose=_VERBOSE)
    elif fmt == "BrainVision":
        raw = mne.io.read_raw_brainvision(path, preload=True, verbose=_VERBOSE)
    elif fmt == "EEGLAB":
        check_mat_structure(path)  # scipy's reader can segfault on a damaged file
        raw = mne.io.read_raw_eeglab(path, preload=True, verbose=_VERBOSE)
    else:  # pragma: no cover - the caller dispatches only the formats above
        raise ValueError(f"not an MNE format: {fmt}")
    if not has_events_file:
        _add_stim_events(raw, fmt)
    if raw.n_times == 0 or len(raw.ch_names) == 0:
        raise ValueError("the file holds no samples")
    return _start_at_first_sample(raw), recovered


def _start_at_first_sample(raw: mne.io.BaseRaw) -> mne.io.BaseRaw:
    """Renumber samples from 0 so annotation onsets count from the first sample.

    A FIF file cut from a longer acquisition starts at ``first_samp`` > 0, and MNE then
    counts annotation onsets from the acquisition start. Code that indexes samples with
    ``onset * sfreq`` would be off by ``first_samp``: every Raw from ``bci.io`` starts at
    sample 0 instead.
    """
    if raw.first_samp == 0:
        return raw
    annotations = raw.annotations
    onsets = annotations.onset - raw.first_time
    renumbered = mne.io.RawArray(raw.get_data(), raw.info, verbose="error")
    renumbered.set_annotations(
        mne.Annotations(onsets, annotations.duration, annotations.description, orig_time=None),
        verbose=_VERBOSE,
    )
    return renumbered


def stream_type(raw: mne.io.BaseRaw) -> str:
    """An LSL-style stream type for a single-stream recording: EEG when it has EEG."""
    types = raw.get_channel_types()
    if "eeg" in types:
        return "EEG"
    return Counter(types).most_common(1)[0][0].upper()
