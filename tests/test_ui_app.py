"""The agent's window under offscreen Qt, on the real models, store and loopback HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtTest import QTest

from assist.ingest import IngestHub
from assist.ingest.server import IngestServer
from assist.settings import Settings
from assist.store import FeedbackStore, edit_distance
from assist.types import Message
from ui.controller import Controller
from ui.demo_player import DemoPlayer
from ui.main_window import MainWindow
from ui.palette import Command

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
TOKEN = "test-token-0123456789"


def _ready(window: MainWindow, qtbot: Any) -> None:
    """Show the window as the active one (shortcuts are window-wide) and load the models."""
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    states: list[str] = []
    window.controller.state_changed.connect(lambda s, _d: states.append(s))
    window.controller.load()
    qtbot.waitUntil(lambda: "ready" in states or "error" in states, timeout=60000)
    assert "ready" in states, f"models did not load: {window.message_label.text()}"


@pytest.fixture
def window(qtbot: Any) -> Iterator[MainWindow]:
    controller = Controller(Settings(), generate=False)
    win = MainWindow(controller)
    qtbot.addWidget(win)
    _ready(win, qtbot)
    yield win
    controller.shutdown()


def _customer(window: MainWindow, qtbot: Any, cid: str, text: str, name: str = "Ann") -> None:
    window.controller.receive(Message(cid, "customer", text, datetime.now(UTC)), name)
    qtbot.waitUntil(
        lambda: (
            window.conversations.current == cid and window.panel.cards[0].suggestion is not None
        ),
        timeout=20000,
    )


def _stored(qtbot: Any, window: MainWindow, action: str, at_least: int = 1) -> list[Any]:
    """The stored feedback events of ``action``, once there are ``at_least`` of them (each
    card's event is its own transaction, so they land one by one)."""
    found: list[Any] = []

    def check() -> bool:
        store = FeedbackStore.open()
        try:
            found[:] = store.events(action=action)
        finally:
            store.close()
        return len(found) >= at_least

    qtbot.waitUntil(check, timeout=10000)
    return found


def test_the_demo_fills_the_list_transcript_and_cards(window: MainWindow, qtbot: Any) -> None:
    player = DemoPlayer(speed=0)
    player.message.connect(window.controller.receive)
    player.start()
    qtbot.waitUntil(lambda: player.remaining == 0, timeout=30000)
    qtbot.waitUntil(lambda: window.conversations.count() == 5, timeout=30000)
    names = {s.customer_name for s in window.conversations.snapshots.values()}
    assert {"Maria Lopez", "Dave Miller"} <= names
    qtbot.waitUntil(lambda: window.panel.cards[0].suggestion is not None, timeout=20000)
    # the transcript is drawn one event-loop turn after the cards
    qtbot.waitUntil(lambda: window.transcript.bubble_count() >= 2, timeout=5000)
    # the angry customer asking for a manager is flagged and sorted first
    first = window.conversations.cid_at(0)
    assert window.conversations.snapshots[first].escalation


def test_a_customer_message_gives_chips_and_cards_and_ctrl1_fills_the_composer(
    window: MainWindow, qtbot: Any
) -> None:
    _customer(window, qtbot, "c1", "Where is my order 123456? It has not arrived.")
    panel = window.panel
    assert panel.intent_names[0].text() == "track order"
    assert panel.intent_bars[0].value() > 50
    assert "Order" in [
        panel.slots_form.itemAt(i, panel.slots_form.ItemRole.LabelRole).widget().text()
        for i in range(1, panel.slots_form.rowCount())
    ]
    assert panel.cards[0].accept_btn.isEnabled()
    # a key press as the window system delivers it, so the shortcut map sees it
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    text = panel.cards[0].suggestion.text  # type: ignore[union-attr]
    assert window.transcript.composer.toPlainText() == text
    assert QGuiApplication.clipboard().text() == text


def test_a_message_in_another_language_says_so_instead_of_guessing(
    window: MainWindow, qtbot: Any
) -> None:
    panel = window.panel
    text = "Bonjour, où est ma commande ? Je l'attends depuis dix jours."
    window.controller.receive(Message("fr", "customer", text, datetime.now(UTC)), "Zoé")
    french = "other: written in French (models read English)"
    qtbot.waitUntil(lambda: panel.intent_reason.text() == french, timeout=20000)
    assert panel.sentiment.text() == "not measured (French)"  # no trend yet: nothing trusted
    _customer(window, qtbot, "fr", "Where is my order 123456? I am really annoyed it is late.")
    assert "trend" in panel.sentiment.text() and "not measured" not in panel.sentiment.text()


def test_edit_and_send_stores_the_final_text_and_edit_distance(
    window: MainWindow, qtbot: Any
) -> None:
    _customer(window, qtbot, "c2", "I want a refund for order 98765, the shoes are too small.")
    original = window.panel.cards[0].suggestion.text  # type: ignore[union-attr]
    window.accept(1, focus=True)
    final = original + " Thanks for your patience, Ann!"
    window.transcript.composer.setPlainText(final)
    qtbot.mouseClick(window.transcript.send_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == final
    [event] = _stored(qtbot, window, "edited")
    assert event.final_text == final
    assert event.edit_distance == edit_distance(original, final) == 31
    assert event.intent == "get_refund" and event.suggestion_rank == 1
    # the reply is in the conversation and the row says so
    qtbot.waitUntil(lambda: window.snapshots["c2"].turns[-1].message.text == final)
    assert window.snapshots["c2"].waiting_since is None


def test_reject_stores_the_reason_and_clears_the_card(window: MainWindow, qtbot: Any) -> None:
    _customer(window, qtbot, "c3", "How can I change my shipping address?")
    window.panel.cards[0].reject_clicked.emit(1, "wrong_facts")
    [event] = _stored(qtbot, window, "rejected")
    assert event.reason == "wrong_facts" and event.suggestion_rank == 1
    assert window.panel.cards[0].suggestion is None
    shown = _stored(qtbot, window, "shown", at_least=2)
    assert {e.suggestion_rank for e in shown} >= {1, 2}


def test_the_ingestion_api_feeds_the_window_over_loopback(window: MainWindow, qtbot: Any) -> None:
    hub = IngestHub()
    server = IngestServer(hub, TOKEN, port=0)
    server.start()
    try:
        window.controller.listen(hub)
        url = f"http://127.0.0.1:{server.port}/v1/conversations/web-7"
        auth = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(timeout=httpx.Timeout(5.0)) as client:
            body = {
                "role": "customer",
                "text": "What payment methods do you accept?",
                "customer": "Lee",
            }
            r = client.post(f"{url}/messages", json=body, headers=auth)
            assert r.status_code == 202, r.text
            qtbot.waitUntil(lambda: "web-7" in window.conversations.snapshots, timeout=20000)
            assert window.conversations.snapshots["web-7"].customer_name == "Lee"

            def answered() -> bool:
                got = client.get(f"{url}/suggestions", headers=auth)
                return got.status_code == 200 and bool(got.json().get("suggestions"))

            qtbot.waitUntil(answered, timeout=20000)
            payload = client.get(f"{url}/suggestions", headers=auth).json()
            assert payload["analysis"]["intent"]["label"] == "check_payment_methods"
            bad = client.post(f"{url}/messages", json=body, headers={"Authorization": "Bearer x"})
            assert bad.status_code == 401
            broken = client.post(
                f"{url}/messages",
                content=b"{not json",
                headers={**auth, "Content-Type": "application/json"},
            )
            assert broken.status_code == 400
            huge = client.post(
                f"{url}/messages",
                content=b"x" * (2 * 1024 * 1024),
                headers={**auth, "Content-Type": "application/json"},
            )
            assert huge.status_code == 413
        assert len(window.conversations.snapshots["web-7"].turns) == 1  # nothing bad got in
    finally:
        server.stop()


def test_a_draft_streams_into_card_2(qtbot: Any) -> None:
    controller = Controller(Settings(), generate=True)
    win = MainWindow(controller)
    qtbot.addWidget(win)
    _ready(win, qtbot)
    chunks: list[str] = []
    controller.suggestion_event.connect(
        lambda e: chunks.append(e.text) if type(e).__name__ == "GenerationChunk" else None
    )
    try:
        _customer(win, qtbot, "g1", "My parcel for order 5544 is late, where is it?")
        qtbot.waitUntil(lambda: win.panel.cards[1].suggestion is not None, timeout=60000)
        draft = win.panel.cards[1].suggestion
        assert draft is not None and draft.source == "generated" and draft.text
        assert len(chunks) > 3, "the draft arrived token by token"

        # a newer customer message cancels the draft still being written for the older one
        events: list[Any] = []
        controller.suggestion_event.connect(events.append)
        stale = len(win.snapshots["g1"].turns)
        controller.receive(Message("g1", "customer", "Hello? Can you also check order 5545?"))
        qtbot.waitUntil(
            lambda: any(
                type(e).__name__ == "GenerationChunk" and e.message_index == stale for e in events
            ),
            timeout=60000,
        )
        controller.receive(Message("g1", "customer", "Sorry, I meant order 5546."))
        qtbot.waitUntil(
            lambda: any(
                type(e).__name__ == "GenerationDone" and e.message_index == stale + 1
                for e in events
            ),
            timeout=60000,
        )
        done_for = {e.message_index for e in events if type(e).__name__ == "GenerationDone"}
        assert stale not in done_for, "the stale draft was finished instead of cancelled"
        assert win.panel.cards[1].suggestion is not None

        # Ctrl+K → "Rewrite: shorter" replaces the composer's text with the checked rewrite
        original = (
            "Thank you so much for reaching out to us today about your order 5546. I have "
            "checked it and it left our warehouse yesterday, so it should reach you soon."
        )
        win.transcript.composer.setPlainText(original)
        rewritten: list[str] = []
        controller.rewrite_item.connect(
            lambda item: rewritten.append(item.text) if hasattr(item, "text") else None
        )
        win.run_command(Command("rewrite", "shorter", "Rewrite: shorter"))
        qtbot.waitUntil(lambda: bool(rewritten), timeout=60000)
        text = win.transcript.composer.toPlainText()
        assert text == rewritten[0] and text and text != original
    finally:
        controller.shutdown()


def test_without_a_display_the_app_falls_back_to_the_terminal_demo() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    cmd = [sys.executable, "-m", "assist", "app", "--demo", "--no-generate", "--speed", "0"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "no display found" in proc.stderr
    assert "intent" in proc.stdout and "Maria Lopez" in proc.stdout


def test_assist_app_writes_a_screenshot_and_exits_0(tmp_path: Path) -> None:
    png = tmp_path / "main.png"
    env_cmd = [
        sys.executable,
        "-m",
        "assist",
        "app",
        "--demo",
        "--no-generate",
        "--no-listen",
        "--speed",
        "0",
        "--screenshot",
        str(png),
        "--quit-after",
        "6",
    ]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(env_cmd, capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    image = QImage(str(png))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 500
