"""Channel names as the monitor shows them: PhysioNet's dotted labels standardised, and
whether a standard montage knows them.

PhysioNet's EEG Motor Movement/Imagery recordings pad their labels with dots to four
characters (``Fc5.``, ``Oz..``); :func:`standard_names` renames them exactly as
:func:`mne.datasets.eegbci.standardize` does (``FC5``, ``Oz``), after which MNE's
``standard_1005`` montage finds all 64. Only the monitor's display changes: the stream,
and the channel names a pipeline picks by, stay as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The montage the names are looked up in: the standard 10-05 positions, which MNE
#: >= 1.13 calls ``colin27_1005`` (``standard_1005`` is deprecated there).
MONTAGES = ("colin27_1005", "standard_1005")


def standard_name(name: str) -> str:
    """One label, renamed as :func:`mne.datasets.eegbci.standardize` does.

    Dots stripped, upper case, then a trailing ``Z`` and a leading ``FP`` written
    ``z`` and ``Fp`` (``Fcz.`` -> ``FCz``, ``Fp1.`` -> ``Fp1``).
    """
    std = name.strip(".").upper()
    if std.endswith("Z"):
        std = std[:-1] + "z"
    if std.startswith("FP"):
        std = "Fp" + std[2:]
    return std


def standard_names(names: Sequence[str]) -> tuple[str, ...] | None:
    """Every label through :func:`standard_name`; None if that would make two equal.

    A stream whose labels collide once standardised (``C3`` and ``c3.``) keeps its own:
    the monitor finds channels by name.
    """
    renamed = tuple(standard_name(n) for n in names)
    return renamed if len(set(renamed)) == len(renamed) else None


def montage_note(names: Sequence[str], types: Sequence[str]) -> str:
    """Whether the standard 10-05 montage knows the EEG channels: ``"montage:
    colin27_1005, 64/64 channels found"`` (empty for a stream without EEG channels).

    Matched case-sensitively, as :meth:`mne.io.Raw.set_montage` does by default, so a
    PhysioNet stream finds none of its dotted labels until they are standardised.
    """
    eeg = [n for n, t in zip(names, types, strict=True) if t == "eeg"]
    if not eeg:
        return ""
    import mne  # here, not at import: the reader thread pays for it, not the window

    builtin = mne.channels.get_builtin_montages()
    name = next((m for m in MONTAGES if m in builtin), MONTAGES[-1])
    known = set(mne.channels.make_standard_montage(name).ch_names)
    found = sum(n in known for n in eeg)
    return f"montage: {name}, {found}/{len(eeg)} channels found"
