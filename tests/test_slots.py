"""Slots: latest customer value per type wins, agents never fill, values keep their source."""

from __future__ import annotations

from assist.entities import extract_entities
from assist.slots import Slots
from assist.types import Entity, Message


def msg(role: str, text: str) -> Message:
    return Message(conversation_id="c1", role=role, text=text)  # type: ignore[arg-type]


def test_values_carry_across_turns_with_their_message_index() -> None:
    conv = [
        msg("customer", "hi, my order 3707955617 has not arrived"),
        msg("agent", "Sorry to hear that! Could you tell me your name?"),
        msg("customer", "my name is Anna Freeman, I paid $49.99"),
    ]
    slots = Slots.from_messages(conv)
    assert slots.value("order_id") == "3707955617"
    assert slots.get("order_id").message_index == 0  # type: ignore[union-attr]
    assert slots.value("person_name") == "Anna Freeman"
    assert slots.get("person_name").message_index == 2  # type: ignore[union-attr]
    assert slots.as_placeholder_values() == {
        "order_id": "3707955617",
        "person_name": "Anna Freeman",
        "refund_amount": "$49.99",
    }


def test_latest_customer_value_wins() -> None:
    first, second = "113542617735902", "00004587345"
    slots = Slots.from_messages(
        [
            msg("customer", f"order {first} is late"),
            msg("customer", f"sorry, wrong one: order {second}"),
        ]
    )
    assert slots.value("order_id") == second
    assert slots.get("order_id").message_index == 1  # type: ignore[union-attr]


def test_agent_messages_never_fill_slots() -> None:
    slots = Slots.from_messages(
        [
            msg("customer", "where is my parcel?"),
            msg("agent", "Is it order 3707955617? Call +1 415 555 2671"),
        ]
    )
    assert len(slots) == 0
    assert "order_id" not in slots
    assert slots.as_placeholder_values() == {}


def test_add_entities_keeps_later_index_and_the_entity() -> None:
    text = "ship to Dublin"
    ent = next(e for e in extract_entities(text) if e.type == "delivery_city")
    slots = Slots()
    slots.add_entities([ent], message_index=5)
    slots.add_entities([Entity("delivery_city", "Cork", 0, 4)], message_index=2)  # older: ignored
    got = slots.get("delivery_city")
    assert got is not None and got.value == "Dublin" and got.entity == ent
    slots.add_entities([Entity("delivery_city", "Cork", 0, 4)], message_index=6, role="agent")
    assert slots.value("delivery_city") == "Dublin"


def test_empty_and_unicode_messages() -> None:
    slots = Slots.from_messages([msg("customer", ""), msg("customer", "🙂 İ order 123456 ✓")])
    assert slots.value("order_id") == "123456"
    assert slots.get("order_id").message_index == 1  # type: ignore[union-attr]
