"""What a replay plays: signal arrays with their rate, channels and markers."""

from __future__ import annotations

from dataclasses import dataclass, field

import mne
import numpy as np


@dataclass(frozen=True)
class ReplaySource:
    """One recorded stream, ready to be replayed.

    Parameters
    ----------
    name : str
        Stream name.
    stype : str
        LSL content type (``"EEG"``, ``"EMG"``, ...).
    data : ndarray, shape (n_channels, n_times)
        Samples in SI units (volts), float64.
    sfreq : float
        Sampling rate in Hz.
    ch_names, ch_types : tuple of str
        Channel labels and MNE channel types.
    markers : tuple of (float, str)
        Events as (seconds after the first sample, label), sorted by time.
    durations : tuple of float
        Duration in seconds of each marker's annotation (0 for point events), in the
        order of ``markers``; labelled segments (EMG gestures) have one.
    offset : float
        Seconds between the first sample of the earliest stream of the recording and
        this stream's first sample (aligns the streams of a multi-stream XDF file).
    """

    name: str
    stype: str
    data: np.ndarray
    sfreq: float
    ch_names: tuple[str, ...]
    ch_types: tuple[str, ...]
    markers: tuple[tuple[float, str], ...] = field(default_factory=tuple)
    offset: float = 0.0
    durations: tuple[float, ...] = field(default_factory=tuple)

    @property
    def n_times(self) -> int:
        """Samples in the recording."""
        return self.data.shape[1]

    @classmethod
    def from_raw(cls, raw: mne.io.BaseRaw, name: str, *, offset: float = 0.0,
                 stype: str | None = None) -> ReplaySource:
        """Take signal, channels and annotations from an MNE ``Raw``.

        Annotations become markers at their onsets, snapped to the sample they label.
        """
        ch_types = tuple(raw.get_channel_types())
        if stype is None:
            main = max(set(ch_types), key=ch_types.count)
            stype = main.upper() if main in ("eeg", "emg", "meg", "ecg", "eog") else "EEG"
        sfreq = float(raw.info["sfreq"])
        annotations = raw.annotations
        # Onsets count from orig_time when set, else from the recording's sample 0
        # (which a crop moves away from the first sample held: raw.first_time).
        delta = 0.0
        meas_date = raw.info["meas_date"]
        if annotations.orig_time is not None and meas_date is not None:
            delta = (annotations.orig_time - meas_date).total_seconds()
        # Snap each onset to its sample, so a marker sits exactly on the sample it labels.
        indices = np.round((annotations.onset + delta - raw.first_time) * sfreq).astype(int)
        events = sorted(
            (int(i) / sfreq, str(desc), float(duration)) for i, desc, duration
            in zip(indices, annotations.description, annotations.duration, strict=True))
        return cls(name=name, stype=stype, data=raw.get_data(), sfreq=sfreq,
                   ch_names=tuple(raw.ch_names), ch_types=ch_types,
                   markers=tuple((onset, label) for onset, label, _ in events),
                   offset=offset, durations=tuple(d for _, _, d in events))
