"""Model files: a fitted pipeline that is safe to load and says how it was made.

Saved with ``skops`` (a zip of JSON and numpy arrays): loading runs no code from the
file, and every type it would construct is checked against the exact list of types the
decoders are built from (:data:`bci.decoders.TRUSTED_TYPES`, tested to be exactly what
they need) before anything is built. Never pickle.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import bci
from bci.errors import ModelError
from bci.pipeline.config import PipelineConfig, parse_config

#: Bumped when the file layout changes incompatibly; older bci refuses newer files.
FORMAT_VERSION = 1
_FORMAT = "bci-model"



@dataclass
class Model:
    """A trained pipeline.

    Attributes
    ----------
    config : PipelineConfig
        The TOML it was trained from.
    decoder : estimator
        The fitted decoder.
    ch_names : list of str
        Channels in the order the decoder expects.
    sfreq : float
        Sampling rate it was trained at.
    classes : list of str
        Class names in score order.
    info : dict
        Provenance: bci and library versions, creation time, training files with
        SHA-256 checksums, cross-validation scores.
    """

    config: PipelineConfig
    decoder: object
    ch_names: list[str]
    sfreq: float
    classes: list[str]
    info: dict = field(default_factory=dict)

    def channel_types(self) -> list[str] | None:
        """MNE types of the model's channels, if known.

        Models store them since bci records them at training; an older model knows them
        only when its ``[signal].picks`` is one channel type such as ``"eeg"``.
        """
        types = self.info.get("ch_types")
        if types is not None and len(types) == len(self.ch_names):
            return [str(t) for t in types]
        picks = self.config.picks
        if isinstance(picks, str) and picks not in ("all", "data"):
            return [picks] * len(self.ch_names)
        return None

    def check_stream(self, sfreq: float, ch_names: Sequence[str],
                     stream_name: str = "the stream", ch_types: Sequence[str] | None = None,
                     *, other_source: str = "check --stream ('bci streams' lists them)"
                     ) -> None:
        """Refuse a stream whose rate or channels differ from the model's, in one line.

        Every mismatch (channel type, count, names, rate) is named at once, with the
        likely cause: a different device (other channel types, or most of the model's
        channels absent), a few channels missing, or the same channels at another rate:
        only then are resampling or retraining the advice.

        Parameters
        ----------
        sfreq : float
            The stream's sampling rate.
        ch_names : sequence of str
            The stream's channel labels.
        stream_name : str
            How the stream is named in the message (``"stream 'EEG-1'"``, a file name).
        ch_types : sequence of str or None
            The stream's MNE channel types, to compare with the model's.
        other_source : str
            What to do when the stream looks like another device's.

        Raises
        ------
        ModelError
            One line naming every mismatch and what to do.
        """
        names = list(ch_names)
        present = set(names)
        missing = [c for c in self.ch_names if c not in present]
        rate_differs = abs(sfreq - self.sfreq) > 1e-6 * self.sfreq
        if not missing and not rate_differs:
            return
        model_types = self.channel_types()
        # The types of the stream's channels the model would use, or else all of them.
        used = [t for n, t in zip(names, ch_types or (), strict=False) if n in set(self.ch_names)]
        stream_types = (used if len(used) == len(self.ch_names) else list(ch_types or ()))
        types_differ = bool(model_types and stream_types
                            and set(stream_types).isdisjoint(model_types))
        mismatches = []
        if types_differ:
            mismatches.append(f"its channels are {_type_counts(stream_types)}, the model's "
                              f"{_type_counts(model_types)}")
        if len(names) != len(self.ch_names):
            mismatches.append(f"it has {len(names)} channels, the model {len(self.ch_names)}")
        if missing:
            shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
            if len(missing) == len(self.ch_names):
                mismatches.append(f"it has none of the model's channels ({shown}; it has "
                                  f"{', '.join(names[:6])}{' ...' if len(names) > 6 else ''})")
            else:
                mismatches.append(f"it lacks {len(missing)} of the model's "
                                  f"{len(self.ch_names)} channels ({shown})")
        if rate_differs:
            mismatches.append(f"it runs at {sfreq:g} Hz but the model was trained at "
                              f"{self.sfreq:g} Hz")
        if types_differ or 2 * len(missing) > len(self.ch_names):
            advice = f"this looks like a different device: {other_source}"
        elif missing:
            advice = ("send those channels, or retrain without them ([signal].picks)"
                      + (f" on data at {sfreq:g} Hz" if rate_differs else ""))
        else:
            advice = (f"the same channels at another rate: set the device to "
                      f"{self.sfreq:g} Hz, or retrain on data at {sfreq:g} Hz")
        raise ModelError(f"{stream_name} does not fit the model: {'; '.join(mismatches)}: "
                         f"{advice}")


def _type_counts(types: Sequence[str]) -> str:
    """``"64 eeg"``, ``"60 eeg + 4 eog"``."""
    counts: dict[str, int] = {}
    for t in types:
        counts[t] = counts.get(t, 0) + 1
    return " + ".join(f"{n} {t}" for t, n in counts.items())


def sha256(path: str | Path) -> str:
    """Checksum of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model depends on."""
    import mne
    import pyriemann
    import scipy
    import sklearn

    return {"bci": bci.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__, "pyriemann": pyriemann.__version__,
            "mne": mne.__version__, "python": platform.python_version()}


def save_model(model: Model, path: str | Path) -> Path:
    """Write ``model`` with skops."""
    import skops.io as sio

    path = Path(path)
    payload = {
        "format": _FORMAT, "format_version": FORMAT_VERSION,
        "config_text": model.config.text, "config_origin": model.config.origin,
        "ch_names": list(model.ch_names), "sfreq": float(model.sfreq),
        "classes": [str(c) for c in model.classes], "decoder": model.decoder,
        "info": {"created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                 "versions": library_versions(), **model.info},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(payload, path, compression=zipfile.ZIP_DEFLATED)
    return path


def load_model(path: str | Path) -> Model:
    """Read a model file, refusing any type outside :data:`bci.decoders.TRUSTED_TYPES`.

    Raises
    ------
    ModelError
        Not a model file, saved by a newer incompatible bci, or holding untrusted types.
    """
    import skops.io as sio

    from bci.decoders import TRUSTED_TYPES

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such model file: check the path, or write one with "
                         "'bci train CONFIG.toml --data FILE --out MODEL'")
    try:
        types = sio.get_untrusted_types(file=path)
    except Exception as err:  # skops raises many kinds on a non-zip or corrupt file
        raise ModelError(f"{path}: not a bci model file ({type(err).__name__}): pass a "
                         "file written by 'bci train'") from None
    untrusted = [t for t in types if t not in TRUSTED_TYPES]
    if untrusted:
        raise ModelError(f"{path}: refusing to load types that no bci decoder is made "
                         f"of: {untrusted}: load only model files written by 'bci train'")
    try:
        payload = sio.load(path, trusted=types)
    except Exception as err:
        raise ModelError(f"{path}: the model file is corrupt ({type(err).__name__}: "
                         f"{err}): retrain it with 'bci train'") from None
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        raise ModelError(f"{path}: not a bci model file: pass a file written by 'bci train'")
    version = payload.get("format_version", 0)
    if version > FORMAT_VERSION:
        raise ModelError(f"{path}: saved by a newer bci (model format {version}, this bci "
                         f"reads up to {FORMAT_VERSION}): upgrade bci")
    missing = [k for k in ("config_text", "ch_names", "sfreq", "classes", "decoder")
               if k not in payload]
    if missing:
        raise ModelError(f"{path}: the model file lacks {', '.join(missing)}: it was not "
                         "written by 'bci train' (or is damaged): retrain it")
    config = parse_config(payload["config_text"],
                          origin=f"{path}:{payload.get('config_origin', 'config')}")
    return Model(config=config, decoder=payload["decoder"], ch_names=list(payload["ch_names"]),
                 sfreq=float(payload["sfreq"]), classes=list(payload["classes"]),
                 info=dict(payload.get("info", {})))
