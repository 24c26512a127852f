"""The training display offscreen: the rocket moves only while the feedback is above the
threshold, artifacts pause it, rests stop it; the sink never blocks the session."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from bci.attention.display import DisplaySettings, TrainingDisplay, load_display_settings
from bci.errors import ConfigError
from bci.feedback.processor import FeedbackSample
from bci.pipeline.step import Step

SFREQ, RATE = 100.0, 20.0


def _sample(k: int, feedback: float, *, artifact=None, reward=False) -> FeedbackSample:
    index = 1000 + k * 5  # 20 Hz on a 100 Hz signal
    return FeedbackSample(index=index, feedback=feedback, reward=reward, value=0.0,
                          normalised=feedback, artifact=artifact, window_end=index / SFREQ,
                          window_stop=index)


def _window(settings: DisplaySettings):
    from PySide6 import QtWidgets

    from bci_apps.nf_display import DisplaySink, TrainingWindow

    QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    sink = DisplaySink()
    window = TrainingWindow(TrainingDisplay(settings, 0.7, SFREQ, RATE), sink)
    window.timer.stop()  # the test drives the ticks
    window.resize(640, 400)
    window.show()
    return window, sink


def test_rocket_moves_only_above_threshold(tmp_path):
    window, sink = _window(DisplaySettings(blocks=2, block=10.0, rest=5.0, speed=0.1))
    k = 0

    def feed(values, **kw):
        nonlocal k
        sink.write(Step(outputs={"feedback": tuple(_sample(k + j, v, **kw)
                                                   for j, v in enumerate(values))}))
        k += len(values)
        window.tick()

    feed([0.5] * 20)                       # 1 s below the threshold
    x0 = window.object_rect().x()
    assert window.state.position == 0.0 and window.state.phase == "block"
    feed([0.9] * 20)                       # 1 s above: 0.1 of the track
    assert window.state.position == pytest.approx(0.1)
    x1 = window.object_rect().x()
    assert x1 > x0
    feed([0.95] * 20, artifact="amplitude")  # an artifact: paused, not moved
    assert window.state.phase == "paused" and window.state.position == pytest.approx(0.1)
    feed([0.2] * 20)
    assert window.object_rect().x() == x1
    feed([0.9] * 10, reward=True)
    assert window.state.rewards == 1 and window.state.new_reward is False
    assert window.state.position == pytest.approx(0.15)
    from PySide6 import QtCore, QtGui

    QtCore.QCoreApplication.processEvents()
    image = window.grab_image()
    rect = window.object_rect()
    # The rocket is drawn where object_rect says, green while above the threshold.
    body = image.pixelColor(int(rect.center().x()), int(rect.center().y()))
    assert body == QtGui.QColor(80, 220, 120)
    feed([0.9] * 120)                      # past 10 s: the rest, nothing moves
    assert window.state.phase == "rest"
    rest_position = window.state.position
    feed([0.9] * 20)
    assert window.state.position == rest_position
    blocks = window.state.block_summaries()
    assert blocks[0]["block"] == 1 and blocks[0]["clean_samples"] == 180
    window.close()


def test_display_settings_are_checked(tmp_path):
    bad = tmp_path / "d.toml"
    bad.write_text("[display]\nblocks = 0\n")
    with pytest.raises(ConfigError, match="blocks = 0"):
        load_display_settings(bad)
    bad.write_text("[display]\nobject = 'car'\n")
    with pytest.raises(ConfigError, match="'rocket' or 'thermometer'"):
        load_display_settings(bad)
    with pytest.raises(ConfigError, match="no such file"):
        load_display_settings(tmp_path / "none.toml")


def test_display_loop_ends_after_the_last_block_and_says_why(tmp_path):
    """The loop neurofeedback --display runs instead of wait_while: 'done' after the last
    block, 'ended' when the session stops first."""
    from bci_apps.nf_display import _Display

    settings = DisplaySettings(blocks=2, block=1.0, rest=0.5)
    display = _Display(settings, 0.7, SFREQ, RATE)
    samples = tuple(_sample(k, 0.9) for k in range(int(3.0 * RATE)))  # past 2.5 s
    display.sink.write(Step(outputs={"feedback": samples}))
    assert display.run(lambda: True, duration=10.0) == "done"
    assert display.complete
    assert [b["clean_samples"] for b in display.block_summaries()] == [20, 20]

    early = _Display(settings, 0.7, SFREQ, RATE)
    early.sink.write(Step(outputs={"feedback": samples[:10]}))
    assert early.run(lambda: False, duration=10.0) == "ended"
    assert not early.complete
