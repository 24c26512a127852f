"""OSC (Open Sound Control) output over UDP, for game engines and Max/Pure Data.

The transport the applications share: where messages go (:class:`OscAddress`, from
``--osc HOST:PORT``) and a sender that builds typed messages under a prefix and never
lets a socket error reach the live loop (UDP is best-effort). What is sent is up to each
application (``bci.feedback.osc``, ``bci.postprocess.outputs``). Uses python-osc
(``pip install "bci[osc]"``).
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass

from bci.errors import BciError, ConfigError


@dataclass(frozen=True)
class OscAddress:
    """Where OSC messages go: a resolved numeric host and a UDP port."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_osc_address(text: str) -> OscAddress:
    """Parse and resolve ``HOST:PORT`` (``[v6-address]:PORT`` for IPv6).

    Parameters
    ----------
    text : str
        E.g. ``127.0.0.1:9000``, ``localhost:57120``, ``[::1]:9000``.

    Returns
    -------
    OscAddress
        With the host resolved once, here, so no name lookup happens per message.

    Raises
    ------
    bci.errors.ConfigError
        For a malformed address, a port outside 1-65535 or a host that does not resolve.
    """
    example = "e.g. --osc 127.0.0.1:9000"
    host, sep, port_text = text.strip().rpartition(":")
    if not sep or not host or not port_text:
        raise ConfigError(f"--osc {text!r} must be HOST:PORT, {example}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ConfigError(f"--osc {text!r}: write an IPv6 host in brackets, e.g. [::1]:9000")
    try:
        port = int(port_text)
    except ValueError:
        raise ConfigError(f"--osc {text!r}: the port {port_text!r} is not a number, "
                          f"{example}") from None
    if not 1 <= port <= 65535:
        raise ConfigError(f"--osc {text!r}: the port must be 1-65535, got {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as err:
        raise ConfigError(f"--osc {text!r}: cannot resolve host {host!r} ({err}): "
                          "check the name or give an IP address") from None
    return OscAddress(host=str(infos[0][4][0]), port=port)


class OscSender:
    """Sends OSC messages ``<prefix>/<name>`` over UDP.

    Parameters
    ----------
    address : OscAddress
        From :func:`parse_osc_address`.
    prefix : str
        Address prefix, e.g. ``/bci``.

    Attributes
    ----------
    n_sent : int
        Batches sent.
    n_errors : int
        Batches that could not all be sent (a full socket buffer, an unreachable host).
    """

    def __init__(self, address: OscAddress, *, prefix: str = "/bci") -> None:
        try:
            from pythonosc.osc_message_builder import OscMessageBuilder
            from pythonosc.udp_client import UDPClient
        except ImportError:
            raise BciError("--osc needs python-osc: pip install \"bci[osc]\"") from None
        if not prefix.startswith("/") or prefix.endswith("/"):
            raise ConfigError(f"OSC prefix {prefix!r} must start with '/' and not end "
                              "with one, e.g. /bci")
        self.address = address
        self.prefix = prefix
        self._builder = OscMessageBuilder
        self._client = UDPClient(address.host, address.port)
        self.n_sent = 0
        self.n_errors = 0

    def message(self, name: str, *args: float | int | str):
        """One message ``<prefix>/<name>``; ints as i, floats as f, strings as s."""
        builder = self._builder(address=f"{self.prefix}/{name}")
        for value in args:
            kind = "s" if isinstance(value, str) else "i" if isinstance(value, int) else "f"
            builder.add_arg(value, kind)
        return builder.build()

    def send_all(self, messages: Sequence) -> None:
        """Send a batch of messages; count, never raise, socket errors."""
        try:
            for message in messages:
                self._client.send(message)
        except OSError:
            self.n_errors += 1
            return
        self.n_sent += 1

    def close(self) -> None:
        """Close the socket."""
        self._client.close()
