"""Running the ingestion API inside the app: uvicorn on a daemon thread, loopback only.

Why a thread and not a process: the consumer (the Qt app) lives in this process, and the hub
is plain shared memory. Why bind the socket ourselves before handing it to uvicorn: a taken
port then fails synchronously in :meth:`IngestServer.start` with the OS's reason, instead of
uvicorn logging it and calling ``sys.exit`` on a thread where nobody sees it; it also makes the
bound port (``port=0`` in tests) known before the first request.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import sys
import threading
import time
from collections.abc import Iterator
from types import TracebackType

import uvicorn

from assist.ingest.api import DEFAULT_MAX_BODY, create_app
from assist.ingest.hub import IngestHub

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765


class IngestError(RuntimeError):
    """The ingestion server could not start (or stop); ``str()`` says why and what to do."""


def loopback_address(host: str) -> str:
    """The address to bind for ``host``, refusing anything that isn't loopback.

    The API is for programs on this machine; listening on a LAN address would expose the
    conversations (and a brute-forceable token) to the network, so it is not an option at all.
    """
    if host.strip().lower() == "localhost":
        return "127.0.0.1"  # not resolved: a hosts file could map "localhost" anywhere
    try:
        address = ipaddress.ip_address(host.strip())
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise IngestError(
            f"refusing to listen on {host!r}: the ingestion API only listens on loopback "
            "(127.0.0.1, ::1 or localhost)"
        )
    return str(address)


class _ThreadedServer(uvicorn.Server):
    """uvicorn minus signal handling: signals belong to the app's main thread, not to us."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class IngestServer:
    """The ingestion API served on ``host:port`` from a daemon thread.

    ``start()`` returns once the server accepts connections; ``stop()`` shuts it down. Also a
    context manager. ``port=0`` picks a free port (read it back from :attr:`port`).
    """

    def __init__(
        self,
        hub: IngestHub,
        token: str,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self._host = loopback_address(host)
        if not 0 <= port <= 65535:
            raise IngestError(f"port {port} is out of range (0-65535)")
        self._port = port
        self._app = create_app(hub, token, max_body)
        self._server: _ThreadedServer | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        """The bound port once started (the real one when asked for port 0)."""
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 5.0) -> None:
        """Listen, and return once uvicorn is serving; :class:`IngestError` if it can't."""
        if self.running:
            raise IngestError(f"the ingestion API is already running on {self.url}")
        sock = self._bind()
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            host=self._host,
            port=self._port,
            log_level="warning",
            log_config=None,  # don't reconfigure the app's logging; records go to its handlers
            lifespan="off",
            access_log=False,
            server_header=False,
        )
        server = _ThreadedServer(config)
        self._failure = None
        thread = threading.Thread(
            target=self._serve, args=(server, sock), name="assist-ingest", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive():
                sock.close()
                self._server = self._thread = None
                raise IngestError(f"the ingestion API failed to start: {self._failure!r}")
            if time.monotonic() > deadline:
                self.stop(timeout=1.0)
                sock.close()
                raise IngestError(f"the ingestion API did not start within {timeout:g} s")
            time.sleep(0.01)
        log.info("ingestion API listening on %s", self.url)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving; returns within ``timeout`` (in-flight requests get half of it)."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        deadline = time.monotonic() + timeout
        server.should_exit = True
        thread.join(timeout / 2)
        if thread.is_alive():
            server.force_exit = True  # stop waiting for slow clients
            thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            log.warning("the ingestion API thread did not stop within %g s", timeout)
            return
        self._server = self._thread = None

    def __enter__(self) -> IngestServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if sys.platform == "win32":
                # Windows' SO_REUSEADDR would let two servers share the port; forbid it
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
            else:
                # restart right after a crash without waiting out TIME_WAIT; a port that is
                # actively listened on still fails with EADDRINUSE
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._port))
        except OSError as e:
            sock.close()
            reason = e.strerror or str(e)
            raise IngestError(
                f"cannot listen on {self._host}:{self._port}: {reason}. Is another Assist (or "
                "another program) using that port? Change the ingest.port setting or stop it."
            ) from e
        return sock

    def _serve(self, server: _ThreadedServer, sock: socket.socket) -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as e:  # SystemExit included: uvicorn exits on startup failure
            self._failure = e
            log.error("the ingestion API stopped: %r", e)
