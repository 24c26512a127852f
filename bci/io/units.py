"""Units: scaling unit names to volts, and a plausibility check of EEG amplitudes.

MNE keeps electrical signals in volts. Readers of files that store other units scale with
``volts_per_unit``; ``warn_if_implausible_eeg_scale`` catches files whose header claims
volts but whose numbers are in µV or mV (it happens: the ssvep-exoskeleton FIF files hold
values about 1000 times too large for EEG in volts).
"""

from __future__ import annotations

import logging

import mne
import numpy as np

from bci.units import volts_per_unit

__all__ = ["volts_per_unit", "warn_if_implausible_eeg_scale"]

logger = logging.getLogger(__name__)

# Sample-to-sample steps of real EEG are a few µV: steps of a millivolt mean the numbers
# are not volts. Steps, not levels, because DC-coupled amplifiers (BioSemi) carry offsets
# of tens of mV. At the other end, amplifier noise alone is about a microvolt, so EEG
# varying by less than 10 nV was scaled to volts twice.
_MAX_EEG_STEP = 1e-3
_MIN_EEG_LEVEL = 1e-8
_CHECK_SECONDS = 60.0


def warn_if_implausible_eeg_scale(raw: mne.io.BaseRaw, file_name: str) -> None:
    """Log a warning when the EEG channels' amplitudes cannot be volts.

    The data are left as the file gives them: a reader cannot know which unit the writer
    meant, but the user should hear that thresholds in µV will not apply.
    """
    picks = mne.pick_types(raw.info, eeg=True, exclude="bads")
    if len(picks) == 0 or raw.n_times < 2:
        return
    stop = min(raw.n_times, int(_CHECK_SECONDS * raw.info["sfreq"]) + 1)
    data = raw.get_data(picks=picks, stop=stop)
    level = np.std(data, axis=1)
    live = level > 0  # flat channels say nothing about the unit
    if not np.any(live):
        return
    step = float(np.median(np.std(np.diff(data[live], axis=1), axis=1)))
    if step > _MAX_EEG_STEP:
        logger.warning(
            "%s: EEG sample-to-sample steps are %.3g V (median std), far above EEG's "
            "microvolt range: the file's values are probably in µV or mV, not volts",
            file_name,
            step,
        )
    elif float(np.median(level[live])) < _MIN_EEG_LEVEL:
        logger.warning(
            "%s: EEG varies by %.3g V (median std), far below the microvolts of any "
            "EEG amplifier's noise: the file's values were probably scaled to volts twice",
            file_name,
            float(np.median(level[live])),
        )
