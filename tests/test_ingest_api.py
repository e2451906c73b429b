"""The ingestion API end to end: a real uvicorn on 127.0.0.1 (ephemeral port), real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from assist.ingest.api import create_app
from assist.ingest.hub import IngestHub
from assist.ingest.server import IngestError, IngestServer, loopback_address
from assist.types import Message

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TIMEOUT = httpx.Timeout(5.0)
MAX_BODY = 256 * 1024


class Received:
    """What the consumer side saw: the (message, customer) pairs, in order."""

    def __init__(self) -> None:
        self.items: list[tuple[Message, str | None]] = []
        self.lock = threading.Lock()

    def __call__(self, message: Message, customer: str | None) -> None:
        with self.lock:
            self.items.append((message, customer))


@pytest.fixture
def hub() -> IngestHub:
    return IngestHub()


@pytest.fixture
def received(hub: IngestHub) -> Received:
    sink = Received()
    hub.on_message = sink
    return sink


@pytest.fixture
def server(hub: IngestHub, received: Received) -> Iterator[IngestServer]:
    srv = IngestServer(hub, TOKEN, port=0, max_body=MAX_BODY)
    srv.start(timeout=5.0)
    yield srv
    srv.stop(timeout=5.0)


@pytest.fixture
def client(server: IngestServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as c:
        yield c


def post(
    client: httpx.Client, body: Any, conversation: str = "chat-1", **kw: Any
) -> httpx.Response:
    headers = {**AUTH, **kw.pop("headers", {})}
    return client.post(f"/v1/conversations/{conversation}/messages", json=body, headers=headers)


def test_a_posted_message_reaches_the_consumer(
    client: httpx.Client, received: Received, hub: IngestHub
) -> None:
    body = {
        "role": "customer",
        "text": "where is my order 12345?",
        "ts": "2025-01-31T14:05:00Z",
        "conversation_id": "chat-1",
        "customer": "  Ada Lovelace ",
        "extra": "ignored",
    }
    r = post(client, body)
    assert r.status_code == 202, r.text
    assert r.json() == {"accepted": True, "conversation_id": "chat-1"}
    ts = datetime(2025, 1, 31, 14, 5, tzinfo=UTC)
    assert received.items == [
        (Message("chat-1", "customer", "where is my order 12345?", ts), "Ada Lovelace")
    ]
    assert hub.known("chat-1")


def test_the_path_gives_the_conversation_id_when_the_body_has_none(
    client: httpx.Client, received: Received
) -> None:
    assert post(client, {"role": "agent", "text": "Let me check."}, "zd:42").status_code == 202
    (message, customer) = received.items[0]
    assert (message.conversation_id, message.role, message.ts, customer) == (
        "zd:42",
        "agent",
        None,
        None,
    )


def test_suggestions_pending_then_what_was_published(client: httpx.Client, hub: IngestHub) -> None:
    assert post(client, {"role": "customer", "text": "refund please"}).status_code == 202
    r = client.get("/v1/conversations/chat-1/suggestions", headers=AUTH)
    assert r.status_code == 200
    assert r.json() == {"conversation_id": "chat-1", "status": "pending"}

    snapshot = {
        "suggestions": [{"text": "I can help with that refund.", "source": "macro"}],
        "analysis": {"intent": {"label": "refund", "confidence": 0.91}},
    }
    hub.publish("chat-1", snapshot)
    snapshot["suggestions"].clear()  # the hub kept its own copy
    r = client.get("/v1/conversations/chat-1/suggestions", headers=AUTH)
    assert r.status_code == 200
    assert r.json() == {
        "conversation_id": "chat-1",
        "status": "ready",
        "suggestions": [{"text": "I can help with that refund.", "source": "macro"}],
        "analysis": {"intent": {"label": "refund", "confidence": 0.91}},
    }


def test_unknown_conversation_is_404(client: httpx.Client) -> None:
    r = client.get("/v1/conversations/never-seen/suggestions", headers=AUTH)
    assert r.status_code == 404
    assert "unknown conversation 'never-seen'" in r.json()["error"]


@pytest.mark.parametrize(
    "headers, fragment",
    [
        ({}, "missing bearer token"),
        ({"Authorization": "Bearer wrong-token"}, "invalid bearer token"),
        ({"Authorization": f"Basic {TOKEN}"}, "must be 'Bearer <token>'"),
        ({"Authorization": "Bearer tökén".encode("latin-1")}, "invalid bearer token"),
    ],
)
def test_missing_or_bad_token_is_401(
    client: httpx.Client, received: Received, headers: dict[str, Any], fragment: str
) -> None:
    for r in (
        client.post(
            "/v1/conversations/chat-1/messages",
            json={"role": "customer", "text": "hi"},
            headers=headers,
        ),
        client.get("/v1/conversations/chat-1/suggestions", headers=headers),
    ):
        assert r.status_code == 401
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert fragment in r.json()["error"]
    assert received.items == []


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b'{"role": "customer", "text": ', "malformed JSON"),
        (b"not json at all", "malformed JSON"),
        (b'{"role": "customer", "text": "caf\xe9"}', "not valid UTF-8"),
        (b"", "empty body"),
        (b"[" * 100_000, "malformed JSON"),
    ],
)
def test_bad_json_is_400(
    client: httpx.Client, received: Received, content: bytes, fragment: str
) -> None:
    r = client.post(
        "/v1/conversations/chat-1/messages",
        content=content,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert fragment in r.json()["error"]
    assert received.items == []


def _big_body() -> bytes:
    return b'{"role": "customer", "text": "' + b"x" * (2 * 1024 * 1024) + b'"}'


def test_oversized_body_with_content_length_is_413(
    client: httpx.Client, received: Received
) -> None:
    r = client.post(
        "/v1/conversations/chat-1/messages",
        content=_big_body(),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert f"over the {MAX_BODY}-byte limit" in r.json()["error"]
    assert received.items == []


def test_oversized_chunked_body_is_413(client: httpx.Client, received: Received) -> None:
    body = _big_body()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 64 * 1024):
            yield body[i : i + 64 * 1024]

    r = client.post(
        "/v1/conversations/chat-1/messages",
        content=chunks(),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert "content-length" not in r.request.headers
    assert r.request.headers["transfer-encoding"] == "chunked"
    assert r.status_code == 413
    assert f"over the {MAX_BODY}-byte limit" in r.json()["error"]
    assert received.items == []


def test_a_chunked_body_under_the_limit_is_accepted(
    client: httpx.Client, received: Received
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"role": "customer", '
        yield b'"text": "split across chunks"}'

    r = client.post(
        "/v1/conversations/chat-1/messages",
        content=chunks(),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert r.status_code == 202
    assert received.items[0][0].text == "split across chunks"


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"role": "bot", "text": "hi"}, "unknown role 'bot'"),
        ({"text": "hi"}, "unknown role None"),
        ({"role": "customer", "text": "   "}, "'text' is empty"),
        ({"role": "customer"}, "'text' is missing"),
        ({"role": "customer", "text": "hi", "ts": "yesterday"}, "not ISO-8601"),
        ({"role": "customer", "text": "hi", "conversation_id": "chat-2"}, "does not match"),
        ({"role": "customer", "text": "hi", "customer": 7}, "'customer' must be a string"),
        (["role", "customer"], "expected a JSON object"),
    ],
)
def test_invalid_message_is_422(
    client: httpx.Client, received: Received, body: Any, fragment: str
) -> None:
    r = post(client, body)
    assert r.status_code == 422
    assert fragment in r.json()["error"]
    assert received.items == []


@pytest.mark.parametrize("conversation", ["x" * 129, "a%20b", "caf%C3%A9", "a%3Bb"])
def test_invalid_conversation_id_in_the_path_is_422(
    client: httpx.Client, conversation: str
) -> None:
    r = post(client, {"role": "customer", "text": "hi"}, conversation)
    assert r.status_code == 422
    assert "invalid conversation id" in r.json()["error"]
    r = client.get(f"/v1/conversations/{conversation}/suggestions", headers=AUTH)
    assert r.status_code == 422


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_non_json_content_type_is_415(
    client: httpx.Client, received: Received, content_type: str | None
) -> None:
    headers = dict(AUTH)
    if content_type:
        headers["Content-Type"] = content_type
    r = client.post(
        "/v1/conversations/chat-1/messages",
        content=b'{"role": "customer", "text": "hi"}',
        headers=headers,
    )
    assert r.status_code == 415
    assert "application/json" in r.json()["error"] or "UTF-8" in r.json()["error"]
    assert received.items == []


def test_json_content_type_with_utf8_charset_is_fine(client: httpx.Client) -> None:
    r = client.post(
        "/v1/conversations/chat-1/messages",
        content='{"role": "customer", "text": "café"}'.encode(),
        headers={**AUTH, "Content-Type": "Application/JSON; charset=UTF-8"},
    )
    assert r.status_code == 202


def test_unknown_route_and_wrong_method_are_json(client: httpx.Client) -> None:
    r = client.get("/v1/nope", headers=AUTH)
    assert r.status_code == 404
    assert "no such endpoint" in r.json()["error"]
    r = client.get("/v1/conversations/chat-1/messages", headers=AUTH)
    assert r.status_code == 405
    assert "POST" in r.headers["Allow"] and "allowed: POST" in r.json()["error"]


def test_health_and_schema_need_no_token(client: httpx.Client) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    r = client.get("/v1/openapi.json")
    assert r.status_code == 200 and r.json()["openapi"].startswith("3.1")


def test_every_route_is_in_the_openapi_schema(client: httpx.Client) -> None:
    schema = client.get("/v1/openapi.json").json()
    app = create_app(IngestHub(), TOKEN)
    routes = [route for route in app.routes if isinstance(route, Route)]
    assert len(routes) == len(app.routes) == 4
    for route in routes:
        assert route.path in schema["paths"], route.path
        for method in (route.methods or set()) - {"HEAD"}:
            assert method.lower() in schema["paths"][route.path], (route.path, method)
    assert set(schema["paths"]) == {route.path for route in routes}
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert str(MAX_BODY) in str(schema["paths"]["/v1/conversations/{conversation_id}/messages"])

    def refs(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in refs(schema):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schema["components"]["schemas"], ref


def test_no_consumer_is_503(hub: IngestHub) -> None:
    with (
        IngestServer(hub, TOKEN, port=0) as srv,
        httpx.Client(base_url=srv.url, timeout=TIMEOUT) as c,
    ):
        r = post(c, {"role": "customer", "text": "hi"})
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "1"
    assert not hub.known("chat-1")


def test_a_failing_consumer_is_a_json_500(hub: IngestHub) -> None:
    def broken(message: Message, customer: str | None) -> None:
        raise RuntimeError("boom")

    hub.on_message = broken
    with (
        IngestServer(hub, TOKEN, port=0) as srv,
        httpx.Client(base_url=srv.url, timeout=TIMEOUT) as c,
    ):
        r = post(c, {"role": "customer", "text": "hi"})
    assert r.status_code == 500
    assert "RuntimeError" in r.json()["error"]
    assert not hub.known("chat-1")


def test_port_already_in_use_is_an_ingest_error(server: IngestServer, hub: IngestHub) -> None:
    second = IngestServer(hub, TOKEN, port=server.port)
    with pytest.raises(IngestError, match=f"cannot listen on 127.0.0.1:{server.port}"):
        second.start(timeout=2.0)
    assert not second.running


def test_port_held_by_another_program_is_an_ingest_error(hub: IngestHub) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(IngestError, match="ingest.port"):
            IngestServer(hub, TOKEN, port=port).start(timeout=2.0)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", ""])
def test_non_loopback_hosts_are_refused(hub: IngestHub, host: str) -> None:
    with pytest.raises(IngestError, match="only listens on loopback"):
        IngestServer(hub, TOKEN, host=host)


def test_loopback_hosts_are_allowed() -> None:
    assert loopback_address("localhost") == "127.0.0.1"
    assert loopback_address("127.0.0.1") == "127.0.0.1"
    assert loopback_address("127.1.2.3") == "127.1.2.3"
    assert loopback_address("::1") == "::1"


def test_stop_returns_within_the_timeout_and_closes_the_port(
    hub: IngestHub, received: Received
) -> None:
    srv = IngestServer(hub, TOKEN, port=0)
    srv.start(timeout=5.0)
    client = httpx.Client(base_url=srv.url, timeout=TIMEOUT)
    assert client.get("/health").status_code == 200  # leaves a keep-alive connection open
    started = time.monotonic()
    srv.stop(timeout=3.0)
    assert time.monotonic() - started < 3.0
    assert not srv.running
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{srv.url}/health", timeout=TIMEOUT)
    client.close()
    srv.stop()  # stopping twice is harmless


def test_server_can_be_restarted(hub: IngestHub, received: Received) -> None:
    srv = IngestServer(hub, TOKEN, port=0)
    for _ in range(2):
        srv.start(timeout=5.0)
        assert httpx.get(f"{srv.url}/health", timeout=TIMEOUT).status_code == 200
        srv.stop(timeout=5.0)


def test_hub_refuses_snapshots_that_are_not_json() -> None:
    hub = IngestHub()
    with pytest.raises(TypeError):
        hub.publish("chat-1", {"when": datetime.now(UTC)})
    with pytest.raises(ValueError):
        hub.publish("chat-1", {"score": float("nan")})
    with pytest.raises(ValueError, match="invalid conversation id"):
        hub.publish("a/b", {})
    assert not hub.known("chat-1") and hub.latest("chat-1") is None


def test_hub_forgets_the_oldest_conversations_beyond_its_bound() -> None:
    hub = IngestHub(max_conversations=3)
    hub.on_message = lambda message, customer: None
    for i in range(5):
        hub.deliver(Message(f"c{i}", "customer", "hi"))
    hub.publish("c2", {"n": 1})  # touching c2 makes it the most recent
    hub.deliver(Message("c5", "customer", "hi"))
    assert [c for c in ("c0", "c1", "c2", "c3", "c4", "c5") if hub.known(c)] == ["c2", "c4", "c5"]
    assert hub.latest("c2") == {"n": 1}


def test_hub_is_safe_across_threads() -> None:
    hub = IngestHub()
    hub.on_message = lambda message, customer: None

    def work(worker: int) -> None:
        for i in range(200):
            hub.deliver(Message(f"w{worker}", "customer", str(i)))
            hub.publish(f"w{worker}", {"i": i})
            assert hub.latest(f"w{worker}") == {"i": i}

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads)
    assert all(hub.latest(f"w{n}") == {"i": 199} for n in range(8))
