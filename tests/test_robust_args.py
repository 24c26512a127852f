"""Arguments that would lose data are refused in one line, before anything starts."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from bci.errors import BciError
from bci.replay.player import Player
from bci.replay.source import ReplaySource
from bci.stream import Inlet


def _source(n_times: int = 500) -> ReplaySource:
    return ReplaySource(name="x", stype="EEG", data=np.zeros((2, n_times)), sfreq=100.0,
                        ch_names=("a", "b"), ch_types=("eeg", "eeg"))


@pytest.mark.parametrize("kwargs, needle", [
    ({"chunk": 501}, "longer than the recording (500 samples)"),
    ({"chunk": 10**9}, "use at most 500"),
    ({"speed": float("inf")}, "--speed"),
    ({"speed": float("nan")}, "--speed"),
    ({"lead": float("nan")}, "lead"),
    ({"channel_format": "int8"}, "channel format"),
])
def test_player_refuses_arguments_that_lose_data(kwargs, needle):
    with pytest.raises(BciError, match=re.escape(needle)) as excinfo:
        Player([_source()], **kwargs)
    assert "\n" not in str(excinfo.value)


def test_player_takes_a_chunk_of_the_whole_recording():
    assert Player([_source()], chunk=500).chunk == 500


@pytest.mark.parametrize("kwargs", [{"max_chunk": 0}, {"max_chunk": 2.5},
                                    {"ring_seconds": float("inf")}, {"ring_seconds": 1e9},
                                    {"timeout": float("nan")}, {"max_buffered": 0}])
def test_inlet_refuses_sizes_that_lose_data_or_memory(kwargs):
    with pytest.raises(BciError) as excinfo:
        Inlet("anything", **kwargs)
    assert "\n" not in str(excinfo.value)


def test_replay_command_refuses_in_one_line(sample_recordings):
    """The issue's case: `bci replay FILE --chunk 1000000000` pushed nothing, exit 0."""
    run = subprocess.run([sys.executable, "-m", "bci.cli", "replay",
                          str(sample_recordings / "sample-rest_raw.fif"), "--chunk",
                          "1000000000"], capture_output=True, text=True, timeout=120)
    lines = run.stderr.strip().splitlines()
    assert run.returncode != 0 and len(lines) == 1 and lines[0].startswith("bci: error:")
    assert "--chunk 1000000000 is longer than the recording" in lines[0]
