"""LSL in and out: inlets, outlets, stream discovery, ring buffers, gap detection."""

from bci.stream.chunk import Chunk, Marker
from bci.stream.description import StreamDescription
from bci.stream.discovery import list_streams, resolve_stream
from bci.stream.gaps import Gap, GapDetector
from bci.stream.inlet import Inlet, MarkerInlet
from bci.stream.outlet import Outlet
from bci.stream.ring import RingBuffer

__all__ = ["Chunk", "Gap", "GapDetector", "Inlet", "Marker", "MarkerInlet", "Outlet",
           "RingBuffer", "StreamDescription", "list_streams", "resolve_stream"]
