"""Decoders: scikit-learn estimators per paradigm, built by name from a pipeline config.

Every decoder takes epochs ``X`` shaped ``(n_epochs, n_channels, n_times)`` (float64,
volts) and follows scikit-learn's estimator API. Build one with :func:`make_decoder`
from the ``[decoder]`` table of a pipeline; the kinds are listed in
:data:`DECODER_KINDS`. Saved decoders load with
``skops.io.load(path, trusted=list(TRUSTED_TYPES))``.
"""

from bci.decoders.emg import EMGFeatures, make_emg_lda
from bci.decoders.erp import make_xdawn_lda, make_xdawn_ts_lr
from bci.decoders.motor_imagery import (
    FilterBankCSP,
    make_csp_lda,
    make_fbcsp,
    make_mdm,
    make_tangent_space_lr,
)
from bci.decoders.registry import (
    DECODER_KINDS,
    LEGACY_TRUSTED_TYPES,
    TRUSTED_TYPES,
    decoder_params,
    is_continuous,
    make_decoder,
    needs_training,
)
from bci.decoders.spectral import BandPower, BandRatio
from bci.decoders.ssvep import CCAClassifier, FBCCAClassifier, TRCAClassifier

__all__ = [
    "DECODER_KINDS",
    "LEGACY_TRUSTED_TYPES",
    "TRUSTED_TYPES",
    "BandPower",
    "BandRatio",
    "CCAClassifier",
    "EMGFeatures",
    "FBCCAClassifier",
    "FilterBankCSP",
    "TRCAClassifier",
    "decoder_params",
    "is_continuous",
    "make_csp_lda",
    "make_decoder",
    "make_emg_lda",
    "make_fbcsp",
    "make_mdm",
    "make_tangent_space_lr",
    "make_xdawn_lda",
    "make_xdawn_ts_lr",
    "needs_training",
]
