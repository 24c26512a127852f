"""bci's decoders as MOABB pipelines.

A bci decoder is a scikit-learn estimator on epochs ``(n_epochs, n_channels,
n_times)``, which is what a MOABB paradigm hands its pipelines, so MOABB's evaluations
run it unchanged::

    from moabb.evaluations import WithinSessionEvaluation
    pipelines = moabb_pipelines({"ts-lr": "docs/configs/motor-imagery.toml"}, sfreq=160)
    WithinSessionEvaluation(paradigm=paradigm, datasets=[dataset]).process(pipelines)

Only the decoder moves to MOABB: MOABB's paradigm filters and epochs the data itself
(offline, zero-phase), so its scores answer "how good is this decoder", while
``bci benchmark`` scores the whole causal pipeline as it runs live.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def moabb_pipelines(configs: Mapping[str, str | Path], sfreq: float) -> dict[str, object]:
    """Unfitted decoders of bci pipeline configs, named as MOABB's ``pipelines`` dict.

    Parameters
    ----------
    configs : mapping of str to path
        Pipeline name -> TOML config (its ``[decoder]`` table is used).
    sfreq : float
        Sampling rate of the epochs MOABB will pass (after its resampling, if any).

    Returns
    -------
    dict of str to estimator
    """
    from bci.benchmark.learn import load_config, make_estimator

    return {name: make_estimator(load_config(path), sfreq) for name, path in configs.items()}


__all__ = ["moabb_pipelines"]
