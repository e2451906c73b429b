"""The team store on SQLite and PostgreSQL: writes, queue, review data, audit, analytics."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from assist.store import (
    ConversationRecord,
    FeedbackEvent,
    FlagRecord,
    MessageRecord,
    QueueFilter,
    StoreError,
    TeamStore,
    read_csv,
    read_jsonl,
)
from tests.pg import pg_schema_url, pg_server, store_url  # noqa: F401

D0, D1, D2 = (
    datetime(2024, 4, 30, tzinfo=UTC),
    datetime(2024, 5, 1, tzinfo=UTC),
    datetime(2024, 5, 2, tzinfo=UTC),
)


def at(day: datetime, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return day + timedelta(hours=hh, minutes=mm, seconds=ss)


@pytest.fixture
def team(store_url: str) -> Iterator[TeamStore]:  # noqa: F811
    s = TeamStore.open(store_url)
    yield s
    s.close()


@dataclass
class Data:
    a: ConversationRecord
    b: ConversationRecord
    c: ConversationRecord
    d: ConversationRecord


def msg(conv: ConversationRecord, i: int, role: str, text: str, ts: datetime, **kw: object):
    return MessageRecord(conv.id, i, role, text, ts=ts, **kw)  # type: ignore[arg-type]


def fb(conv: ConversationRecord, i: int, action: str, agent: str, intent: str, ts: datetime, **kw):
    base = {"suggestion_text": "kitten", "source": "macro"}
    base.update(kw)
    return FeedbackEvent(conv.id, i, action, agent=agent, intent=intent, created_at=ts, **base)  # type: ignore[arg-type]


def seed(team: TeamStore) -> Data:
    """The hand-made dataset the expected numbers below are worked out from."""
    a = ConversationRecord("ann", "Ann Lee", "chat-a", started_at=at(D1, 10))
    b = ConversationRecord("bob", "Bo Brown", "chat-b", started_at=at(D1, 12))
    c = ConversationRecord("ann", "Cy Cole", "chat-c", started_at=at(D2, 9))
    d = ConversationRecord("bob", "Di Dunn", "chat-d", started_at=at(D0, 8))
    for conv in (a, b, c, d):
        team.record_conversation(conv)
    team.record_messages(
        [
            msg(a, 0, "customer", "Where is my order?", at(D1, 10), intent="track_order",
                intent_confidence=0.875, sentiment="positive", sentiment_score=0.5),
            msg(a, 1, "agent", "Let me check.", at(D1, 10, 1)),
            msg(a, 2, "customer", "This is AWFUL service", at(D1, 10, 2), intent="complaint",
                sentiment="negative", sentiment_score=-0.5),
            msg(b, 0, "customer", "hi", at(D1, 12), intent="other", sentiment_score=0.0),
            msg(b, 1, "customer", "I want my money back", at(D1, 12, 0, 30), intent="refund",
                sentiment="negative", sentiment_score=-0.25),
            msg(b, 2, "agent", "Sure.", at(D1, 12, 2)),
            msg(c, 0, "customer", "refund 100% please", at(D2, 9), intent="refund",
                sentiment_score=0.25),
            msg(d, 0, "customer", "you idiots", at(D0, 8), intent="track_order",
                sentiment_score=-1.0),
        ]
    )  # fmt: skip
    team.raise_flag(FlagRecord(a.id, "negative_trend", "high", 2, created_at=at(D1, 10, 2)))
    team.raise_flag(FlagRecord(a.id, "long_wait", 1, None, created_at=at(D1, 10, 5)))
    team.raise_flag(FlagRecord(b.id, "escalation_intent", 2, 1, created_at=at(D1, 12, 1)))
    team.raise_flag(FlagRecord(d.id, "abusive", "medium", 0, created_at=at(D0, 8, 1)))
    for event in (
        fb(a, 0, "shown", "ann", "track_order", at(D1, 10)),
        fb(a, 0, "shown", "ann", "track_order", at(D1, 10)),
        fb(a, 0, "accepted", "ann", "track_order", at(D1, 10)),
        fb(a, 0, "edited", "ann", "track_order", at(D1, 10), final_text="sitting"),
        fb(b, 1, "shown", "bob", "refund", at(D1, 12)),
        fb(b, 1, "shown", "bob", "refund", at(D1, 12)),
        fb(b, 1, "rejected", "bob", "refund", at(D1, 12), reason="tone"),
        fb(b, 1, "rejected", "bob", "refund", at(D1, 12)),
        fb(c, 0, "shown", "ann", "refund", at(D2, 9)),
        fb(c, 0, "edited", "ann", "refund", at(D2, 9), final_text="x", edit_distance=5),
    ):
        team.record_feedback(event)
    return Data(a, b, c, d)


# -- writes ----------------------------------------------------------------------------------


def test_conversation_columns_follow_the_messages(team: TeamStore) -> None:
    data = seed(team)
    conv = team.review(data.b.id).conversation
    assert conv["intent"] == "refund"  # "other" first, then a real intent
    assert conv["message_count"] == 3
    assert conv["first_customer_at"] == at(D1, 12)
    assert conv["first_reply_at"] == at(D1, 12, 2)
    assert (conv["sentiment_first"], conv["sentiment_last"]) == (0.0, -0.25)
    assert (conv["flag_count"], conv["max_severity"], conv["review_status"]) == (1, 2, "open")
    assert conv["agent"] == "bob" and conv["customer_name"] == "Bo Brown"


def test_every_agent_write_is_idempotent(team: TeamStore) -> None:
    data = seed(team)
    before = (team.stats(), team.analytics(D0.date(), D2.date()))
    review = team.review(data.a.id)
    again = [
        MessageRecord(**{k: m[k] for k in ("conversation_id", "message_index", "role", "text",
                         "ts", "intent", "intent_confidence", "sentiment", "sentiment_score",
                         "uid")})
        for m in review.messages
    ]  # fmt: skip
    assert team.record_messages(again) == 0
    assert team.raise_flag(FlagRecord(data.a.id, "negative_trend", 3, 2)) is False
    event = fb(data.a, 0, "shown", "ann", "track_order", at(D1, 10), uid="fixed-uid")
    first = team.record_feedback(event)
    assert team.record_feedback(event).id == first.id
    team.record_conversation(data.a)
    after = (team.stats(), team.analytics(D0.date(), D2.date()))
    assert after[0]["messages"] == before[0]["messages"]
    assert after[0]["flags"] == before[0]["flags"]
    assert after[0]["feedback"] == before[0]["feedback"] + 1
    assert after[1].total.conversations == before[1].total.conversations
    assert after[1].total.suggestions_shown == before[1].total.suggestions_shown + 1


def test_messages_of_an_unknown_conversation_create_it(team: TeamStore) -> None:
    m = MessageRecord("late-1", 0, "customer", "hello", ts=at(D1, 9), intent="greeting")
    assert team.record_message(m)
    conv = team.review("late-1").conversation
    assert conv["agent"] == "" and conv["started_at"] == at(D1, 9) and conv["intent"] == "greeting"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MessageRecord("c", -1, "customer", "x"), "message_index"),
        (lambda: MessageRecord("c", 0, "bot", "x"), "unknown role"),
        (lambda: FlagRecord("c", "bored"), "unknown flag reason"),
        (lambda: FlagRecord("c", "manual", severity=7), "severity"),
        (lambda: FlagRecord("c", "manual", source="robot"), "unknown flag source"),
        (lambda: ConversationRecord("ann", status="lost"), "unknown conversation status"),
    ],
)
def test_invalid_records_are_refused(make, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


# -- review queue ----------------------------------------------------------------------------


def ids(page) -> list[str]:
    return [item.conversation_id for item in page.items]


def test_queue_lists_flagged_conversations_by_severity_then_age(team: TeamStore) -> None:
    d = seed(team)
    page = team.queue(now=at(D2, 0))
    assert ids(page) == [d.a.id, d.d.id, d.b.id]  # c has no flag
    assert page.total == 3 and not page.has_more
    first = page.items[0]
    assert first.reasons == ("long_wait", "negative_trend")
    assert (first.max_severity, first.flag_count, first.open_flags) == (3, 2, 2)
    assert (first.agent, first.customer_name, first.intent, first.status) == (
        "ann", "Ann Lee", "track_order", "open",
    )  # fmt: skip
    assert first.flagged_at == at(D1, 10, 2)
    assert first.age_s == (at(D2, 0) - at(D1, 10, 2)).total_seconds()
    assert ids(team.queue(sort="age")) == [d.d.id, d.a.id, d.b.id]
    assert ids(team.queue(sort="recent")) == [d.b.id, d.a.id, d.d.id]
    with pytest.raises(ValueError, match="unknown sort"):
        team.queue(sort="random")


def test_queue_filters(team: TeamStore) -> None:
    d = seed(team)
    assert ids(team.queue(QueueFilter(reasons=("abusive",)))) == [d.d.id]
    assert ids(team.queue(QueueFilter(reasons=("abusive", "long_wait")))) == [d.a.id, d.d.id]
    assert ids(team.queue(QueueFilter(agent="bob"))) == [d.d.id, d.b.id]
    assert ids(team.queue(QueueFilter(intent="refund"))) == [d.b.id]
    assert ids(team.queue(QueueFilter(since=D1, until=D2))) == [d.a.id, d.b.id]
    assert ids(team.queue(QueueFilter(since=D1, agent="bob"))) == [d.b.id]
    [flag] = team.review(d.b.id).flags
    team.set_flag_status(flag["id"], "in_review", actor="sue")
    assert ids(team.queue(QueueFilter(statuses=("in_review",)))) == [d.b.id]
    assert ids(team.queue(QueueFilter(statuses=("open",)))) == [d.a.id, d.d.id]
    team.set_flag_status(flag["id"], "resolved", actor="sue")
    assert ids(team.queue(QueueFilter(statuses=("resolved",)))) == [d.b.id]
    with pytest.raises(ValueError, match="unknown flag reason"):
        QueueFilter(reasons=("nope",))


def test_queue_text_search_is_case_insensitive_and_literal(team: TeamStore) -> None:
    d = seed(team)
    assert ids(team.queue(QueueFilter(text="awful"))) == [d.a.id]  # message text
    assert ids(team.queue(QueueFilter(text="DUNN"))) == [d.d.id]  # customer name
    assert ids(team.queue(QueueFilter(text="money back"))) == [d.b.id]
    assert ids(team.queue(QueueFilter(text="100%", flagged=None))) == [d.c.id]
    assert ids(team.queue(QueueFilter(text="%"))) == []  # a wildcard is just a character
    assert ids(team.queue(QueueFilter(text="_"))) == []


def test_queue_pages_are_stable_and_complete(team: TeamStore) -> None:
    d = seed(team)
    for n in range(7):  # more conversations with equal severity and age: ties by id
        conv = ConversationRecord("cat", f"Tie {n}", started_at=at(D1, 15))
        team.record_conversation(conv)
        team.raise_flag(FlagRecord(conv.id, "unsure", 1, 0, created_at=at(D1, 15)))
    seen: list[str] = []
    offset = 0
    while True:
        page = team.queue(limit=3, offset=offset)
        assert page.total == 10
        seen += ids(page)
        if not page.has_more:
            break
        offset += 3
    assert len(seen) == len(set(seen)) == 10
    assert seen[:3] == [d.a.id, d.d.id, d.b.id]
    assert seen == ids(team.queue(limit=50))
    with pytest.raises(ValueError, match="limit"):
        team.queue(limit=0)


# -- review data and audit -------------------------------------------------------------------


def test_review_view_data(team: TeamStore) -> None:
    d = seed(team)
    r = team.review(d.a.id)
    assert [m["text"] for m in r.messages] == [
        "Where is my order?", "Let me check.", "This is AWFUL service",
    ]  # fmt: skip
    first = r.messages[0]
    assert (first["intent"], first["intent_confidence"]) == ("track_order", 0.875)
    assert (first["sentiment"], first["sentiment_score"]) == ("positive", 0.5)
    assert [e["action"] for e in first["feedback"]] == ["shown", "shown", "accepted", "edited"]
    assert first["feedback"][3]["edit_distance"] == 3
    assert r.messages[1]["feedback"] == []
    assert [f["reason"] for f in r.flags] == ["negative_trend", "long_wait"]
    assert r.notes == [] and r.audit == []
    with pytest.raises(KeyError):
        team.review("nope")


def test_every_supervisor_action_is_audited(team: TeamStore) -> None:
    d = seed(team)
    manual = team.flag_manually(d.c.id, "sue", "tone check please", severity="high")
    team.set_flag_status(manual.id, "in_review", "sue")
    team.assign_flag(manual.id, "kim", "sue")
    team.assign_flag(manual.id, "kim", "sue")  # no change: no entry
    note = team.add_note(d.c.id, "kim", "Agent was fine.", flag_id=manual.id)
    team.set_flag_status(manual.id, "resolved", "kim")
    r = team.review(d.c.id)
    got = [(e["actor"], e["action"], e["target_type"], e["target_id"]) for e in r.audit]
    assert got == [
        ("sue", "flag.raise", "flag", manual.id),
        ("sue", "flag.status", "flag", manual.id),
        ("sue", "flag.assign", "flag", manual.id),
        ("kim", "note.add", "conversation", d.c.id),
        ("kim", "flag.status", "flag", manual.id),
    ]
    assert r.audit[1]["detail"] == {"conversation_id": d.c.id, "from": "open", "to": "in_review"}
    assert r.audit[2]["detail"]["to"] == "kim"
    assert r.audit[3]["detail"]["note_id"] == note
    assert all(e["at"].tzinfo is not None for e in r.audit)
    [flag] = r.flags
    assert (flag["source"], flag["note"], flag["severity"], flag["status"]) == (
        "manual", "tone check please", 3, "resolved",
    )  # fmt: skip
    assert flag["assignee"] == "kim" and flag["created_by"] == "sue"
    assert r.notes[0]["text"] == "Agent was fine." and r.notes[0]["flag_id"] == manual.id
    assert r.conversation["review_status"] == "resolved"
    # a refused action writes nothing, not even its audit entry
    with pytest.raises(ValueError, match="unknown flag status"):
        team.set_flag_status(manual.id, "done", "kim")
    with pytest.raises(ValueError, match="actor"):
        team.set_flag_status(manual.id, "open", " ")
    assert len(team.review(d.c.id).audit) == 5


def test_supervisor_passphrase(team: TeamStore) -> None:
    assert not team.has_supervisor_passphrase()
    assert not team.verify_supervisor_passphrase("anything at all")
    with pytest.raises(ValueError, match="at least 8"):
        team.set_supervisor_passphrase("short", "lead")
    team.set_supervisor_passphrase("correct horse battery", "lead")
    assert team.verify_supervisor_passphrase("correct horse battery")
    assert not team.verify_supervisor_passphrase("correct horse batterY")
    from sqlalchemy import select

    from assist.store.schema import audit_log, team_settings

    with team.engine.connect() as conn:
        stored = conn.execute(select(team_settings.c.value)).scalar_one()
        actions = [r.action for r in conn.execute(select(audit_log).order_by(audit_log.c.id))]
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    with pytest.raises(PermissionError):
        team.set_supervisor_passphrase("a new passphrase", "lead")
    with pytest.raises(PermissionError):
        team.set_supervisor_passphrase("a new passphrase", "lead", current="wrong one!")
    team.set_supervisor_passphrase("a new passphrase", "lead", current="correct horse battery")
    assert team.verify_supervisor_passphrase("a new passphrase")
    assert not team.verify_supervisor_passphrase("correct horse battery")
    with team.engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(audit_log).order_by(audit_log.c.id))]
    assert actions == ["passphrase.set", "passphrase.change"]


# -- analytics -------------------------------------------------------------------------------

approx = pytest.approx


def test_analytics_on_the_hand_made_dataset(team: TeamStore) -> None:
    seed(team)
    s = team.analytics(D1.date(), D2.date())
    t = s.total
    assert t.conversations == 3 and t.suggestions_shown == 5 and t.flags == 3
    assert t.acceptance_rate == approx(1 / 5) and t.edit_rate == approx(2 / 5)
    assert t.mean_edit_distance == approx(4.0)
    assert t.rejections == {
        "wrong_intent": 0, "wrong_facts": 0, "tone": 1, "other": 0, "unspecified": 1,
    }  # fmt: skip
    assert t.sentiment_start == approx(0.25) and t.sentiment_end == approx(-0.5 / 3)
    assert t.flags_per_100_chats == approx(100.0)
    assert t.mean_first_reply_s == approx(90.0)

    assert set(s.by_intent) == {"track_order", "refund"}
    track, refund = s.by_intent["track_order"], s.by_intent["refund"]
    assert (track.conversations, track.suggestions_shown) == (1, 2)
    assert track.acceptance_rate == approx(0.5) and track.edit_rate == approx(0.5)
    assert track.mean_edit_distance == approx(3.0) and track.flags_per_100_chats == approx(200)
    assert (track.sentiment_start, track.sentiment_end) == (approx(0.5), approx(-0.5))
    assert track.mean_first_reply_s == approx(60.0)
    assert (refund.conversations, refund.suggestions_shown) == (2, 3)
    assert refund.acceptance_rate == 0.0 and refund.edit_rate == approx(1 / 3)
    assert refund.mean_edit_distance == approx(5.0)
    assert refund.rejections["tone"] == 1 and refund.rejections["unspecified"] == 1
    assert (refund.sentiment_start, refund.sentiment_end) == (approx(0.125), approx(0.0))
    assert refund.flags_per_100_chats == approx(50.0) and refund.mean_first_reply_s == approx(120)

    assert set(s.by_agent) == {"ann", "bob"}
    ann, bob = s.by_agent["ann"], s.by_agent["bob"]
    assert (ann.conversations, ann.suggestions_shown, ann.flags) == (2, 3, 2)
    assert ann.acceptance_rate == approx(1 / 3) and ann.edit_rate == approx(2 / 3)
    assert ann.mean_edit_distance == approx(4.0)
    assert (ann.sentiment_start, ann.sentiment_end) == (approx(0.375), approx(-0.125))
    assert ann.mean_first_reply_s == approx(60.0)
    assert (bob.conversations, bob.suggestions_shown, bob.flags) == (1, 2, 1)
    assert bob.acceptance_rate == 0.0 and bob.edit_rate == 0.0 and bob.mean_edit_distance is None
    assert (bob.sentiment_start, bob.sentiment_end) == (approx(0.0), approx(-0.25))
    assert bob.mean_first_reply_s == approx(120.0)

    d1 = team.analytics(D1.date(), D1.date()).total
    assert (d1.conversations, d1.suggestions_shown, d1.flags) == (2, 4, 3)
    whole = team.analytics(D0.date(), D2.date())
    assert whole.total.conversations == 4 and whole.by_agent["bob"].conversations == 2
    empty = team.analytics(date(2023, 1, 1), date(2023, 1, 31)).total
    assert empty.conversations == 0 and empty.acceptance_rate is None
    with pytest.raises(ValueError, match="before it starts"):
        team.analytics(D2.date(), D1.date())


def test_analytics_follow_flag_changes_and_late_messages(team: TeamStore) -> None:
    d = seed(team)
    team.flag_manually(d.c.id, "sue", "check", severity=1)
    team.record_message(msg(d.c, 1, "agent", "Done.", at(D2, 9, 0, 30)))
    t = team.analytics(D1.date(), D2.date()).total
    assert t.flags == 4 and t.flags_per_100_chats == approx(400 / 3)
    assert t.mean_first_reply_s == approx((60 + 120 + 30) / 3)


# -- export ----------------------------------------------------------------------------------


def test_export_jsonl_round_trip(team: TeamStore) -> None:
    d = seed(team)
    team.add_note(d.a.id, "sue", "ok")
    out = io.StringIO()
    assert team.export(out, "jsonl", QueueFilter(flagged=None)) == 4
    items = read_jsonl(io.StringIO(out.getvalue()))
    assert [i["conversation"]["id"] for i in items] == [d.d.id, d.a.id, d.b.id, d.c.id]
    for item in items:
        r = team.review(item["conversation"]["id"])
        conv = item["conversation"]
        assert conv["agent"] == r.conversation["agent"]
        assert datetime.fromisoformat(conv["started_at"]) == r.conversation["started_at"]
        assert [m["uid"] for m in item["messages"]] == [m["uid"] for m in r.messages]
        assert [m["text"] for m in item["messages"]] == [m["text"] for m in r.messages]
        assert [m["sentiment_score"] for m in item["messages"]] == [
            m["sentiment_score"] for m in r.messages
        ]
        assert [f["id"] for f in item["flags"]] == [f["id"] for f in r.flags]
        assert [n["text"] for n in item["notes"]] == [n["text"] for n in r.notes]
    flagged = io.StringIO()
    assert team.export(flagged, "jsonl", QueueFilter(agent="bob")) == 2


def test_export_csv_round_trip(team: TeamStore) -> None:
    d = seed(team)
    out = io.StringIO()
    assert team.export(out, "csv", QueueFilter(flagged=None, since=D1)) == 7
    rows = read_csv(io.StringIO(out.getvalue()))
    assert len(rows) == 7
    expected = []
    for conv in (d.a, d.b, d.c):
        r = team.review(conv.id)
        for m in r.messages:
            expected.append((conv.id, m["message_index"], m["role"], m["text"], m["intent"],
                             m["intent_confidence"], m["sentiment_score"], m["ts"]))  # fmt: skip
    got = [
        (r["conversation_id"], r["message_message_index"], r["message_role"], r["message_text"],
         r["message_intent"], r["message_intent_confidence"], r["message_sentiment_score"],
         datetime.fromisoformat(r["message_ts"]))
        for r in rows
    ]  # fmt: skip
    assert got == expected
    assert rows[0]["flag_reasons"] == "long_wait;negative_trend"
    assert rows[0]["conversation_message_count"] == 3
    assert rows[0]["conversation_customer_name"] == "Ann Lee"
    with pytest.raises(ValueError, match="unknown export format"):
        team.export(io.StringIO(), "xml")


def test_a_closed_store_says_so(store_url: str) -> None:  # noqa: F811
    s = TeamStore.open(store_url)
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.queue()
