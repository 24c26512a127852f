"""A real OSC server on loopback, for tests of the applications' OSC output."""

from __future__ import annotations

import socket
import threading


class OscReceiver:
    """Collects every message sent to it, per address, in arrival order.

    Parameters
    ----------
    first_argument_only : bool
        Keep each message's first argument (else the whole argument tuple).
    """

    def __init__(self, *, first_argument_only: bool = False) -> None:
        from pythonosc.dispatcher import Dispatcher
        from pythonosc.osc_server import BlockingOSCUDPServer

        self.messages: dict[str, list] = {}

        def collect(address: str, *args: object) -> None:
            self.messages.setdefault(address, []).append(
                args[0] if first_argument_only else args)

        dispatcher = Dispatcher()
        dispatcher.set_default_handler(collect)
        self.server = BlockingOSCUDPServer(("127.0.0.1", 0), dispatcher)
        # A live session working through a backlog sends thousands of datagrams at once.
        self.server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 23)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()
