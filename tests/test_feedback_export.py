"""`assist feedback export`: the team store's feedback as JSONL training data (real SQLite)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from assist.cli.main import main
from assist.store import (
    ConversationRecord,
    FeedbackEvent,
    MessageRecord,
    TeamStore,
    default_url,
)
from assist.store.schema import audit_log

T1 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)
T3 = datetime(2024, 5, 3, 9, 0, tzinfo=UTC)


def seed() -> None:
    """Two chats in the profile's team store (where the app writes), five feedback events."""
    with TeamStore.open() as store:
        a = ConversationRecord("alice", "Ann", "chat-1", started_at=T1)
        b = ConversationRecord("alice", "Bob", "chat-2", started_at=T1)
        for conv in (a, b):
            store.record_conversation(conv)
        store.record_messages(
            [
                MessageRecord(a.id, 0, "customer", "Where is my order 4471?", ts=T1),
                MessageRecord(a.id, 1, "agent", "It ships tomorrow.", ts=T1),
                MessageRecord(a.id, 2, "customer", "I want a refund", ts=T1, intent="refund"),
            ]
        )

        def event(conv: ConversationRecord, index: int, action: str, ts: datetime, **kw: object):
            base: dict[str, object] = {"source": "macro", "suggestion_text": "Your order ships."}
            base.update(kw)
            return FeedbackEvent(conv.id, index, action, created_at=ts, agent="alice", **base)  # type: ignore[arg-type]

        store.record_feedback(event(a, 0, "shown", T1, intent="track_order"))
        store.record_feedback(event(a, 0, "accepted", T1, intent="track_order", macro_id="m-track"))
        store.record_feedback(
            event(
                a,
                2,
                "edited",
                T2,
                source="generated",
                suggestion_text="Refunds take 5 days.",
                final_text="Refunds take 5 to 7 days.",
            )
        )
        store.record_feedback(
            event(a, 2, "rejected", T2, suggestion_text="Hello!", reason="wrong_intent")
        )
        store.record_feedback(event(b, 0, "rejected", T3, source="remote", suggestion_text="Hi"))
        store.record_feedback(event(b, 0, "ignored", T3))


EXPECTED = [
    {
        "message": "Where is my order 4471?",
        "intent": "track_order",
        "suggestion": "Your order ships.",
        "target": "Your order ships.",
        "source": "macro",
        "macro_id": "m-track",
        "action": "accepted",
    },
    {
        "message": "I want a refund",
        "intent": "refund",  # not on the event: the one stored with the message
        "suggestion": "Refunds take 5 days.",
        "target": "Refunds take 5 to 7 days.",
        "source": "generated",
        "macro_id": None,
        "action": "edited",
    },
    {
        "message": "I want a refund",
        "suggestion": "Hello!",
        "action": "rejected",
        "reason": "wrong_intent",
    },
    {"message": None, "suggestion": "Hi", "action": "rejected", "reason": None},  # no message
]


def lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_export_to_stdout_joins_the_customer_message(capsys: pytest.CaptureFixture[str]) -> None:
    seed()
    assert main(["feedback", "export"]) == 0
    out, err = capsys.readouterr()
    assert lines(out) == EXPECTED
    assert "4 lines (1 accepted, 1 edited, 2 rejected; 1 without" in err


def test_export_to_a_file_since_a_day(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed()
    target = tmp_path / "train.jsonl"
    assert main(["feedback", "export", "-o", str(target), "--since", "2024-05-02"]) == 0
    assert capsys.readouterr().out == ""
    assert lines(target.read_text(encoding="utf-8")) == EXPECTED[1:]
    assert [p.name for p in tmp_path.iterdir()] == ["train.jsonl"]  # no temp file left
    with TeamStore.open() as store, store.engine.connect() as conn:  # audited, like `store export`
        logged = conn.execute(select(audit_log.c.action, audit_log.c.detail)).all()
    assert [(a, json.loads(d)["rows"]) for a, d in logged] == [("feedback.export", 3)]


def test_an_explicit_url_and_an_empty_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'team.db'}"
    TeamStore.open(url).close()
    assert main(["feedback", "--url", url, "export"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "0 lines" in err


def test_a_missing_store_is_an_error_and_is_not_created(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = Path(default_url().removeprefix("sqlite:///"))
    assert main(["feedback", "export"]) == 1
    err = capsys.readouterr().err
    assert "assist feedback export: error:" in err and "no such database file" in err
    assert not path.exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--since", "last tuesday"], "--since 'last tuesday' is not a date"),
        (["-o", "/nonexistent-dir/x.jsonl"], "its folder does not exist"),
    ],
)
def test_bad_input_is_a_clear_error(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seed()
    assert main(["feedback", "export", *args]) == 1
    assert needle in capsys.readouterr().err


def test_a_file_that_is_not_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "team.db"
    bad.write_text("not a database")
    assert main(["feedback", "--url", f"sqlite:///{bad}", "export"]) == 1
    assert "not a SQLite database" in capsys.readouterr().err
