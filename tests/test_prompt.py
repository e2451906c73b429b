"""The reply prompt (the conversation as a chat, grounded on a macro) and the reply filter."""

from __future__ import annotations

import pytest

from assist.prompt import (
    MAX_TURNS,
    NOTE_PREFIX,
    ReplyFilter,
    build_reply_messages,
    whole_sentences,
)
from assist.types import Message

MACRO_REFUND = (
    "Refunds go back to the original payment method within 5-7 business days "
    "after we receive order {{Order Number}}."
)
MACRO_TRACK = "You can follow your parcel under Order History in your account."


def turn(role: str, text: str) -> Message:
    return Message(conversation_id="c1", role=role, text=text)  # type: ignore[arg-type]


def test_prompt_holds_the_best_macro_profile_and_rules() -> None:
    turns = [turn("customer", "Where is my refund?")]
    messages = build_reply_messages(
        turns, [MACRO_REFUND, MACRO_TRACK], {"Company Name": "Acme Outfitters"}, "get_refund"
    )
    assert [m["role"] for m in messages] == ["system", "user"]
    system, user = messages[0]["content"], messages[1]["content"]
    assert "make up" in system and "links" in system
    # the profile rarely changes: it sits in the cached system message
    assert "Company Name: Acme Outfitters" in system and "Acme" not in user
    assert user.startswith("Where is my refund?")
    # the best macro, placeholders untouched, with the detected intent named
    assert "(Approved answer you can adapt, for get refund: " + MACRO_REFUND + ")" in user
    assert MACRO_TRACK not in user  # one macro: each costs first-token latency


def test_the_intent_is_named_only_when_there_is_one() -> None:
    turns = [turn("customer", "Where is my refund?")]
    unsure = build_reply_messages(turns, [MACRO_REFUND], {}, "other")[-1]["content"]
    assert NOTE_PREFIX + MACRO_REFUND + ")" in unsure and " for " not in unsure
    no_macro = build_reply_messages(turns, [], {}, "get_refund")[-1]["content"]
    assert no_macro.endswith("\n\n(Approved topic: get refund)")
    assert build_reply_messages(turns, [], {}, None)[-1]["content"] == "Where is my refund?"


def test_the_conversation_becomes_chat_turns_in_order() -> None:
    turns = [
        turn("customer", "Hi, my order is late."),
        turn("customer", "It was due Monday."),
        turn("agent", "Sorry to hear that! Which order is it?"),
        turn("customer", "Order 1234."),
    ]
    messages = build_reply_messages(turns, [], {}, None)
    assert messages[1:] == [
        {"role": "user", "content": "Hi, my order is late.\nIt was due Monday."},
        {"role": "assistant", "content": "Sorry to hear that! Which order is it?"},
        {"role": "user", "content": "Order 1234."},
    ]


def test_earlier_turns_keep_their_text_so_the_cached_prefix_is_reused() -> None:
    turns = [turn("customer", "Where is my refund?"), turn("agent", "Let me check.")]
    first = build_reply_messages(turns[:1], [MACRO_REFUND], {"Company Name": "Acme"}, None)
    turns.append(turn("customer", "Any news?"))
    second = build_reply_messages(turns, [MACRO_TRACK], {"Company Name": "Acme"}, None)
    assert second[0] == first[0]  # same system message
    assert second[1] == {"role": "user", "content": "Where is my refund?"}  # note not kept
    assert first[1]["content"].startswith(second[1]["content"])


def test_only_recent_turns_are_kept_and_long_text_is_clipped() -> None:
    turns = []
    for i in range(MAX_TURNS + 4):
        turns += [turn("customer", f"message number {i}"), turn("agent", f"answer {i}")]
    turns.append(turn("customer", "word " * 1000))
    messages = build_reply_messages(turns, [], {}, None)
    text = " ".join(m["content"] for m in messages)
    assert "message number 0" not in text
    assert f"answer {MAX_TURNS + 3}" in text
    assert len(messages[-1]["content"]) < 700


def test_the_last_turn_must_be_the_customers() -> None:
    with pytest.raises(ValueError, match="customer"):
        build_reply_messages([turn("customer", "hi"), turn("agent", "hello")], [], {}, None)
    with pytest.raises(ValueError, match="no conversation turns"):
        build_reply_messages([], [], {}, None)


def filtered(chunks: list[str]) -> tuple[str, bool]:
    reply = ReplyFilter()
    out = [reply.feed(c) for c in chunks]
    out.append(reply.finish())
    return "".join(out), reply.stopped


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        (["I'm sorry", " to hear", " that."], ("I'm sorry to hear that.", False)),
        (["Agent", ": Hello", " there.\n", "Cust", "omer: thanks"], ("Hello there.", True)),
        (["Hi", " James", "</conv", "ersation>"], ("Hi James", True)),
        (
            ["Here", "'s a revised", " response:\n\n", '"Our standard', ' delivery is 3 days."'],
            ("Our standard delivery is 3 days.", False),
        ),
        (
            ["Here", " is your order status: shipped."],
            ("Here is your order status: shipped.", False),
        ),
        (["Sure"], ("Sure", False)),
        (["Thanks!\n\nSubject: Your order"], ("Thanks!", True)),
    ],
)
def test_reply_filter_keeps_only_the_agents_reply(
    chunks: list[str], expected: tuple[str, bool]
) -> None:
    assert filtered(chunks) == expected


def test_reply_filter_is_the_same_whatever_the_chunking() -> None:
    text = 'Agent: Here\'s a reply:\n"Your parcel left on Monday." Customer: ok'
    whole = filtered([text])
    assert whole == ("Your parcel left on Monday.", True)
    assert filtered(list(text)) == whole  # one character at a time


def test_a_reply_cut_by_the_token_limit_keeps_its_whole_sentences() -> None:
    cut = "We shipped it today, sorry for the wait. It should arrive by"
    assert whole_sentences(cut) == "We shipped it today, sorry for the wait."
    assert whole_sentences("Here is how:\n1. Sign in. 2. Open your orders.\n3.") == (
        "Here is how:\n1. Sign in. 2. Open your orders."  # "3." is a list number
    )
    assert whole_sentences("Sorry! We will check today and get back") == (
        "Sorry! We will check today and get back"  # cutting would lose most of it
    )
    assert whole_sentences("Done.") == "Done."
