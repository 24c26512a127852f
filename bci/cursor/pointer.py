"""``--output pointer``: the cursor drives the desktop's own pointer (through pynput).

pynput (``pip install 'bci[pointer]'``) moves the pointer on X11, Windows and macOS.
Off by default: a task that takes over the user's pointer must be asked for.
"""

from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np

from bci.errors import BciError


def _check_platform() -> None:
    """One line when pynput is missing or there is no display to move a pointer on."""
    if importlib.util.find_spec("pynput") is None:
        raise BciError("--output pointer needs pynput: pip install 'bci[pointer]' "
                       "(or pip install 'pynput>=1.7')")
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        # pynput's Linux back end talks to an X server (Xwayland included); without one
        # its import fails with a page of advice.
        raise BciError("--output pointer needs a desktop: no X display (DISPLAY is not "
                       "set); run it in a desktop session, or under Xvfb for a test")


class PointerOutput:
    """Maps workspace positions ([-1, 1]², y up) onto the screen and moves the pointer.

    Parameters
    ----------
    width, height : int
        The screen area in pixels the workspace covers.
    left, top : int
        Its top-left corner.

    Raises
    ------
    BciError
        pynput is not installed, or there is no display.
    """

    def __init__(self, width: int = 1080, height: int = 1080, left: int = 0, top: int = 0
                 ) -> None:
        _check_platform()
        try:
            from pynput.mouse import Controller
        except Exception as err:  # pynput fails at import when the display refuses it
            first = str(err).strip().splitlines()[0] if str(err).strip() else repr(err)
            raise BciError(f"--output pointer cannot reach the desktop ({first}): run it "
                           "in a desktop session") from None
        self._mouse = Controller()
        self.width, self.height, self.left, self.top = width, height, left, top

    def pixels(self, position: np.ndarray) -> tuple[int, int]:
        """Screen pixel of a workspace position."""
        x = self.left + (float(position[0]) + 1) / 2 * self.width
        y = self.top + (1 - float(position[1])) / 2 * self.height
        return int(round(x)), int(round(y))

    @property
    def position(self) -> tuple[int, int]:
        """Where the desktop's pointer is now (read back from the desktop)."""
        x, y = self._mouse.position
        return int(x), int(y)

    def move(self, position: np.ndarray, target: np.ndarray, events: list) -> None:
        """Put the pointer where the cursor is (an ``on_step`` callback)."""
        self._mouse.position = self.pixels(position)


__all__ = ["PointerOutput"]
