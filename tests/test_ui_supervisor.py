"""Supervisor mode under offscreen Qt, on a real SQLite team store in the temp profile.

The store is seeded through its public write API (conversations, messages with their analysis,
feedback events, rule flags) with a small hand-made dataset whose analytics are worked out
below; every UI action is checked against what the store then holds.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QDateEdit, QLineEdit, QPlainTextEdit

from assist.store import (
    ConversationRecord,
    FeedbackEvent,
    FlagRecord,
    MessageRecord,
    TeamStore,
    default_url,
    read_csv,
    read_jsonl,
)
from ui import theme
from ui.supervisor import PassphraseGate, SupervisorWindow, ask_supervisor_role
from ui.supervisor.analytics_view import AnalyticsView
from ui.tasks import TaskRunner

pytestmark = pytest.mark.qt_log_level_fail("WARNING")

PASSPHRASE = "correct horse battery"
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
D1, D2 = TODAY - timedelta(days=2), TODAY - timedelta(days=1)


def at(day: datetime, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return day + timedelta(hours=hh, minutes=mm, seconds=ss)


@dataclass
class Seed:
    a: ConversationRecord
    b: ConversationRecord
    c: ConversationRecord
    d: ConversationRecord
    e: ConversationRecord


def seed(team: TeamStore) -> Seed:
    """Five chats, four flagged (a: high+low, e: high, b: medium, d: medium and resolved)."""
    now = datetime.now(UTC)
    e0 = now - timedelta(hours=3, minutes=5)
    a = ConversationRecord("ann", "Ann Lee", "chat-a", started_at=at(D1, 10))
    b = ConversationRecord("bob", "Bo Brown", "chat-b", started_at=at(D1, 12))
    c = ConversationRecord("ann", "Cy Cole", "chat-c", started_at=at(D2, 9))
    d = ConversationRecord("bob", "Di Dunn", "chat-d", started_at=at(D2, 15))
    e = ConversationRecord("cy", "Eve Stone", "chat-e", started_at=e0)
    for conv in (a, b, c, d, e):
        team.record_conversation(conv)

    def m(conv: ConversationRecord, i: int, role: str, text: str, ts: datetime, **kw: Any):
        return MessageRecord(conv.id, i, role, text, ts=ts, **kw)

    team.record_messages(
        [
            m(a, 0, "customer", "Where is my order 12345? It was due on Monday.", at(D1, 10),
              intent="track_order", intent_confidence=0.91, sentiment="neutral",
              sentiment_score=-0.1),
            m(a, 1, "agent", "Let me check that for you.", at(D1, 10, 1)),
            m(a, 2, "customer", "This is AWFUL service, I have waited a whole week",
              at(D1, 10, 3), intent="complaint", intent_confidence=0.83, sentiment="negative",
              sentiment_score=-0.7),
            m(a, 3, "agent", "I'm sorry. Your parcel is with the courier and arrives tomorrow.",
              at(D1, 10, 5)),
            m(b, 0, "customer", "hi", at(D1, 12), intent="other", sentiment="neutral",
              sentiment_score=0.0),
            m(b, 1, "customer", "I want my money back for the shoes", at(D1, 12, 0, 30),
              intent="refund", intent_confidence=0.88, sentiment="negative",
              sentiment_score=-0.35),
            m(b, 2, "customer", "Let me speak to a manager now", at(D1, 12, 1),
              intent="contact_human_agent", intent_confidence=0.9, sentiment="negative",
              sentiment_score=-0.6),
            m(b, 3, "agent", "Sure, I'm passing you to my team lead.", at(D1, 12, 2)),
            m(c, 0, "customer", "refund please for order 777", at(D2, 9), intent="refund",
              intent_confidence=0.8, sentiment="positive", sentiment_score=0.3),
            m(c, 1, "agent", "Done, the refund is on its way.", at(D2, 9, 0, 45)),
            m(d, 0, "customer", "you idiots never deliver anything", at(D2, 15),
              intent="track_order", intent_confidence=0.6, sentiment="negative",
              sentiment_score=-0.9),
            m(e, 0, "customer", "Can I change the delivery address to 5 Elm St?", e0,
              intent="change_shipping_address", intent_confidence=0.95, sentiment="neutral",
              sentiment_score=0.1),
            m(e, 1, "agent", "Yes, done. Your card ending 4242 was charged.",
              e0 + timedelta(seconds=90)),
        ]
    )  # fmt: skip
    team.raise_flag(FlagRecord(a.id, "negative_trend", "high", 2, created_at=at(D1, 10, 3)))
    team.raise_flag(FlagRecord(a.id, "long_wait", "low", None, created_at=at(D1, 10, 10)))
    team.raise_flag(FlagRecord(b.id, "escalation_intent", "medium", 2, created_at=at(D1, 12, 1)))
    team.raise_flag(FlagRecord(d.id, "abusive", "medium", 0, created_at=at(D2, 15, 0, 5)))
    e_flag = FlagRecord(e.id, "pii_in_reply", "high", 1, created_at=e0 + timedelta(seconds=91))
    team.raise_flag(e_flag)
    (d_flag,) = team.review(d.id).flags
    team.set_flag_status(d_flag["id"], "resolved", "sue")

    def fb(conv: ConversationRecord, i: int, action: str, rank: int, ts: datetime, **kw: Any):
        agent = {"chat-a": "ann", "chat-b": "bob", "chat-c": "ann", "chat-e": "cy"}
        return FeedbackEvent(
            conv.id, i, action, kw.pop("source", "macro"),  # type: ignore[arg-type]
            kw.pop("text", f"Suggested reply {rank}"), rank,
            agent=agent[conv.external_id or ""], created_at=ts, **kw,
        )  # fmt: skip

    for event in (
        fb(a, 0, "shown", 1, at(D1, 10), intent="track_order"),
        fb(a, 0, "shown", 2, at(D1, 10), intent="track_order", source="generated"),
        fb(a, 0, "accepted", 1, at(D1, 10, 1), intent="track_order"),
        fb(a, 2, "shown", 1, at(D1, 10, 3), intent="complaint"),
        fb(a, 2, "edited", 1, at(D1, 10, 5), intent="complaint", final_text="I'm sorry.",
           edit_distance=12),
        fb(b, 1, "shown", 1, at(D1, 12, 1), intent="refund"),
        fb(b, 1, "shown", 2, at(D1, 12, 1), intent="refund"),
        fb(b, 1, "rejected", 1, at(D1, 12, 1), intent="refund", reason="tone"),
        fb(b, 1, "rejected", 2, at(D1, 12, 1), intent="refund"),
        fb(c, 0, "shown", 1, at(D2, 9), intent="refund"),
        fb(c, 0, "edited", 1, at(D2, 9, 0, 45), intent="refund", final_text="Done",
           edit_distance=6),
        fb(e, 0, "shown", 1, e0, intent="change_shipping_address"),
        fb(e, 0, "accepted", 1, e0 + timedelta(seconds=90), intent="change_shipping_address"),
    ):  # fmt: skip
        team.record_feedback(event)
    return Seed(a, b, c, d, e)


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def utc_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC here, so the filter bar's local days are the seed's UTC days."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def tasks() -> Iterator[TaskRunner]:
    runner = TaskRunner("test-supervisor")
    yield runner
    runner.shutdown(timeout=10)


@pytest.fixture
def team() -> Iterator[TeamStore]:
    store = TeamStore.open(default_url())
    yield store
    store.close()


@pytest.fixture
def data(team: TeamStore) -> Seed:
    return seed(team)


@pytest.fixture
def window(qtbot: Any, tasks: TaskRunner, data: Seed) -> Iterator[SupervisorWindow]:
    win = SupervisorWindow(tasks, default_url(), "sue")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: len(win.queue.model.rows) == 4 and win.queue.agent.count() > 1)
    yield win
    win.close()


def names(win: SupervisorWindow) -> list[str]:
    return [r.customer for r in win.queue.model.rows]


def choose(box: QComboBox, value: str | None) -> None:
    index = box.findData(value)
    assert index >= 0, f"{value!r} is not in {box.accessibleName()}"
    box.setCurrentIndex(index)


def shows(qtbot: Any, win: SupervisorWindow, expected: list[str]) -> None:
    qtbot.waitUntil(lambda: not win.queue.loading and names(win) == expected, timeout=5000)


def open_review(qtbot: Any, win: SupervisorWindow, customer: str) -> None:
    win.queue.select(
        next(r.conversation_id for r in win.queue.model.rows if r.customer == customer)
    )
    win.queue.open_current()
    qtbot.waitUntil(lambda: win.review.review is not None and win.review.title.text() != "")
    assert win.review.review is not None and win.review.review.customer == customer


# -- the passphrase gate -------------------------------------------------------------------------


def gate(qtbot: Any, tasks: TaskRunner, url: str, granted: list[int]) -> PassphraseGate:
    dialog = ask_supervisor_role(None, tasks, url, lambda: granted.append(1), actor="sue")
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.state != "connecting", timeout=5000)
    return dialog


def test_setting_up_the_passphrase_stores_only_a_hash(
    qtbot: Any, tasks: TaskRunner, team: TeamStore
) -> None:
    granted: list[int] = []
    dialog = gate(qtbot, tasks, default_url(), granted)
    assert dialog.state == "setup" and "Set up" in dialog.heading.text()
    dialog.new1.setText("short")
    dialog.new2.setText("short")
    dialog.submit()
    assert "at least 8 characters" in dialog.message.text() and not granted
    dialog.new1.setText(PASSPHRASE)
    dialog.new2.setText(PASSPHRASE + "!")
    dialog.submit()
    assert "differ" in dialog.message.text() and not granted
    dialog.new2.setText(PASSPHRASE)
    dialog.submit()
    qtbot.waitUntil(lambda: granted == [1])
    assert not dialog.isVisible()
    assert team.has_supervisor_passphrase() and team.verify_supervisor_passphrase(PASSPHRASE)
    db = Path(default_url().removeprefix("sqlite:///"))
    with sqlite3.connect(db) as conn:
        (stored,) = conn.execute("select value from team_settings").fetchone()
    assert stored.startswith("scrypt$") and PASSPHRASE not in stored
    for path in db.parent.glob(db.name + "*"):  # the database, its WAL and journal
        assert PASSPHRASE.encode() not in path.read_bytes()


def test_a_wrong_passphrase_is_refused_and_the_right_one_grants(
    qtbot: Any, tasks: TaskRunner, team: TeamStore
) -> None:
    team.set_supervisor_passphrase(PASSPHRASE, "admin")
    granted: list[int] = []
    dialog = gate(qtbot, tasks, default_url(), granted)
    assert dialog.state == "verify"
    dialog.passphrase.setText("not the passphrase")
    dialog.submit()
    qtbot.waitUntil(lambda: "not the supervisor passphrase" in dialog.message.text())
    assert not granted and dialog.isVisible() and dialog.passphrase.text() == ""
    assert dialog.ok.isEnabled()  # the supervisor may try again
    dialog.passphrase.setText(PASSPHRASE)
    QTest.keyClick(dialog.passphrase, Qt.Key.Key_Return)  # Enter submits (default button)
    qtbot.waitUntil(lambda: granted == [1])
    assert not dialog.isVisible()


def test_an_unreachable_store_says_so_and_offers_retry(
    qtbot: Any, tasks: TaskRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "not-a-db"
    folder.mkdir()
    granted: list[int] = []
    dialog = gate(qtbot, tasks, f"sqlite:///{folder}", granted)
    assert dialog.state == "problem" and "cannot be reached" in dialog.heading.text()
    assert "is a directory" in dialog.message.text()
    assert dialog.retry.isVisibleTo(dialog) and not dialog.ok.isVisibleTo(dialog)
    assert not granted


def test_the_window_says_when_the_store_is_unreachable_and_closes_it_on_close(
    qtbot: Any, tasks: TaskRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "not-a-db"
    folder.mkdir()
    win = SupervisorWindow(tasks, f"sqlite:///{folder}", "sue")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.where.text() == "team store unreachable")
    assert "is a directory" in win.message.text()
    assert win.queue.count_label.text() == "The team store cannot be reached."
    win.close()
    assert win.data.closed


# -- the queue -----------------------------------------------------------------------------------


def test_the_queue_lists_the_flagged_chats_worst_first(window: SupervisorWindow) -> None:
    assert names(window) == ["Ann Lee", "Eve Stone", "Bo Brown", "Di Dunn"]  # Cy: not flagged
    model, first = window.queue.model, window.queue.model.rows[0]
    assert first.reasons == ("long_wait", "negative_trend") and first.agent == "ann"
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]

    def cell(row: int, column: str) -> str:
        return model.index(row, headers.index(column)).data()

    first_row = {h: cell(0, h) for h in headers}
    assert first_row == {
        "Severity": "high", "Customer": "Ann Lee", "Agent": "ann", "Intent": "track order",
        "Reasons": "long wait, negative trend", "Status": "open", "Age": first_row["Age"],
    }  # fmt: skip
    assert first_row["Age"].endswith(" d")  # flagged one to two days ago
    assert cell(3, "Status") == "resolved" and cell(1, "Age") == "3 h"
    assert window.queue.count_label.text() == "4 of 4 flagged chats"


@pytest.mark.parametrize(
    ("box", "value", "expected"),
    [
        ("reason", "escalation_intent", ["Bo Brown"]),
        ("reason", "pii_in_reply", ["Eve Stone"]),
        ("agent", "ann", ["Ann Lee"]),
        ("agent", "bob", ["Bo Brown", "Di Dunn"]),
        ("intent", "track_order", ["Ann Lee", "Di Dunn"]),
        ("intent", "refund", ["Bo Brown"]),
        ("status", "resolved", ["Di Dunn"]),
        ("status", "open", ["Ann Lee", "Eve Stone", "Bo Brown"]),
    ],
)
def test_each_filter_narrows_the_queue(
    qtbot: Any, window: SupervisorWindow, box: str, value: str, expected: list[str]
) -> None:
    choose(getattr(window.queue, box), value)
    shows(qtbot, window, expected)
    window.queue.clear_filters()
    shows(qtbot, window, ["Ann Lee", "Eve Stone", "Bo Brown", "Di Dunn"])


def test_the_date_range_narrows_the_queue(qtbot: Any, window: SupervisorWindow, data: Seed) -> None:
    q = window.queue
    q.start.setDate(QDate(D2.year, D2.month, D2.day))
    shows(qtbot, window, ["Eve Stone", "Di Dunn"])
    q.end.setDate(QDate(D2.year, D2.month, D2.day))  # inclusive: the whole of that day
    early = data.e.started_at < TODAY  # run just after midnight: Eve's chat began yesterday
    shows(qtbot, window, ["Eve Stone", "Di Dunn"] if early else ["Di Dunn"])
    q.start.setDate(q.start.minimumDate())  # "any"
    q.end.setDate(QDate(D1.year, D1.month, D1.day))
    shows(qtbot, window, ["Ann Lee", "Bo Brown"])


def test_search_matches_names_and_message_text(qtbot: Any, window: SupervisorWindow) -> None:
    window.queue.search.setText("MANAGER")  # message text, case-insensitive
    shows(qtbot, window, ["Bo Brown"])
    window.queue.search.setText("eve st")  # customer name
    shows(qtbot, window, ["Eve Stone"])
    window.queue.search.setText("nobody says this")
    shows(qtbot, window, [])
    assert window.queue.count_label.text() == "No flagged chats match these filters."


def test_a_stale_query_never_reaches_the_table(qtbot: Any, window: SupervisorWindow) -> None:
    seen: list[list[str]] = []
    window.queue.model.modelReset.connect(lambda: seen.append(names(window)))
    window.queue.search.setText("manager")
    window.queue.reload()
    window.queue.search.setText("stone")
    window.queue.reload()  # the same task key: the "manager" query is cancelled
    shows(qtbot, window, ["Eve Stone"])
    qtbot.wait(200)
    assert seen == [["Eve Stone"]]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("age", ["Ann Lee", "Bo Brown", "Di Dunn", "Eve Stone"]),
        ("recent", ["Eve Stone", "Di Dunn", "Bo Brown", "Ann Lee"]),
    ],
)
def test_sorting(qtbot: Any, window: SupervisorWindow, sort: str, expected: list[str]) -> None:
    choose(window.queue.sort, sort)
    shows(qtbot, window, expected)
    choose(window.queue.sort, "severity")
    shows(qtbot, window, ["Ann Lee", "Eve Stone", "Bo Brown", "Di Dunn"])


def test_more_loads_the_next_page(qtbot: Any, window: SupervisorWindow) -> None:
    q = window.queue
    q.page_size = 3
    q.reload()
    shows(qtbot, window, ["Ann Lee", "Eve Stone", "Bo Brown"])
    assert q.more_btn.isEnabled() and q.count_label.text() == "3 of 4 flagged chats"
    qtbot.mouseClick(q.more_btn, Qt.MouseButton.LeftButton)
    shows(qtbot, window, ["Ann Lee", "Eve Stone", "Bo Brown", "Di Dunn"])
    assert not q.more_btn.isEnabled()


# -- the review ----------------------------------------------------------------------------------


def test_keyboard_ctrl_f_enter_and_esc(qtbot: Any, window: SupervisorWindow) -> None:
    window.activateWindow()
    qtbot.waitActive(window)
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.queue.search.hasFocus()
    QTest.keyClicks(window.queue.search, "manager")
    QTest.keyClick(window.queue.search, Qt.Key.Key_Return)
    shows(qtbot, window, ["Bo Brown"])
    window.queue.table.setFocus()
    QTest.keyClick(window.queue.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.review.review is not None)
    assert window.queue_pages.currentWidget() is window.review
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_Escape)
    assert window.queue_pages.currentWidget() is window.queue
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_Escape)  # Esc again clears the search
    shows(qtbot, window, ["Ann Lee", "Eve Stone", "Bo Brown", "Di Dunn"])
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.analytics
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.queue_pages


def test_the_review_shows_the_transcript_flags_and_feedback(
    qtbot: Any, window: SupervisorWindow
) -> None:
    open_review(qtbot, window, "Ann Lee")
    r = window.review
    text = r.transcript.toPlainText()
    for expected in (
        "Where is my order 12345?",
        "This is AWFUL service",
        "arrives tomorrow",
        "track order 91%",
        "complaint 83%",
        "negative -0.70",
        "⚑ negative trend (high)",
        "on the whole conversation: long wait",
        "#1 macro: shown → accepted",
        "#2 generated: shown",
        "#1 macro: shown → edited (12 characters changed)",
    ):
        assert expected in text, expected
    assert r.title.text() == "Ann Lee — agent ann"
    assert r.timeline.points == [(0, -0.1), (2, -0.7)] and r.timeline.flagged == {2}
    reasons = [r.flags_table.item(i, 0).text() for i in range(r.flags_table.rowCount())]
    assert reasons == ["negative trend", "long wait"]


def test_notes_assignment_and_status_reach_the_store_and_the_audit_log(
    qtbot: Any, window: SupervisorWindow, team: TeamStore, data: Seed
) -> None:
    open_review(qtbot, window, "Ann Lee")
    r = window.review

    def audit_actions() -> list[str]:
        return [r.audit_table.item(i, 2).text() for i in range(r.audit_table.rowCount())]

    r.note_edit.setPlainText("Called the customer back, parcel confirmed.")
    qtbot.mouseClick(r.add_note_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "note.add" in audit_actions())
    assert "Called the customer back" in r.notes.toPlainText()

    r.assign_edit.setText("tom")
    QTest.keyClick(r.assign_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: audit_actions().count("flag.assign") == 2)  # both flags

    r.flags_table.selectRow(0)  # only the negative-trend flag
    qtbot.mouseClick(r.review_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: audit_actions().count("flag.status") == 1)
    r.flags_table.clearSelection()
    qtbot.mouseClick(r.resolve_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: audit_actions().count("flag.status") == 3)

    stored = team.review(data.a.id)
    assert [n["text"] for n in stored.notes] == ["Called the customer back, parcel confirmed."]
    assert {f["assignee"] for f in stored.flags} == {"tom"}
    assert {f["status"] for f in stored.flags} == {"resolved"}
    assert stored.conversation["review_status"] == "resolved"
    assert {e["actor"] for e in stored.audit} == {"sue"}
    details = [r.audit_table.item(i, 3).text() for i in range(r.audit_table.rowCount())]
    assert "open → in_review" in details and "in_review → resolved" in details
    assert "— → tom" in details
    statuses = {r.flags_table.item(i, 3).text() for i in range(r.flags_table.rowCount())}
    assert statuses == {"resolved"}
    # back in the queue, the chat now reads resolved
    window.back()
    qtbot.waitUntil(lambda: window.queue.model.rows[0].status == "resolved")


# -- analytics and export ------------------------------------------------------------------------


def cells(view: AnalyticsView, dimension: str) -> dict[str, dict[str, str]]:
    table = view.intent_table if dimension == "intent" else view.agent_table
    model = table.model()
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    out = {}
    for row in range(model.rowCount()):
        values = [model.index(row, c).data() for c in range(model.columnCount())]
        out[values[0]] = dict(zip(headers[1:], values[1:], strict=True))
    return out


def test_analytics_show_the_seeds_figures(qtbot: Any, window: SupervisorWindow) -> None:
    view = window.analytics
    window.show_analytics()
    view.set_range(D1.date(), date.today() + timedelta(days=1))
    qtbot.waitUntil(lambda: view.summary is not None and view.summary.start == D1.date())
    total = view.totals.text()
    for expected in (
        "<b>5</b> chats",
        "<b>7</b> suggestions shown",
        "<b>29%</b> accepted",  # 2 of 7
        "<b>29%</b> edited (mean edit distance 9.0)",
        "rejections: tone 1, unspecified 1",
        "sentiment -0.12 → -0.36",
        "<b>100</b> flags per 100 chats",
        "first reply 1 min 19 s",  # (60 + 120 + 45 + 90) / 4
    ):
        assert expected in total, expected
    intents = cells(view, "intent")
    assert set(intents) == {"track order", "refund", "complaint", "change shipping address"}
    track, refund = intents["track order"], intents["refund"]
    assert (track["Chats"], track["Shown"], track["Accepted"]) == ("2", "2", "50%")
    assert track["Flags / 100 chats"] == "150" and track["First reply"] == "1 min 00 s"
    assert track["Sentiment start → end"] == "-0.50 → -0.80"
    assert (refund["Chats"], refund["Shown"], refund["Accepted"], refund["Edited"]) == (
        "2", "3", "0%", "33%",
    )  # fmt: skip
    assert refund["Rejections"] == "tone 1, unspecified 1" and refund["Edit distance"] == "6.0"
    assert intents["complaint"]["Edited"] == "100%"
    agents = cells(view, "agent")
    assert set(agents) == {"ann", "bob", "cy"}
    assert (agents["ann"]["Chats"], agents["ann"]["Accepted"]) == ("2", "25%")  # 1 of 4
    assert agents["bob"]["Edit distance"] == "—" and agents["bob"]["First reply"] == "2 min 00 s"
    assert agents["cy"]["Accepted"] == "100%"
    chart = dict(view.chart.items)
    assert chart["track order"] == pytest.approx(0.5) and chart["refund"] == 0.0
    assert chart["change shipping address"] == 1.0
    view.set_range(date(2001, 1, 1), date(2001, 1, 31))
    qtbot.waitUntil(lambda: view.summary is not None and view.summary.start.year == 2001)
    assert "<b>0</b> chats" in view.totals.text() and view.intent_table.model().rowCount() == 0


def test_csv_export_of_the_queue_selection_round_trips(
    qtbot: Any, window: SupervisorWindow, team: TeamStore, data: Seed, tmp_path: Path
) -> None:
    choose(window.queue.agent, "bob")
    shows(qtbot, window, ["Bo Brown", "Di Dunn"])
    done: list[tuple[str, int]] = []
    window.exported.connect(lambda path, n: done.append((path, n)))
    target = tmp_path / "bob.csv"
    window.export_to(target, "csv")
    qtbot.waitUntil(lambda: bool(done))
    assert done == [(str(target), 5)]
    with target.open(encoding="utf-8", newline="") as fh:
        rows = read_csv(fh)
    got = [(r["conversation_id"], r["message_message_index"], r["message_text"]) for r in rows]
    expected = [
        (cid, m["message_index"], m["text"])
        for cid in (data.b.id, data.d.id)
        for m in team.review(cid).messages
    ]
    assert got == expected
    assert {r["conversation_agent"] for r in rows} == {"bob"}
    assert (
        rows[0]["flag_reasons"] == "escalation_intent" and rows[0]["conversation_max_severity"] == 2
    )
    assert "exported 5 rows" in window.message.text()

    jsonl = tmp_path / "bob.jsonl"
    window.export_to(jsonl, "jsonl")
    qtbot.waitUntil(lambda: len(done) == 2)
    with jsonl.open(encoding="utf-8") as fh:
        chats = read_jsonl(fh)
    assert [c["conversation"]["customer_name"] for c in chats] == ["Bo Brown", "Di Dunn"]
    assert not list(tmp_path.glob("*.part"))


def test_controls_have_accessible_names(window: SupervisorWindow) -> None:
    for kind in (QLineEdit, QComboBox, QDateEdit, QPlainTextEdit):
        for w in window.findChildren(kind):
            if isinstance(w, QLineEdit) and isinstance(w.parent(), QComboBox | QDateEdit):
                continue  # the editor inside a combo / date box: the box carries the name
            assert w.accessibleName(), f"{kind.__name__} without an accessible name"


# -- screenshots -----------------------------------------------------------------------------------


def test_screenshots(qtbot: Any, window: SupervisorWindow, tmp_path: Path) -> None:
    """Grabs of the three views (to $SUPERVISOR_SCREENSHOTS when set, for the docs); also
    checks that each grab is a real, non-blank picture."""
    out = Path(os.environ.get("SUPERVISOR_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance()
    dark = os.environ.get("SUPERVISOR_THEME") == "dark"
    if dark and isinstance(app, QApplication):
        theme.apply(app, "dark")
    try:
        window.resize(1400, 860)
        qtbot.wait(50)
        shots = {"queue": out / "supervisor-queue.png"}
        assert window.grab().save(str(shots["queue"]))
        open_review(qtbot, window, "Ann Lee")
        r = window.review
        r.note_edit.setPlainText("Courier confirmed delivery for tomorrow; customer called back.")
        r.add_note()
        qtbot.waitUntil(lambda: r.audit_table.rowCount() == 1)
        r.assign_edit.setText("tom")
        r.assign()
        qtbot.waitUntil(lambda: r.audit_table.rowCount() == 3)
        r.flags_table.selectRow(0)
        r.set_status("in_review")
        qtbot.waitUntil(lambda: r.audit_table.rowCount() == 4)
        r.flags_table.clearSelection()
        qtbot.wait(50)
        shots["review"] = out / "supervisor-review.png"
        assert window.grab().save(str(shots["review"]))
        window.back()
        window.show_analytics()
        window.analytics.set_range(D1.date(), date.today())
        qtbot.waitUntil(lambda: window.analytics.summary is not None)
        qtbot.wait(50)
        shots["analytics"] = out / "supervisor-analytics.png"
        assert window.grab().save(str(shots["analytics"]))
    finally:
        if dark and isinstance(app, QApplication):
            theme.apply(app, "light")
    for path in shots.values():
        assert path.stat().st_size > 10_000
