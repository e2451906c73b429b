"""The past replies the draft adapts: generalised, picked by message and intent, shipped safely."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from assist.engine import Engine, load_memory
from assist.overlap import rouge_l
from assist.reply_data import ReplyExample
from assist.reply_memory import (
    FILE,
    VECTORS,
    PastReply,
    ReplyMemory,
    generalise,
    past_replies,
    typicality,
)
from assist.runtime.text_models import TextModels
from assist.types import Message

PAST = [
    PastReply(
        "I want to cancel order 55501234", "cancel_order", "Order {{Order Number}} is cancelled."
    ),
    PastReply("how do I cancel my purchase?", "cancel_order", "Go to Order History, then Cancel."),
    PastReply("where is my parcel", "track_order", "Track {{Order Number}} on our site."),
]


@pytest.fixture(scope="module")
def encoder() -> TextModels:
    return TextModels.load()


def test_a_past_reply_gives_its_conversation_facts_back_as_slots() -> None:
    reply = "Order 732201349959 for Jane Doe: refund of $45 sent.\r\nAsk for {{Order Number}}."
    assert generalise(reply, "person_name", "jane doe") == (
        "Order {{Order Number}} for {{Customer Name}}: refund of $45 sent.\n"
        "Ask for {{Order Number}}."
    )
    assert generalise("Your Gold plan and the Golden rule", "account_type", "gold") == (
        "Your {{Account Type}} plan and the Golden rule"  # whole words only
    )
    assert generalise("Call 555 0100 in 14 days", "", "") == "Call 555 0100 in 14 days"


def test_past_replies_keep_one_reply_per_message() -> None:
    rows = [
        ReplyExample(
            "cancel 12345678", "cancel_order", "Order 12345678 cancelled", "order_id", "12345678"
        ),
        ReplyExample("cancel 12345678", "cancel_order", "A second reply", "order_id", "12345678"),
    ]
    assert past_replies(rows) == [
        PastReply("cancel 12345678", "cancel_order", "Order {{Order Number}} cancelled")
    ]


def test_the_nearest_message_of_the_intent_wins(encoder: TextModels, tmp_path: Path) -> None:
    memory = ReplyMemory.encode(PAST, encoder, tmp_path)
    query = encoder.encode(["please cancel my order 99887766"])[0]
    hit = memory.pick(query, "cancel_order")
    assert hit is not None and hit[0] is memory.items[0] and 0.35 <= hit[1] <= 1.0
    # its own message is skipped (training asks for a neighbour's reply)
    other = memory.pick(query, "cancel_order", exclude=PAST[0].message)
    assert other is not None and other[0] is memory.items[1]
    assert memory.pick(query, "get_refund") is None  # no past reply of that intent
    unrelated = encoder.encode(["the weather in Lisbon is lovely today"])[0]
    assert memory.pick(unrelated, "track_order") is None  # nothing similar enough


def test_a_typical_reply_beats_a_nearer_odd_one(encoder: TextModels, tmp_path: Path) -> None:
    usual = "Sorry for the wait. Order {{Order Number}} is on its way and arrives soon."
    items = [
        PastReply("where is my order 123", "track_order", "Bananas are yellow, skies are blue."),
        PastReply("where is my order", "track_order", usual),
        PastReply("my order has not arrived", "track_order", usual.replace("soon", "in 2 days")),
        PastReply("order status please", "track_order", usual.replace("Sorry", "So sorry")),
        PastReply("cancel it", "cancel_order", "Cancelled."),  # an intent's only reply
    ]
    typical = typicality(items)
    odd = np.mean([rouge_l(items[0].reply, p.reply) for p in items[1:4]])
    assert typical[0] == pytest.approx(odd) and odd < 0.1
    assert typical[1] == pytest.approx(
        np.mean([rouge_l(usual, p.reply) for p in (items[0], items[2], items[3])])
    )
    assert typical[1] > 0.6 and typical[4] == 0.0
    memory = ReplyMemory.encode(items, encoder, tmp_path)
    query = encoder.encode(["where is my order 123"])[0]
    hit = memory.pick(query, "track_order")
    # the odd reply's message is the very query (similarity 1) yet the usual reply wins
    assert hit is not None and hit[0] is memory.items[1] and hit[1] < 1.0
    assert memory.pick(encoder.encode(["cancel it please"])[0], "cancel_order") is not None


def test_a_reply_that_speaks_to_the_message_beats_one_to_a_nearer_message(
    encoder: TextModels, tmp_path: Path
) -> None:
    items = [
        # the nearer message, but a reply about something else
        PastReply("can I change my delivery address", "change_shipping_address", "Done."),
        PastReply(
            "I need to update the address",
            "change_shipping_address",
            "To change your delivery address, open Order History and edit the address.",
        ),
    ]
    memory = ReplyMemory.encode(items, encoder, tmp_path)
    memory.typical = np.zeros(2, dtype=np.float32)  # typicality out of the way
    query = encoder.encode(["can I change my delivery address please"])[0]
    assert float(memory.vectors[0] @ query) > float(memory.vectors[1] @ query)
    hit = memory.pick(query, "change_shipping_address")
    assert hit is not None and hit[0] is memory.items[1]


def test_saved_vectors_are_used_only_for_the_encoder_that_made_them(
    encoder: TextModels, tmp_path: Path
) -> None:
    memory = ReplyMemory.encode(PAST, encoder, tmp_path / "cache")
    memory.typical = np.array([0.5, 0.25, 0.125], dtype=np.float32)  # not what it computes
    memory.save(tmp_path, encoder)
    loaded = ReplyMemory.load(tmp_path, encoder, tmp_path / "empty-cache")
    assert loaded is not None and loaded.items == memory.items
    assert np.allclose(loaded.vectors, memory.vectors, atol=1e-3)
    assert np.allclose(loaded.reply_vectors, memory.reply_vectors, atol=1e-3)
    assert not np.allclose(memory.reply_vectors, memory.vectors, atol=0.1)
    assert loaded.typical.tolist() == [0.5, 0.25, 0.125]  # shipped, not computed again
    assert not (tmp_path / "empty-cache").exists()  # nothing had to be encoded
    # vectors of another encoder (another key): the messages are encoded again, same result
    with np.load(tmp_path / VECTORS) as data:
        np.savez(tmp_path / VECTORS, key=np.array("another-encoder"), vectors=data["vectors"])
    again = ReplyMemory.load(tmp_path, encoder, tmp_path / "cache2")
    assert again is not None and np.allclose(again.vectors, memory.vectors, atol=1e-3)
    assert np.allclose(again.reply_vectors, memory.reply_vectors, atol=1e-3)
    assert list((tmp_path / "cache2" / "retrieval").glob("*/past_replies.npz"))
    assert ReplyMemory.load(tmp_path / "none", encoder, tmp_path) is None


def test_a_damaged_memory_file_is_reported_and_drafts_use_macros(
    encoder: TextModels, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / FILE).write_text('{"message": "hi", "intent": "x", "reply": "ok"}\n{broken\n')
    with pytest.raises(ValueError, match=f"{FILE}:2"):
        ReplyMemory.load(tmp_path, encoder, tmp_path)
    root = tmp_path / "models"
    (root / "llm" / "abc").mkdir(parents=True)
    (root / "llm" / "current").write_text("abc")
    (root / "llm" / "abc" / "manifest.json").write_text('{"files": {}, "card": {}}')
    (root / "llm" / "abc" / FILE).write_text("not json\n")
    with caplog.at_level(logging.WARNING, logger="assist.engine"):
        assert load_memory(encoder, root) is None
    assert "past replies not used" in caplog.text and f"{FILE}:1" in caplog.text


def test_the_draft_adapts_a_past_reply_with_this_conversations_facts(tmp_path: Path) -> None:
    engine = Engine.load(generate=False)
    engine.memory = ReplyMemory.encode(PAST, engine.text_models, tmp_path)
    engine.add_message(Message("m1", "customer", "I need to cancel order 44412345 please"))
    conv = engine.conversation("m1")
    retrieved = engine.retrieve(conv, 1)
    notes = engine.reply_notes(conv, retrieved)
    assert notes == ["Order 44412345 is cancelled."]  # the slot filled from this conversation
    # its own message excluded: the other cancellation reply; no memory: the best macro
    assert engine.reply_notes(conv, retrieved, exclude=PAST[0].message) == [PAST[1].reply]
    engine.memory = None
    assert engine.reply_notes(conv, retrieved) == [retrieved[0].text]
