"""The training report's confusion matrix: every count readable on its cell."""

from __future__ import annotations

import numpy as np
import pytest

from bci.learn.report import contrast_ratio, plot_confusion, text_colour

#: WCAG AA for normal text; black or white reaches at least 4.58 on any colour.
MIN_CONTRAST = 4.5


def test_text_colour_contrasts_on_every_colour_of_the_map():
    from matplotlib import colormaps
    from matplotlib.colors import to_rgb

    for name in ("Blues", "viridis", "gray"):
        cmap = colormaps[name]
        for x in np.linspace(0, 1, 256):
            cell = cmap(x)
            chosen = text_colour(cell)
            assert contrast_ratio(to_rgb(chosen), cell) >= MIN_CONTRAST, (name, x, chosen)


def test_contrast_ratio_matches_wcag_reference_values():
    assert contrast_ratio((0, 0, 0), (1, 1, 1)) == pytest.approx(21.0)
    assert contrast_ratio((1, 1, 1), (1, 1, 1)) == pytest.approx(1.0)
    # WCAG's worked example: #767676 on white is 4.54.
    grey = (0x76 / 255,) * 3
    assert contrast_ratio(grey, (1, 1, 1)) == pytest.approx(4.54, abs=0.01)


def test_confusion_png_numbers_contrast_with_their_cells():
    """Render, then read back the pixels: the darkest (or lightest) ink in each cell
    against the cell's own colour. A black number on the darkest Blues cell scores 1.6."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = np.array([[40, 0, 3], [2, 25, 9], [0, 11, 38]])
    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    plot_confusion(ax, matrix, ["left", "right", "rest"])
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255.0
    height = pixels.shape[0]
    for text in ax.texts:
        box = text.get_window_extent()
        # Display coordinates start at the bottom; image rows at the top.
        rows = slice(int(height - box.y1), int(np.ceil(height - box.y0)))
        cols = slice(int(box.x0), int(np.ceil(box.x1)))
        patch = pixels[rows, cols].reshape(-1, 3)
        i, j = (int(round(v)) for v in text.get_position()[::-1])
        # The cell's colour from just inside its corner, away from the number.
        cx0, cy0 = ax.transData.transform((j - 0.45, i - 0.45))
        cell = pixels[int(height - cy0) + 1, int(cx0) + 1]
        ink = patch[np.argmax(np.abs(patch - cell).sum(axis=1))]
        assert contrast_ratio(ink, cell) >= MIN_CONTRAST, (matrix[i, j], cell, ink)
    plt.close(fig)
