"""The window's other tools: compact mode, palette, help, citations, themes, settings, and
what the agent sees when the models are missing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox, QTableWidget

from assist.settings import Settings
from assist.store import FeedbackStore
from assist.types import Message
from tests.test_ui_app import _customer, _ready, _stored
from ui import theme, ui_state
from ui.controller import Controller
from ui.main_window import MainWindow
from ui.palette import Command
from ui.shortcuts import BINDINGS, HelpOverlay

pytestmark = pytest.mark.slow


@pytest.fixture
def window(qtbot: Any) -> Iterator[MainWindow]:
    controller = Controller(Settings(), generate=False)
    win = MainWindow(controller)
    qtbot.addWidget(win)
    qtbot.addWidget(win.compact)
    _ready(win, qtbot)
    yield win
    controller.shutdown()


def test_compact_mode_holds_the_panel_on_top_and_remembers_its_place(
    window: MainWindow, qtbot: Any
) -> None:
    _customer(window, qtbot, "k1", "Where is my order 31337?")
    window.toggle_compact()
    compact = window.compact
    assert compact.isVisible() and not window.isVisible()
    assert window.panel.window() is compact
    assert compact.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert compact.width() < 500
    compact.move(compact.x() - 40, compact.y())
    where, size = compact.pos(), compact.size()
    window.toggle_compact()
    assert window.isVisible() and not compact.isVisible()
    assert window.panel.window() is window
    assert "compact_geometry" in ui_state.load()
    window.toggle_compact()  # back where the agent left it (the offscreen platform adds a
    # title-bar offset on restore and fits the height to the screen: x and width compare)
    assert window.compact.x() == where.x() and window.compact.width() == size.width()
    window.toggle_compact()


def test_the_palette_switches_chats_and_inserts_macros(window: MainWindow, qtbot: Any) -> None:
    _customer(window, qtbot, "p1", "I want to cancel my order 5512.", "Ann")
    window.controller.receive(Message("p2", "customer", "Do you ship to Spain?"), "Bob")
    qtbot.waitUntil(lambda: "p2" in window.snapshots, timeout=20000)
    commands = window.palette_commands()
    kinds = {c.kind for c in commands}
    assert kinds == {"conversation", "rewrite", "macro"}
    window.open_palette()
    palette = window.palette_dialog
    assert palette is not None
    palette.search.setText("go to bob")
    first = palette.results.item(0).data(Qt.ItemDataRole.UserRole)
    assert first == Command("conversation", "p2", "Go to: Bob (p2)")
    palette.run_current()
    assert window.conversations.current == "p2"
    macro = next(c for c in commands if c.kind == "macro")
    window.run_command(macro)
    desk = window.controller.desk
    assert desk is not None and desk.engine.library is not None
    item = desk.engine.library.get(macro.arg)
    assert item is not None and window.transcript.composer.toPlainText() == item.text


def test_help_lists_every_shortcut_the_window_binds(window: MainWindow, qtbot: Any) -> None:
    overlay = HelpOverlay(window)
    qtbot.addWidget(overlay)
    grid = overlay.findChild(QTableWidget)
    assert grid is not None and grid.rowCount() == len(BINDINGS)
    docs = {grid.item(r, 1).text() for r in range(grid.rowCount())}
    assert docs == {b.doc for b in BINDINGS}
    bound = [sc.key().toString() for sc in window.shortcuts[: len(BINDINGS)]]
    assert bound == [QKeySequence(b.keys).toString() for b in BINDINGS]


def test_a_citation_opens_the_article_with_the_sentence_marked(
    window: MainWindow, qtbot: Any
) -> None:
    _customer(window, qtbot, "kb1", "How long does a refund take to reach my card?")
    cards = [c for c in window.panel.cards if c.suggestion and c.suggestion.citations]
    assert cards, "a KB answer with a citation is among the suggestions"
    cite = cards[0].suggestion.citations[0]  # type: ignore[union-attr]
    cards[0].citation_clicked.emit(cite.source_id, cite.start, cite.end)
    box = window.findChild(QMessageBox)
    assert box is not None and box.isVisible()
    marked = f'<span style="background:#fff0b3">{cite.sentence}'
    assert marked[:60] in box.text().replace("&#x27;", "'").replace("&quot;", '"')
    box.close()


def test_a_new_customer_message_marks_untouched_suggestions_ignored(
    window: MainWindow, qtbot: Any
) -> None:
    _customer(window, qtbot, "i1", "How do I reset my password?")
    cards = sum(card.suggestion is not None for card in window.panel.cards)
    shown = _stored(qtbot, window, "shown", at_least=cards)
    window.controller.receive(
        Message("i1", "customer", "Never mind, I found it.", datetime.now(UTC)), None
    )
    ignored = _stored(qtbot, window, "ignored", at_least=cards)
    assert {e.suggestion_text for e in ignored} == {
        e.suggestion_text for e in shown if e.message_index == 0
    }
    assert all(e.message_index == 0 for e in ignored)


def test_dark_theme_and_saved_settings_apply_at_once(window: MainWindow, qtbot: Any) -> None:
    _customer(window, qtbot, "d1", "Where is my order 31337?")
    qtbot.waitUntil(lambda: window.transcript.bubble_count() == 1, timeout=5000)
    window.open_settings()
    dialog = window.settings_dialog
    assert dialog is not None
    dialog.editors["ui.theme"].set_value("dark")
    dialog.editors["suggestions.count"].set_value(4)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.controller.settings["suggestions.count"] == 4)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    window_colour = app.palette().color(QPalette.ColorRole.Window)
    assert window_colour.lightness() < 80, "the dark palette is in use"
    assert Settings.load()["ui.theme"] == "dark"  # and it survives a restart
    # the chat on screen is drawn again, in the dark bubble colours
    qtbot.waitUntil(lambda: window.transcript.bubble_count() == 1, timeout=5000)
    page = window.transcript.pages["d1"]
    assert theme.bubble_colours(True)["customer"] in page.toHtml()
    theme.apply(app, "light")


def test_missing_models_are_reported_and_the_window_stays_up(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSIST_MODELS_DIR", str(tmp_path / "no-models"))
    controller = Controller(Settings(), generate=False)
    win = MainWindow(controller)
    qtbot.addWidget(win)
    states: list[tuple[str, str]] = []
    controller.state_changed.connect(lambda s, d: states.append((s, d)))
    win.show()
    controller.load()
    qtbot.waitUntil(lambda: any(s == "error" for s, _ in states), timeout=30000)
    assert "assist models build" in win.message_label.text()
    assert win.isVisible()
    with FeedbackStore.open() as store:  # the store opened all the same
        assert store.counts()["shown"] == 0
    controller.shutdown()
