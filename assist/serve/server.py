"""Binding and running ``assist serve``: uvicorn on a socket we bind ourselves.

Why bind first (as :mod:`assist.ingest.server` does): a taken port or a refused address fails
synchronously with a clear message instead of inside uvicorn, and ``port=0`` (tests) gives the
real port before the first request. Why the loopback rule: with no API key configured, anyone
who can reach the port can use the model (and read what it is asked), so without a key the
server only listens on this machine; a key makes other addresses allowed.

:meth:`ServeServer.serve_forever` runs in the main thread and lets uvicorn handle Ctrl+C and
SIGTERM (finish the open responses, then exit); :meth:`start` runs it on a daemon thread
(tests, embedding).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette


class ServeError(RuntimeError):
    """The server can't start as asked; ``str()`` says why and what to do."""


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip()).is_loopback
    except ValueError:
        return False


def bind_address(host: str, has_keys: bool) -> str:
    """The address to bind; without API keys only loopback is allowed."""
    host = host.strip()
    if host.lower() == "localhost":
        return "127.0.0.1"  # not resolved: a hosts file could map "localhost" anywhere
    if not has_keys and not is_loopback(host):
        raise ServeError(
            f"refusing to listen on {host!r} without an API key: anyone on the network could "
            "use the model. Add one with `assist serve --add-key`, or listen on 127.0.0.1"
        )
    return host


class _ThreadedServer(uvicorn.Server):
    """uvicorn minus signal handling, for a server on a non-main thread."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ServeServer:
    """The app served on ``host:port``; ``port=0`` picks a free port (see :attr:`port`)."""

    def __init__(self, app: Starlette, host: str, port: int, has_keys: bool) -> None:
        if not 0 <= port <= 65535:
            raise ServeError(f"port {port} is out of range (0-65535)")
        self.host = bind_address(host, has_keys)
        self.port = port
        self._app = app
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _config(self) -> uvicorn.Config:
        return uvicorn.Config(
            self._app,
            host=self.host,
            port=self.port,
            log_level="warning",
            log_config=None,
            lifespan="off",
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=5,
        )

    def _bind(self) -> socket.socket:
        try:
            infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        except socket.gaierror as e:
            raise ServeError(f"cannot resolve {self.host!r}: {e.strerror or e}") from e
        family, _, _, _, address = infos[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
        except OSError as e:
            sock.close()
            raise ServeError(
                f"cannot listen on {self.host}:{self.port}: {e.strerror or e}. "
                "Is another server using that port? Pick another with --port."
            ) from e
        self.port = sock.getsockname()[1]
        return sock

    def serve_forever(self) -> None:
        """Serve in this (main) thread until Ctrl+C or SIGTERM."""
        sock = self._bind()
        uvicorn.Server(self._config()).run(sockets=[sock])

    def start(self, timeout: float = 5.0) -> None:
        """Serve from a daemon thread; returns once connections are accepted."""
        sock = self._bind()
        server = _ThreadedServer(self._config())
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="assist-serve", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop(1.0)
                sock.close()
                raise ServeError("the server did not start")
            time.sleep(0.01)

    def stop(self, timeout: float = 5.0) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout / 2)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout / 2)
        self._server = self._thread = None
