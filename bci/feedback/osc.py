"""Feedback over OSC (Open Sound Control), for game engines and Max/Pure Data.

Each feedback sample is sent as four UDP messages, one value each, so a patch can route
them by address with no unpacking::

    /bci/feedback  float  0-1, smoothed normalised feedback
    /bci/reward    int    0 or 1
    /bci/value     float  the raw feature (e.g. log10 band power)
    /bci/artifact  int    0 or 1

The prefix (``/bci``) can be changed. Uses python-osc (``pip install "bci[osc]"``).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from bci.errors import BciError, ConfigError
from bci.feedback.processor import FeedbackSample


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
    """Sends each feedback sample as OSC messages over UDP.

    Parameters
    ----------
    address : OscAddress
        Where to send (from :func:`parse_osc_address`).
    prefix : str
        Address prefix of the messages (``/bci`` gives ``/bci/feedback``...).

    Attributes
    ----------
    n_sent : int
        Feedback samples sent.
    n_errors : int
        Samples that could not be sent (a full socket buffer, an unreachable host): UDP
        is best-effort and the live loop must not die of it.
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

    def _message(self, name: str, value: float | int):
        builder = self._builder(address=f"{self.prefix}/{name}")
        builder.add_arg(value, "f" if isinstance(value, float) else "i")
        return builder.build()

    def send(self, sample: FeedbackSample) -> None:
        """Send one feedback sample (four messages); count, never raise, socket errors."""
        messages = (self._message("feedback", float(sample.feedback)),
                    self._message("reward", int(sample.reward)),
                    self._message("value", float(sample.value)),
                    self._message("artifact", int(sample.is_artifact)))
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
