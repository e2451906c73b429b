"""Remote drafts through the engine, against real servers on 127.0.0.1: ``assist serve`` with
the built model, and the fault server (tests/fault_server.py) for everything that goes wrong.

What is checked: the server only ever sees placeholders for PII and the reply comes back with
the values; a failing or silent server hands over to the local model (and says so); in
"remote" mode a failure is a clear error; cancelling closes the stream; the same prompt and
seed give the same draft remotely as locally.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail

from assist import secrets
from assist.engine import Engine
from assist.events import (
    Event,
    GenerationChunk,
    GenerationDone,
    GenerationFailed,
    GenerationStarted,
)
from assist.remote.setup import API_KEY_SECRET, open_remote
from assist.runtime.generator import Generator
from assist.serve.api import create_app
from assist.serve.server import ServeServer
from assist.serve.worker import ModelWorker
from assist.settings import Settings
from assist.types import Message
from tests.fault_server import FaultServer, running

KEY = "sk-remote-TEST-98765"
PII_TEXT = (
    "My card 4111 1111 1111 1111 was charged twice! Write to jo.smith@example.com or call "
    "+44 20 7946 0958."
)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    eng = Engine.load()  # the local model in this process: the fallback
    yield eng
    if eng.generator is not None:
        eng.generator.close()


@pytest.fixture(scope="module")
def faults() -> Iterator[FaultServer]:
    with running() as srv:
        yield srv


def use_remote(
    engine: Engine, url: str, mode: str = "fallback", values: dict[str, object] | None = None
) -> None:
    base = {"remote.url": url, "remote.mode": mode, "remote.model": "test-model"}
    engine.configure_remote(Settings({**base, **(values or {})}), local=Generator.load)
    assert engine.remote is not None


@pytest.fixture
def remote_off(engine: Engine) -> Iterator[Engine]:
    yield engine
    if engine.remote is not None:
        engine.remote.close()
    engine.remote, engine.remote_mode = None, "local"


def draft(engine: Engine, text: str, cid: str, cancel: threading.Event | None = None) -> list:
    conv = engine.conversation(cid)
    engine.add_message(Message(cid, "customer", text))
    return list(engine.suggest(conv, cancel=cancel))


def of(events: list[Event], kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


def test_the_server_sees_placeholders_and_the_reply_gets_the_values_back(
    remote_off: Engine, faults: FaultServer
) -> None:
    secrets.set_secret(API_KEY_SECRET, KEY)
    faults.reply_text = "Sorry! We will write to [EMAIL_1] today about the double charge."
    use_remote(remote_off, f"http://127.0.0.1:{faults.server_address[1]}/echo")
    assert remote_off.remote_error is None  # the start-up probe got the model list
    events = draft(remote_off, PII_TEXT, "pii")

    [done] = of(events, GenerationDone)
    assert done.suggestion.source == "remote" and done.fallback is None
    streamed = "".join(e.text for e in of(events, GenerationChunk))
    assert "write to jo.smith@example.com today" in streamed  # restored as it streamed
    assert "[EMAIL_1]" not in done.suggestion.text
    assert done.redacted == 3  # the card, the e-mail, the phone (not the shop's own contacts)
    sent = json.dumps(faults.bodies("echo")[-1])
    for value in ("4111", "jo.smith@example.com", "7946"):
        assert value not in sent
    for placeholder in ("[CARD_1]", "[EMAIL_1]", "[PHONE_1]"):
        assert placeholder in sent
    headers = [h for c, _, _, h, _ in faults.requests if c == "echo"][-1]
    assert headers["authorization"] == f"Bearer {KEY}"


def test_redaction_can_be_turned_off_per_category(remote_off: Engine, faults: FaultServer) -> None:
    faults.reply_text = "Noted."
    url = f"http://127.0.0.1:{faults.server_address[1]}/echo"
    use_remote(remote_off, url, values={"remote.redact_emails": False})
    draft(remote_off, PII_TEXT, "pii-off")
    sent = json.dumps(faults.bodies("echo")[-1])
    assert "jo.smith@example.com" in sent and "4111" not in sent


def test_a_server_that_goes_silent_mid_reply_hands_over_to_the_local_model(
    remote_off: Engine, faults: FaultServer
) -> None:
    use_remote(remote_off, f"http://127.0.0.1:{faults.server_address[1]}/stallafter")
    events = draft(remote_off, "Where is my parcel? It is late.", "stall")

    starts = of(events, GenerationStarted)
    assert [s.source for s in starts] == ["remote", "generated"]
    assert "silent" in (starts[1].fallback or "")
    assert faults.bodies("stallafter")  # the server was asked first
    [done] = of(events, GenerationDone)
    assert done.suggestion.source == "generated" and done.suggestion.text
    assert "the local model answered" in (done.fallback or "")


def test_a_dead_server_falls_back_at_once_and_the_breaker_then_skips_it(
    remote_off: Engine,
) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    use_remote(remote_off, f"http://127.0.0.1:{port}/v1")
    assert "does not answer yet: cannot connect" in (remote_off.remote_error or "")
    for n in range(4):
        events = draft(remote_off, f"Can I change my address? ({n})", "dead")
        [done] = of(events, GenerationDone)
        assert done.suggestion.source == "generated"
        assert "cannot connect" in (done.fallback or "") or "failed repeatedly" in (
            done.fallback or ""
        )
    assert "failed repeatedly" in (done.fallback or "")  # the circuit opened after 3


@pytest.mark.parametrize(
    ("case", "needle"),
    [("e500", "server error (HTTP 500)"), ("e401", "refused the API key")],
)
def test_remote_only_mode_reports_the_failure_clearly(
    remote_off: Engine, faults: FaultServer, case: str, needle: str
) -> None:
    secrets.set_secret(API_KEY_SECRET, KEY)
    use_remote(remote_off, f"http://127.0.0.1:{faults.server_address[1]}/{case}", mode="remote")
    events = draft(remote_off, "I want a refund", f"only-{case}")
    assert [s.source for s in of(events, GenerationStarted)] == ["remote"]
    [failed] = of(events, GenerationFailed)
    assert needle in failed.error and KEY not in failed.error
    assert not of(events, GenerationDone)


def test_cancelling_a_remote_draft_closes_the_stream(
    remote_off: Engine, faults: FaultServer
) -> None:
    use_remote(remote_off, f"http://127.0.0.1:{faults.server_address[1]}/endless")
    faults.closed_seen.clear()
    cancel = threading.Event()
    conv = remote_off.conversation("cancel")
    remote_off.add_message(Message("cancel", "customer", "Hello, is anyone there?"))
    events = []
    started = time.monotonic()
    for event in remote_off.suggest(conv, cancel=cancel):
        events.append(event)
        if isinstance(event, GenerationChunk):
            cancel.set()
    assert time.monotonic() - started < 10  # no hang: the endless stream is cut
    [failed] = of(events, GenerationFailed)
    assert failed.cancelled
    assert [s.source for s in of(events, GenerationStarted)] == ["remote"]  # no fallback
    assert faults.closed_seen.wait(5)  # the server's writes failed: the socket was closed


def test_without_a_keyring_remote_is_off_with_a_reason_unless_the_env_has_a_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keyring.set_keyring(fail.Keyring())
    settings = Settings({"remote.url": "http://127.0.0.1:9/v1"})
    setup = open_remote(settings)
    assert setup.model is None and setup.mode == "local"
    assert "keyring" in (setup.problem or "") and "ASSIST_API_KEY" in (setup.problem or "")
    monkeypatch.setenv("ASSIST_API_KEY", KEY)
    setup = open_remote(settings)
    assert setup.model is not None and setup.problem is None
    assert setup.model.client.config.api_key == KEY
    setup.model.close()


def test_the_same_seed_gives_the_same_draft_from_assist_serve_as_locally(
    remote_off: Engine,
) -> None:
    served = Generator.load()
    # as `assist serve` does: its defaults from the settings (the copy bias is not a request
    # field, so the server's own applies)
    app = create_app(ModelWorker(served), "smollm2", None, remote_off.sampling())
    server = ServeServer(app, "127.0.0.1", 0, has_keys=False)
    server.start()
    try:
        text = "Hi, my parcel has not arrived yet and it has been a week. Can you check?"
        local = of(draft(remote_off, text, "same-local"), GenerationDone)[0].suggestion
        # no model named: the client asks the server for its first
        use_remote(remote_off, f"{server.url}/v1", mode="remote", values={"remote.model": ""})
        remote = of(draft(remote_off, text, "same-remote"), GenerationDone)[0].suggestion
    finally:
        server.stop()
        served.close()
    assert local.source == "generated" and remote.source == "remote"
    assert remote.text == local.text and local.text


def test_a_server_is_asked_to_reply_in_the_customers_language(
    remote_off: Engine, faults: FaultServer
) -> None:
    faults.reply_text = "Guten Tag! Ihre Bestellung ist unterwegs."
    use_remote(remote_off, f"http://127.0.0.1:{faults.server_address[1]}/echo")
    text = "Hallo, wo bleibt meine Bestellung? Ich warte schon seit einer Woche darauf."
    events = draft(remote_off, text, "german")
    [done] = of(events, GenerationDone)
    assert done.suggestion.source == "remote"
    system = faults.bodies("echo")[-1]["messages"][0]["content"]
    assert "reply in German" in str(system)
    conv = remote_off.conversation("german")
    last = conv.last_customer
    assert last is not None and last.analysis is not None
    assert last.analysis.intent.label == "other"
    assert last.analysis.intent.reason == "language:de"
