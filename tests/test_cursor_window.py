"""The subject-facing cursor window, offscreen: it draws the cued cell and the cursor."""

from __future__ import annotations

import numpy as np

from bci.cursor import GridTask
from bci.cursor.loop import ClosedLoopRun


def test_window_draws_the_cursor_and_the_cued_cell(qtbot, tmp_path):
    from PySide6.QtGui import QImage

    from bci_apps.cursor_window import CursorWindow, save_screenshot

    task = GridTask(10, seed=0)
    task.update(np.zeros(2), 0.0)
    target = task.target_position(task.target)
    cursor = np.array([-0.55, 0.55]) if target[0] > 0 else np.array([0.55, 0.55])
    window = CursorWindow(task)
    qtbot.addWidget(window)
    window.resize(420, 420)
    window.show_state(cursor, target)
    run = ClosedLoopRun({}, cursor[np.newaxis], target[np.newaxis], np.zeros((1, 2)))
    path = save_screenshot(tmp_path / "cursor.png", task, run)
    image = QImage(str(path))
    side = min(image.width(), image.height()) - 20
    left, top = (image.width() - side) / 2, (image.height() - side) / 2

    def pixel(xy):
        x = int(left + (xy[0] + 1) / 2 * side)
        y = int(top + (1 - xy[1]) / 2 * side)
        c = image.pixelColor(x, y)
        return c.red(), c.green(), c.blue()

    assert pixel(cursor) == (250, 250, 250)  # the cursor, white
    assert pixel(target) == (40, 170, 90)  # the cued cell, green
