"""A pipeline spec is a ``.toml`` config or a trained model file: one loader for both,
and one way to build the :class:`~bci.pipeline.Pipeline` it describes for a stream."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bci.errors import ConfigError
from bci.pipeline.config import PipelineConfig, load_config
from bci.pipeline.model import Model, load_model
from bci.pipeline.pipeline import Pipeline, WindowCheck

#: What ``bci live``, ``bci monitor --config`` and ``bci cursor`` accept.
Spec = PipelineConfig | Model


def load_spec(path: str | Path) -> Spec:
    """A ``.toml`` pipeline config, or a model file written by ``bci train``.

    Raises
    ------
    ConfigError, ModelError
        A missing, unreadable or invalid file (one line, naming it).
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: no such file: pass a pipeline .toml or a model file "
                          "written by 'bci train'")
    if path.suffix.lower() == ".toml":
        return load_config(path)
    return load_model(path)


def config_of(spec: Spec) -> PipelineConfig:
    """The pipeline configuration of a spec (a model carries the one it was trained on)."""
    return spec.config if isinstance(spec, Model) else spec


def build_pipeline(spec: Spec, *, sfreq: float, ch_names: Sequence[str],
                   ch_types: Sequence[str], period: float | None = None,
                   stream_name: str = "the stream",
                   window_checks: Sequence[WindowCheck] = (),
                   other_source: str | None = None) -> Pipeline:
    """The live pipeline of a spec for a stream's rate and channels.

    A model is checked against the stream first (channel types, count, names, rate: one
    line for all), and its fitted decoder and channel order are used; a config builds a
    training-free decoder. ``other_source`` says what to do when the stream looks like
    another device's (default: check ``--stream``).
    """
    if isinstance(spec, Model):
        extra = {} if other_source is None else {"other_source": other_source}
        spec.check_stream(sfreq, ch_names, stream_name, ch_types, **extra)
        return Pipeline(spec.config, sfreq=sfreq, ch_names=ch_names, ch_types=ch_types,
                        decoder=spec.decoder, picks=spec.ch_names, period=period,
                        window_checks=window_checks)
    return Pipeline(spec, sfreq=sfreq, ch_names=ch_names, ch_types=ch_types, period=period,
                    window_checks=window_checks)
