"""A misbehaving OpenAI-compatible server on 127.0.0.1 (real sockets), for the client and engine
tests: the first path segment of the base URL picks the case (``http://127.0.0.1:port/stall``).
Every request is recorded, so a test can assert on exactly what left the client.
"""

from __future__ import annotations

import json
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

TEXT = "Héllo wörld — ünïcode ✓ done"
MODELS_FAIL_TOO = frozenset({"e500", "e429", "e401", "html", "badsse", "badjson"})


def _sse(text: str) -> bytes:
    """An OpenAI-style stream for ``text``, one event per character, with keep-alive comments."""
    out = [b": keep-alive\n\n", b'data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n']
    for ch in text:
        out.append(
            b"data: "
            + json.dumps({"choices": [{"delta": {"content": ch}}]}, ensure_ascii=False).encode()
        )
        out.append(b"\r\n\r\n")
    out.append(b"data: [DONE]\n\n")
    return b"".join(out)


class Handler(socketserver.BaseRequestHandler):
    """Reads one HTTP request, then replies according to the first path segment (the case)."""

    server: FaultServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        while b"\r\n\r\n" not in buf:
            data = sock.recv(65536)
            if not data:
                return
            buf += data
        head, _, body = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            body += sock.recv(65536)
        case = path.strip("/").split("/")[0]
        if method == "GET" and path.endswith("/models") and case not in MODELS_FAIL_TOO:
            case = "models"  # a server whose streams misbehave still lists its models
        self.server.requests.append((case, method, path, headers, body))
        try:
            getattr(self, "case_" + case)(sock, path)
        except OSError:
            self.server.closed_seen.set()

    def send_head(self, sock: socket.socket, status: str = "200 OK", **extra: str) -> None:
        hdrs = {"Content-Type": "text/event-stream", "Connection": "close", **extra}
        head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
        sock.sendall(head.encode() + b"\r\n")

    def reply(self, sock: socket.socket, status: str, body: bytes, **extra: str) -> None:
        extra.setdefault("Content-Type", "application/json")
        self.send_head(sock, status, **{"Content-Length": str(len(body)), **extra})
        sock.sendall(body)

    def case_models(self, sock: socket.socket, path: str) -> None:
        body = {"object": "list", "data": [{"id": "qwen-7b"}, {"id": "llama-8b"}]}
        self.reply(sock, "200 OK", json.dumps(body).encode())

    def case_normal(self, sock: socket.socket, path: str) -> None:
        """Chunked transfer, the SSE bytes cut at awkward places: mid-UTF-8, mid-'data:',
        between \\r and \\n — and every piece sent on its own."""
        self.send_head(sock, **{"Transfer-Encoding": "chunked"})
        raw = _sse(TEXT)
        cuts = {raw.index(b"\xc3") + 1, raw.index(b"data:") + 3, raw.index(b"\r\n") + 1}
        cuts |= set(range(7, len(raw), 13))
        points = [0, *sorted(cuts), len(raw)]
        for a, b in zip(points, points[1:], strict=False):
            piece = raw[a:b]
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            time.sleep(0.001)
        sock.sendall(b"0\r\n\r\n")

    def case_stall(self, sock: socket.socket, path: str) -> None:
        self.send_head(sock)
        time.sleep(5)

    def case_trickle(self, sock: socket.socket, path: str) -> None:
        self.send_head(sock)
        end = time.monotonic() + 10
        while time.monotonic() < end:  # one byte of an endless comment line every 100 ms
            sock.sendall(b":")
            time.sleep(0.1)

    def case_reset(self, sock: socket.socket, path: str) -> None:
        self.send_head(sock)
        sock.sendall(b'data: {"choices":[{"delta":{"content":"part"}}]}\n\n')
        time.sleep(0.1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # RST

    def case_e500(self, sock: socket.socket, path: str) -> None:
        self.reply(sock, "500 Internal Server Error", b'{"error":"CUDA out of memory"}')

    def case_e429(self, sock: socket.socket, path: str) -> None:
        self.reply(sock, "429 Too Many Requests", b"slow down", **{"Retry-After": "3"})

    def case_e401(self, sock: socket.socket, path: str) -> None:
        # a careless server that echoes the key back: the client must still not show it
        auth = self.server.requests[-1][3].get("authorization", "")
        self.reply(sock, "401 Unauthorized", f"invalid key {auth}".encode())

    def case_badsse(self, sock: socket.socket, path: str) -> None:
        self.send_head(sock)
        sock.sendall(b"<html><body>proxy error</body></html>\n\n")

    def case_html(self, sock: socket.socket, path: str) -> None:
        self.reply(sock, "200 OK", b"<html>login</html>", **{"Content-Type": "text/html"})

    def case_badjson(self, sock: socket.socket, path: str) -> None:
        self.send_head(sock)
        sock.sendall(b'data: {"choices": [ {"delta": \n\n')

    def case_nodone(self, sock: socket.socket, path: str) -> None:
        self.send_head(sock)
        sock.sendall(b'data: {"choices":[{"delta":{"content":"cut"}}]}\n\n')

    def case_midstreamerror(self, sock: socket.socket, path: str) -> None:
        self.send_head(sock)
        sock.sendall(b'data: {"error":{"message":"engine died"}}\n\n')

    def case_endless(self, sock: socket.socket, path: str) -> None:
        """Tokens forever until the client goes away (for cancellation)."""
        self.send_head(sock)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            sock.sendall(b'data: {"choices":[{"delta":{"content":"x"}}]}\n\n')
            time.sleep(0.02)

    def case_echo(self, sock: socket.socket, path: str) -> None:
        """A well-behaved stream of ``server.reply_text`` (a few characters per event)."""
        self.send_head(sock, **{"Transfer-Encoding": "chunked"})
        text = self.server.reply_text
        for i in range(0, len(text), 3):
            event = json.dumps({"choices": [{"delta": {"content": text[i : i + 3]}}]})
            piece = f"data: {event}\n\n".encode()
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        done = b"data: [DONE]\n\n"
        sock.sendall(f"{len(done):x}\r\n".encode() + done + b"\r\n0\r\n\r\n")

    def case_stallafter(self, sock: socket.socket, path: str) -> None:
        """Two words, then silence: the server stopped answering mid-reply."""
        self.send_head(sock)
        sock.sendall(b'data: {"choices":[{"delta":{"content":"We are"}}]}\n\n')
        self.server.stalled_at = time.monotonic()
        time.sleep(5)


class FaultServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.requests: list[tuple[str, str, str, dict[str, str], bytes]] = []
        self.closed_seen = threading.Event()
        self.reply_text = TEXT
        self.stalled_at = 0.0

    def bodies(self, case: str) -> list[dict[str, object]]:
        """The JSON bodies of the chat requests a case received."""
        return [json.loads(b) for c, m, _, _, b in self.requests if c == case and m == "POST"]


@contextmanager
def running(server: FaultServer | None = None) -> Iterator[FaultServer]:
    """``server`` (a new FaultServer by default) serving on its own thread until the end."""
    srv = server or FaultServer()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
