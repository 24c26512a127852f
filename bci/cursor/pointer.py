"""``--output pointer``: the cursor drives the desktop's own pointer (through pynput)."""

from __future__ import annotations

import numpy as np

from bci.errors import BciError


class PointerOutput:
    """Maps workspace positions ([-1, 1]², y up) onto the screen and moves the pointer.

    Parameters
    ----------
    width, height : int
        The screen area in pixels the workspace covers.
    left, top : int
        Its top-left corner.
    """

    def __init__(self, width: int = 1080, height: int = 1080, left: int = 0, top: int = 0
                 ) -> None:
        try:
            from pynput.mouse import Controller
        except ImportError:
            raise BciError("--output pointer needs pynput: pip install 'bci[pointer]'"
                           ) from None
        except Exception as err:  # pynput fails at import without a display server
            raise BciError(f"--output pointer cannot reach the desktop ({err}): run it "
                           "in a desktop session") from None
        self._mouse = Controller()
        self.width, self.height, self.left, self.top = width, height, left, top

    def pixels(self, position: np.ndarray) -> tuple[int, int]:
        """Screen pixel of a workspace position."""
        x = self.left + (float(position[0]) + 1) / 2 * self.width
        y = self.top + (1 - float(position[1])) / 2 * self.height
        return int(round(x)), int(round(y))

    def move(self, position: np.ndarray, target: np.ndarray, events: list) -> None:
        """Put the pointer where the cursor is (an ``on_step`` callback)."""
        self._mouse.position = self.pixels(position)


__all__ = ["PointerOutput"]
