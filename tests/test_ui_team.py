"""The agent's window and the team store: chats, analysis and flags reach it; the agent flags a
chat; an unreachable team database keeps the writes on this computer; supervisor mode opens
behind its passphrase. Real models, a real SQLite team store in the temp profile."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from assist import secrets
from assist.settings import Settings
from assist.store import PASSWORD_SECRET
from assist.store.sync import Outbox
from assist.store.team import TeamStore
from assist.team_log import team_conversation_id
from assist.types import Message
from tests.test_ui_app import _customer, _ready
from ui.controller import Controller
from ui.main_window import MainWindow
from ui.supervisor import PassphraseGate

pytestmark = pytest.mark.slow


def _window(qtbot: Any, settings: Settings) -> MainWindow:
    controller = Controller(settings, generate=False)
    win = MainWindow(controller)
    qtbot.addWidget(win)
    _ready(win, qtbot)
    return win


@pytest.fixture
def window(qtbot: Any) -> Iterator[MainWindow]:
    win = _window(qtbot, Settings({"agent.name": "ann"}))
    yield win
    win.controller.shutdown()


def _review(cid: str, agent: str = "ann") -> Any:
    store = TeamStore.open()
    try:
        return store.review(team_conversation_id(agent, cid))
    except KeyError:  # not written yet (the app writes when the window is quiet)
        return None
    finally:
        store.close()


def test_chats_reach_the_team_store_with_their_analysis_and_flags(
    window: MainWindow, qtbot: Any
) -> None:
    _customer(window, qtbot, "t1", "Where is my order 77123? It is late.", "Tina")
    window.controller.receive(
        Message("t1", "agent", "Your card 4111 1111 1111 1111 was charged.", datetime.now(UTC))
    )

    def stored() -> bool:
        review = _review("t1")
        return review is not None and len(review.messages) == 2 and bool(review.flags)

    qtbot.waitUntil(stored, timeout=15000)
    review = _review("t1")
    assert review.conversation["agent"] == "ann"
    assert review.conversation["external_id"] == "t1"
    assert review.conversation["customer_name"] == "Tina"
    first = review.messages[0]
    assert first["intent"] == "track_order" and first["sentiment"] in {"negative", "neutral"}
    assert [f["reason"] for f in review.flags] == ["pii_in_reply"]
    assert "1111 1111" not in (review.flags[0]["detail"] or ""), "the detail never repeats it"
    # the cards shown for the customer's message are stored under the same chat
    qtbot.waitUntil(lambda: any(m["feedback"] for m in _review("t1").messages), timeout=15000)
    assert {e["action"] for m in _review("t1").messages for e in m["feedback"]} == {"shown"}


def test_the_agent_flags_a_chat_with_a_note(window: MainWindow, qtbot: Any) -> None:
    _customer(window, qtbot, "t2", "I need to change my delivery address.", "Tom")
    notices: list[str] = []
    window.controller.flag_saved.connect(notices.append)
    window.team.flag(window.conversations.current, "Customer sounds confused about the address")
    qtbot.waitUntil(lambda: notices == ["t2"], timeout=15000)
    qtbot.waitUntil(lambda: _review("t2") is not None, timeout=15000)
    flags = _review("t2").flags
    assert [(f["reason"], f["source"], f["note"]) for f in flags] == [
        ("manual", "manual", "Customer sounds confused about the address")
    ]
    assert "flagged for a supervisor" in window.message_label.text()


def test_an_unreachable_team_database_keeps_the_writes_here(qtbot: Any) -> None:
    # a closed loopback port: connecting fails at once, and nothing leaves the machine
    settings = Settings({"agent.name": "ann", "store.url": "postgresql://ci@127.0.0.1:9/none"})
    win = _window(qtbot, settings)
    try:
        states: list[tuple[int, str]] = []
        win.controller.team_state.connect(lambda n, why: states.append((n, why)))
        _customer(win, qtbot, "t3", "Do you ship to Canada?", "Una")
        win.controller.writer.flush()
        win.controller.check_team_store()
        qtbot.waitUntil(lambda: bool(states) and states[-1][0] > 0, timeout=20000)
        assert "team store unreachable" in win.message_label.text()
    finally:
        win.controller.shutdown()
    outbox = Outbox()
    try:
        assert outbox.pending() >= 2, "the conversation and its message wait in the outbox"
    finally:
        outbox.close()


def test_supervisor_mode_asks_for_the_passphrase(window: MainWindow, qtbot: Any) -> None:
    window.supervisor_mode()
    qtbot.waitUntil(
        lambda: any(isinstance(w, PassphraseGate) and w.isVisible() for w in window.children()),
        timeout=10000,
    )
    gate = next(w for w in window.children() if isinstance(w, PassphraseGate))
    gate.close()


def test_a_team_store_chosen_in_the_settings_is_used_at_once(
    window: MainWindow, qtbot: Any, tmp_path: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'team.db'}"
    desk = window.controller.desk
    assert desk is not None
    settings = Settings({"agent.name": "ann", "store.url": url})
    window.controller.use_settings(settings, desk.engine.profile, store_password="s3cret-pass")
    _customer(window, qtbot, "t4", "Can I pay by invoice?", "Vic")
    qtbot.waitUntil(lambda: window.controller.writer.store is not None, timeout=5000)
    log = window.controller.writer.store
    assert log is not None
    sid = log.conversation_id("t4")

    def in_new_store() -> bool:
        store = TeamStore.open(url)
        try:
            return bool(store.review(sid).messages)
        except KeyError:
            return False
        finally:
            store.close()

    qtbot.waitUntil(in_new_store, timeout=15000)
    qtbot.waitUntil(lambda: secrets.get_secret(PASSWORD_SECRET) == "s3cret-pass", timeout=5000)
    assert _review("t4") is None, "nothing of it went to the old store"
