"""The training report: cross-validation plots and a Markdown summary."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bci.pipeline.model import Model


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
        ax.imshow(matrix, cmap="Blues")
        for (i, j), value in np.ndenumerate(matrix):
            ax.text(j, i, str(value), ha="center", va="center")
        ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
        ax.set_yticks(range(len(classes)), classes)
        ax.set(xlabel="predicted", ylabel="true", title="Confusion (cross-validated)")
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
