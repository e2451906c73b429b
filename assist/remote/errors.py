"""The one error the remote client raises: a ``kind`` the UI can explain, and a message.

Kinds: auth, rate_limited, server, http, timeout, deadline, connect, tls, network, protocol,
cancelled, circuit_open. Messages never carry the API key (the client scrubs them).
"""

from __future__ import annotations


class RemoteError(RuntimeError):
    """The one error the remote path raises. ``kind`` is for code, ``message`` for people.

    Kinds: auth, rate_limited, server, http (other 4xx), timeout, deadline, connect, tls, network
    (lost mid-stream), protocol, cancelled, circuit_open.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
