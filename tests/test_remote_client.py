"""RemoteClient against a real fault-injecting HTTP server on 127.0.0.1 (no transport mocks).

Every case must end with the right ``RemoteError.kind`` within a bounded time: the server
misbehaves on purpose (stalls, trickles, resets, lies about formats) and the client must stop.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from assist.remote.breaker import CircuitBreaker
from assist.remote.client import RemoteClient, RemoteConfig
from assist.remote.errors import RemoteError
from assist.remote.sse import SSEDecoder
from tests.fault_server import TEXT, FaultServer, running

KEY = "sk-test-SECRET-1234"


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with running() as srv:
        yield srv


def client(
    srv: FaultServer, case: str, breaker: CircuitBreaker | None = None, **kw: float
) -> RemoteClient:
    port = srv.server_address[1]
    cfg = RemoteConfig(
        base_url=f"http://127.0.0.1:{port}/{case}/v1",
        model="m",
        api_key=KEY,
        **{"deadline": 1.0, "read_timeout": 5.0, "connect_retries": 1, **kw},  # type: ignore[arg-type]
    )
    return RemoteClient(cfg, breaker)


def fail(cl: RemoteClient, limit: float = 2.0, **kw: object) -> tuple[RemoteError, str]:
    """Run one completion that must fail; return the error and the text streamed before it."""
    got: list[str] = []
    start = time.monotonic()
    with pytest.raises(RemoteError) as info:
        for piece in cl.stream([{"role": "user", "content": "hi"}], **kw):  # type: ignore[arg-type]
            got.append(piece)
    assert time.monotonic() - start < limit
    assert KEY not in str(info.value) and KEY not in info.value.message
    return info.value, "".join(got)


MSGS = [{"role": "user", "content": "hi"}]


def test_normal_stream_reassembles_text_split_at_awkward_bytes(server: FaultServer) -> None:
    with client(server, "normal") as cl:
        assert "".join(cl.stream(MSGS, max_tokens=7, seed=3)) == TEXT
    case, method, path, headers, body = server.requests[-1]
    assert (method, path) == ("POST", "/normal/v1/chat/completions")
    assert headers["authorization"] == f"Bearer {KEY}"
    sent = json.loads(body)
    assert sent["stream"] is True and sent["max_tokens"] == 7 and sent["seed"] == 3


def test_models_lists_ids_and_latency(server: FaultServer) -> None:
    with client(server, "models") as cl:
        ids, ms = cl.models()
    assert ids == ["qwen-7b", "llama-8b"] and 0 <= ms < 2000
    assert server.requests[-1][3]["authorization"] == f"Bearer {KEY}"


def test_stall_after_headers_hits_deadline(server: FaultServer) -> None:
    err, _ = fail(client(server, "stall", deadline=0.6), limit=1.2)
    assert err.kind == "deadline"


def test_stall_with_short_read_timeout_is_timeout(server: FaultServer) -> None:
    err, _ = fail(client(server, "stall", deadline=3.0, read_timeout=0.3), limit=1.5)
    assert err.kind == "timeout"


def test_trickle_cannot_outlive_deadline(server: FaultServer) -> None:
    err, _ = fail(client(server, "trickle", deadline=0.8, read_timeout=0.5), limit=1.4)
    assert err.kind == "deadline"


def test_reset_mid_stream_is_network_error(server: FaultServer) -> None:
    err, text = fail(client(server, "reset"))
    assert err.kind == "network" and text == "part"


@pytest.mark.parametrize(
    ("case", "kind", "needle"),
    [
        ("e500", "server", "CUDA out of memory"),
        ("e429", "rate_limited", "retry after 3"),
        ("e401", "auth", "HTTP 401"),
        ("badsse", "protocol", "unexpected line"),
        ("html", "protocol", "text/html"),
        ("badjson", "protocol", "not JSON"),
        ("nodone", "protocol", "[DONE]"),
        ("midstreamerror", "server", "engine died"),
    ],
)
def test_error_kinds(server: FaultServer, case: str, kind: str, needle: str) -> None:
    err, _ = fail(client(server, case))
    assert err.kind == kind and needle in err.message


def test_api_key_echoed_by_server_is_scrubbed(server: FaultServer) -> None:
    err, _ = fail(client(server, "e401"))
    assert "***" in err.message  # the echo was there, and got replaced


def test_connect_refused_is_connect_after_bounded_retries() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nobody listens
    cfg = RemoteConfig(f"http://127.0.0.1:{port}/v1", "m", KEY, deadline=2.0, retry_backoff=0.05)
    err, _ = fail(RemoteClient(cfg), limit=1.5)
    assert err.kind == "connect"


def test_cancel_closes_the_connection(server: FaultServer) -> None:
    server.closed_seen.clear()
    cancel = threading.Event()
    cl = client(server, "endless", deadline=5.0)
    got = []
    with pytest.raises(RemoteError) as info:
        for piece in cl.stream(MSGS, cancel=cancel):
            got.append(piece)
            if len(got) == 3:
                cancel.set()
    assert info.value.kind == "cancelled" and got == ["x"] * 3
    assert server.closed_seen.wait(2.0)


def test_cancel_while_blocked_in_a_read(server: FaultServer) -> None:
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    err, _ = fail(client(server, "stall", deadline=5.0), limit=1.0, cancel=cancel)
    assert err.kind == "cancelled"


def test_key_not_in_repr() -> None:
    cfg = RemoteConfig("http://127.0.0.1:1/v1", "m", KEY)
    assert KEY not in repr(cfg) and KEY not in repr(RemoteClient(cfg))


def test_breaker_opens_then_half_opens_single_probe() -> None:
    now = [0.0]
    br = CircuitBreaker(threshold=2, cooldown=10.0, clock=lambda: now[0])
    assert br.allow() and br.state == "closed"
    br.record_failure()
    assert br.state == "closed"
    br.record_failure()
    assert br.state == "open" and not br.allow()
    now[0] = 10.0
    assert br.state == "half_open"
    assert br.allow() and not br.allow()  # one probe only
    br.record_failure()  # probe failed: open again, fresh cool-down
    assert br.state == "open" and not br.allow()
    now[0] = 20.0
    assert br.allow()
    br.record_success()
    assert br.state == "closed" and br.allow()


def test_breaker_short_circuits_calls_to_a_failing_server(server: FaultServer) -> None:
    now = [0.0]
    br = CircuitBreaker(threshold=2, cooldown=30.0, clock=lambda: now[0])
    cl = client(server, "e500", breaker=br)
    for _ in range(2):
        assert fail(cl)[0].kind == "server"
    hits = len(server.requests)
    assert fail(cl)[0].kind == "circuit_open"
    assert len(server.requests) == hits  # nothing went out
    now[0] = 31.0
    assert fail(cl)[0].kind == "server"  # the half-open probe reached the server
    assert br.state == "open"


def test_decoder_byte_by_byte_and_crlf_split() -> None:
    dec = SSEDecoder()
    raw = 'data: {"a": "é"}\r\n\r\n: ping\r\ndata: x\rdata: y\n\n'.encode()
    events = [e for i in range(len(raw)) for e in dec.feed(raw[i : i + 1])]
    assert events == ['{"a": "é"}', "x\ny"]


def test_connect_error_is_retried_until_the_server_comes_up() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    late: list[FaultServer] = []

    def start() -> None:
        late.append(FaultServer(port))
        threading.Thread(target=late[0].serve_forever, daemon=True).start()

    threading.Timer(0.1, start).start()
    cfg = RemoteConfig(
        f"http://127.0.0.1:{port}/normal/v1", "m", KEY, connect_retries=3, retry_backoff=0.15
    )
    try:
        with RemoteClient(cfg) as cl:
            assert "".join(cl.stream(MSGS)) == TEXT
    finally:
        time.sleep(0.2)  # the Timer has fired by now either way
        for srv in late:
            srv.shutdown()
            srv.server_close()


def test_http_errors_are_not_retried(server: FaultServer) -> None:
    before = sum(1 for r in server.requests if r[0] == "e500")
    fail(client(server, "e500", connect_retries=3))
    assert sum(1 for r in server.requests if r[0] == "e500") == before + 1
