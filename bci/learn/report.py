"""The training report: cross-validation plots and a Markdown summary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bci.pipeline.model import Model

#: Colours the numbers of a confusion matrix may take: whichever contrasts more with its
#: cell. Either reaches a WCAG contrast ratio of at least 4.58 on any background.
TEXT_COLOURS = ("black", "white")


def relative_luminance(rgb: Sequence[float]) -> float:
    """WCAG 2 relative luminance of an sRGB colour.

    Parameters
    ----------
    rgb : sequence of float
        Red, green, blue in [0, 1] (an alpha after them is ignored).

    Returns
    -------
    float
        0 for black, 1 for white.
    """
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours, from 1 (same) to 21 (black on white)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour(background: Sequence[float]) -> str:
    """Black or white, whichever reads better on ``background`` (sRGB in [0, 1]).

    scikit-learn's ``ConfusionMatrixDisplay`` switches colour at half the value range;
    choosing by contrast with the cell's actual colour holds for any colour map.
    """
    from matplotlib.colors import to_rgb

    return max(TEXT_COLOURS, key=lambda c: contrast_ratio(to_rgb(c), background))


def plot_confusion(ax, matrix: np.ndarray, classes: Sequence[str], cmap: str = "Blues"):
    """Draw a confusion matrix on ``ax``, each count in the colour that contrasts with its cell.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    matrix : ndarray of int, shape (n_classes, n_classes)
        Rows are the true classes, columns the predicted ones.
    classes : sequence of str
    cmap : str
        A matplotlib colour map name.

    Returns
    -------
    matplotlib.image.AxesImage
    """
    image = ax.imshow(matrix, cmap=cmap)
    for (i, j), value in np.ndenumerate(matrix):
        cell = image.cmap(image.norm(value))
        ax.text(j, i, str(value), ha="center", va="center", color=text_colour(cell))
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set(xlabel="predicted", ylabel="true")
    return image


def write_training_report(folder: str | Path, model: Model, data: object,
                          scores: list[dict]) -> Path:
    """Write ``summary.md``, ``cv_scores.png`` and ``confusion_matrix.png`` to ``folder``.

    The confusion matrix is pooled over the cross-validation folds (each window predicted
    by the fold that did not train on it), so it shows generalisation, not fit.
    """
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt
    from sklearn.base import clone
    from sklearn.metrics import confusion_matrix
    from sklearn.model_selection import StratifiedGroupKFold

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    classes = model.classes
    lines = [f"# Training report: {model.config.name or model.config.origin}", "",
             f"- decoder: `{model.config.decoder['kind']}`",
             f"- channels: {len(model.ch_names)} at {model.sfreq:g} Hz",
             f"- windows: {data.X.shape[0]} of {data.X.shape[-1]} samples",
             "- classes: " + ", ".join(f"{c} ({int(np.sum(data.y == c))})" for c in classes),
             ""]
    if scores:
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.bar([s["fold"] for s in scores], [s["accuracy"] for s in scores], color="#4878a8")
        ax.axhline(1 / len(classes), color="grey", linestyle="--", label="chance")
        ax.set(xlabel="fold", ylabel="accuracy", ylim=(0, 1), title="Cross-validation")
        ax.legend(loc="lower right")
        fig.tight_layout()
        fig.savefig(folder / "cv_scores.png", dpi=100)
        plt.close(fig)
        predicted = np.empty(data.y.shape, dtype=object)
        folds = StratifiedGroupKFold(n_splits=len(scores), shuffle=True, random_state=0)
        for train, test in folds.split(data.X, data.y, data.groups):
            fitted = clone(model.decoder).fit(data.X[train], data.y[train])
            predicted[test] = fitted.predict(data.X[test])
        matrix = confusion_matrix(data.y, predicted.astype(str), labels=classes)
        fig, ax = plt.subplots(figsize=(1.2 * len(classes) + 2, 1.0 * len(classes) + 1.5))
        plot_confusion(ax, matrix, classes)
        ax.set_title("Confusion (cross-validated)")
        fig.tight_layout()
        fig.savefig(folder / "confusion_matrix.png", dpi=100)
        plt.close(fig)
        mean = np.mean([s["accuracy"] for s in scores])
        lines += ["## Cross-validation", "", "| fold | accuracy | balanced | test windows |",
                  "|---|---|---|---|"]
        lines += [f"| {s['fold']} | {s['accuracy']:.3f} | {s['balanced_accuracy']:.3f} | "
                  f"{s['n_test']} |" for s in scores]
        lines += ["", f"Mean accuracy **{mean:.3f}** (chance {1 / len(classes):.3f}).", "",
                  "![scores](cv_scores.png)", "", "![confusion](confusion_matrix.png)", ""]
    path = folder / "summary.md"
    path.write_text("\n".join(lines))
    return path
