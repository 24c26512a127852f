"""ERP (P300) decoders built on xDAWN spatial filters.

- ``xdawn-lda``: xDAWN-filtered epochs, flattened, shrinkage LDA (the classic
  "temporal" P300 classifier);
- ``xdawn-ts-lr``: xDAWN covariances (the class-average ERPs stacked with each epoch, so
  the covariance carries the waveform) -> tangent space -> logistic regression
  (Barachant's P300 pipeline, the best on the Muse recordings).

Targets are rare (about one in six), so the logistic regression weighs classes equally:
``predict`` then calls targets instead of always answering the majority class. Ranking
metrics (ROC-AUC) are unaffected.
"""

from __future__ import annotations

from mne.decoding import Vectorizer
from pyriemann.estimation import XdawnCovariances
from pyriemann.spatialfilters import Xdawn
from pyriemann.tangentspace import TangentSpace
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline


def make_xdawn_lda(n_filters: int = 2) -> Pipeline:
    """xDAWN spatial filtering -> flattened time courses -> shrinkage LDA.

    Parameters
    ----------
    n_filters : int
        xDAWN filters per class.

    Returns
    -------
    decoder : sklearn.pipeline.Pipeline
    """
    return Pipeline(
        [
            ("xdawn", Xdawn(nfilter=n_filters)),
            ("vectorize", Vectorizer()),
            ("lda", LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")),
        ]
    )


def make_xdawn_ts_lr(n_filters: int = 2, estimator: str = "oas") -> Pipeline:
    """xDAWN covariances -> Riemannian tangent space -> class-balanced logistic regression.

    Parameters
    ----------
    n_filters : int
        xDAWN filters per class.
    estimator : str
        pyRiemann covariance estimator of the augmented epochs.

    Returns
    -------
    decoder : sklearn.pipeline.Pipeline
    """
    return Pipeline(
        [
            ("xdawn_covariances", XdawnCovariances(nfilter=n_filters, estimator=estimator)),
            ("tangent_space", TangentSpace(metric="riemann")),
            ("lr", LogisticRegression(max_iter=1000, class_weight="balanced")),
        ]
    )
