"""``bci cursor --output pointer``: the desktop's own pointer follows the cursor.

Moved for real on an X server and read back from it: the test starts its own Xvfb when
``Xvfb`` is on PATH and pynput is installed (``pip install 'bci[pointer]'``), and skips
saying which is missing otherwise. Without a display, or without pynput, the command
says so in one line.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from bci.errors import BciError


@pytest.fixture
def xvfb_display(monkeypatch):
    """A private X server (Xvfb) on a free display number; DISPLAY points at it."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not on PATH (apt-get install xvfb): no X server to move a "
                    "pointer on")
    if importlib.util.find_spec("pynput") is None:  # its import needs the display
        pytest.skip("pynput is not installed: pip install 'bci[pointer]'")
    for number in range(150, 200):
        if not os.path.exists(f"/tmp/.X11-unix/X{number}") and \
                not os.path.exists(f"/tmp/.X{number}-lock"):
            break
    process = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x1024x24",
                                "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not os.path.exists(f"/tmp/.X11-unix/X{number}"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.skip(f"Xvfb :{number} did not start")
        time.sleep(0.05)
    monkeypatch.setenv("DISPLAY", f":{number}")
    try:
        yield f":{number}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Xvfb is Linux's")
def test_pointer_follows_the_cursor_on_a_real_x_server(xvfb_display):
    from bci.cursor.pointer import PointerOutput

    pointer = PointerOutput(width=400, height=400, left=10, top=20)
    for position, pixel in (((0.5, -0.5), (310, 320)), ((-1.0, 1.0), (10, 20)),
                            ((0.0, 0.0), (210, 220))):
        pointer.move(np.array(position), np.zeros(2), [])
        assert pointer.pixels(np.array(position)) == pixel
        assert pointer.position == pixel  # read back from the X server
    if shutil.which("xdotool"):  # a second opinion, from outside this process
        out = subprocess.run(["xdotool", "getmouselocation"], capture_output=True,
                             text=True, env={**os.environ}, check=True).stdout
        assert out.startswith("x:210 y:220")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY is X11's")
def test_pointer_without_a_display_is_one_line(monkeypatch):
    if importlib.util.find_spec("pynput") is None:
        pytest.skip("pynput is not installed: pip install 'bci[pointer]'")
    from bci.cursor.pointer import PointerOutput

    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(BciError, match="needs a desktop: no X display") as err:
        PointerOutput()
    assert "\n" not in str(err.value)


def test_pointer_without_pynput_says_what_to_install(monkeypatch):
    from bci.cursor import pointer

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pynput" else real(name, *a))
    with pytest.raises(BciError, match=r"pip install 'bci\[pointer\]'"):
        pointer.PointerOutput()
