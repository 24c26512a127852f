"""Model files: a fitted pipeline that is safe to load and says how it was made.

Saved with ``skops`` (a zip of JSON and numpy arrays): loading runs no code from the
file, and every type it would construct is checked against an explicit list of trusted
modules before anything is built. Never pickle.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import bci
from bci.errors import ModelError
from bci.pipeline.config import PipelineConfig, parse_config

#: Bumped when the file layout changes incompatibly; older bci refuses newer files.
FORMAT_VERSION = 1
_FORMAT = "bci-model"

#: Modules whose types a model file may contain (checked before loading).
TRUSTED_MODULES = ("bci.decoders.", "bci.adapt.", "sklearn.", "pyriemann.", "mne.decoding.",
                   "numpy.", "scipy.")


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

    def check_stream(self, sfreq: float, ch_names: list[str] | tuple[str, ...],
                     stream_name: str = "the stream") -> None:
        """Refuse a stream whose rate or channels differ from the model's, in one line."""
        if abs(sfreq - self.sfreq) > 1e-6 * self.sfreq:
            raise ModelError(f"{stream_name} runs at {sfreq:g} Hz but the model was trained "
                             f"at {self.sfreq:g} Hz: retrain on data at {sfreq:g} Hz")
        missing = [c for c in self.ch_names if c not in set(ch_names)]
        if missing:
            shown = ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else "")
            raise ModelError(f"{stream_name} has {len(ch_names)} channels and lacks "
                             f"{len(missing)} the model was trained on ({shown}): retrain, "
                             "or send those channels")


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
    """Read a model file, refusing any type outside :data:`TRUSTED_MODULES`.

    Raises
    ------
    ModelError
        Not a model file, saved by a newer incompatible bci, or holding untrusted types.
    """
    import skops.io as sio

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    try:
        types = sio.get_untrusted_types(file=path)
    except Exception as err:  # skops raises many kinds on a non-zip or corrupt file
        raise ModelError(f"{path}: not a bci model file ({type(err).__name__}): pass a "
                         "file written by 'bci train'") from None
    untrusted = [t for t in types if not t.startswith(TRUSTED_MODULES)]
    if untrusted:
        raise ModelError(f"{path}: refusing to load types from outside the trusted "
                         f"libraries: {untrusted}")
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
    config = parse_config(payload["config_text"],
                          origin=f"{path}:{payload.get('config_origin', 'config')}")
    return Model(config=config, decoder=payload["decoder"], ch_names=list(payload["ch_names"]),
                 sfreq=float(payload["sfreq"]), classes=list(payload["classes"]),
                 info=dict(payload.get("info", {})))
