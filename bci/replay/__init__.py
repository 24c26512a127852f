"""Replay recordings as live LSL sources, or on a virtual clock for offline runs."""

from bci.replay.player import Player
from bci.replay.schedule import LOOP_MARKER, MarkerItem, SignalItem, default_chunk, schedule
from bci.replay.source import ReplaySource
from bci.replay.virtual import VirtualChunk, VirtualMarker, describe, iter_virtual

__all__ = ["LOOP_MARKER", "MarkerItem", "Player", "ReplaySource", "SignalItem",
           "VirtualChunk", "VirtualMarker", "default_chunk", "describe", "iter_virtual",
           "schedule"]
