"""assist.desk: the snapshots the app and the ingestion API read, on the real engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assist.desk import Desk, by_urgency
from assist.engine import Engine
from assist.events import SuggestionsReady
from assist.types import Message

pytestmark = pytest.mark.slow
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def desk() -> Desk:
    return Desk(Engine.load(generate=False))


def test_waiting_time_counts_from_the_first_unanswered_customer_message(desk: Desk) -> None:
    cid = "desk-wait"
    desk.receive(Message(cid, "customer", "Hi, where is my order 4455?", T0), "Ann Lee")
    snap = desk.receive(Message(cid, "customer", "Hello??", T0 + timedelta(minutes=1)))
    assert snap.customer_name == "Ann Lee"
    assert snap.waiting_since == T0
    assert snap.waiting_s(T0 + timedelta(minutes=3)) == 180
    assert dict(snap.slots)["order_id"] == "4455"
    snap = desk.receive(Message(cid, "agent", "Let me check.", T0 + timedelta(minutes=2)))
    assert snap.waiting_since is None and snap.waiting_s() == 0.0
    assert [t.message.role for t in snap.turns] == ["customer", "customer", "agent"]


def test_angry_chats_come_before_calm_ones_that_waited_as_long(desk: Desk) -> None:
    calm = desk.receive(Message("desk-calm", "customer", "Thanks, that's great!", T0), "Calm")
    angry = desk.receive(
        Message(
            "desk-angry",
            "customer",
            "This is ridiculous, third time I ask, I want a manager NOW",
            T0,
        ),
        "Angry",
    )
    assert angry.escalation, "an angry demand for a manager is signalled"
    now = T0 + timedelta(minutes=1)
    assert [s.conversation_id for s in by_urgency([calm, angry], now)] == [
        "desk-angry",
        "desk-calm",
    ]


def test_suggest_remembers_the_latest_list_for_the_ingestion_api(desk: Desk) -> None:
    cid = "desk-suggest"
    desk.receive(Message(cid, "customer", "How do I get a refund for order 777?", T0))
    events = list(desk.suggest(cid, generate=False))
    ready = [e for e in events if isinstance(e, SuggestionsReady)]
    assert ready and ready[0].suggestions
    payload = desk.payload(cid)
    assert payload["conversation_id"] == cid
    assert payload["message_index"] == 0
    assert payload["analysis"]["intent"]["label"] == "get_refund"
    assert [s["text"] for s in payload["suggestions"]] == [s.text for s in ready[0].suggestions]


def test_a_high_severity_flag_is_shown_and_ranks_the_chat_first(desk: Desk) -> None:
    now = datetime.now(UTC)  # the long-wait rule reads the clock: messages of just now
    plain = desk.receive(Message("desk-plain", "customer", "Where is order 5566?", now), "Plain")
    desk.receive(Message("desk-pii", "customer", "Can you confirm my payment?", now), "Pii")
    leaked = desk.receive(
        Message("desk-pii", "agent", "Your card 4111 1111 1111 1111 was charged.", now)
    )
    assert [f.reason for f in leaked.flags] == ["pii_in_reply"]
    assert leaked.attention == ("pii in reply",)
    assert plain.attention == () and not plain.flags
    # answered, so it waits less than the plain one, but a leaked card number comes first
    assert [s.conversation_id for s in by_urgency([plain, leaked], now)] == [
        "desk-pii",
        "desk-plain",
    ]
