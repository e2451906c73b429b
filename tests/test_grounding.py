"""The no-invented-facts check: grounded facts pass, invented ones are found and repaired."""

from __future__ import annotations

import pytest

from assist.grounding import REPAIR_PLACEHOLDERS, find_invented, repair

SOURCES = [
    "Hi, my order 00123842 never came. I paid $1,499 for it.",
    "Support: +1 555 0100, support@example.com, https://shop.example.com/help/ "
    "Refunds take 5 business days.",
]


@pytest.mark.parametrize(
    "reply",
    [
        "Your order 00123842 will be refunded $1499.00 within 5 business days.",
        "Call (555) 0100... no: call 555-0100 or SUPPORT@example.com.",
        "See http://www.shop.example.com/help or shop.example.com/help.",
        "Steps:\n1. Sign in.\n2) Open the order.\n10. Done.",
        "Use {{Review Website 1}} and {{Order Number}} for the 2nd item.",
        "We refunded 1,499 dollars.",
        "",
    ],
)
def test_grounded_replies_have_nothing_invented(reply: str) -> None:
    assert find_invented(reply, SOURCES) == []
    assert repair(reply, SOURCES) == reply


@pytest.mark.parametrize(
    "fact,kind",
    [
        ("1-800-555-0199", "phone"),
        ("refunds@other.example", "email"),
        ("https://evil.example/login", "url"),
        ("$25.00", "money"),
        ("48", "number"),
        ("A7766554", "number"),
        ("1,000", "number"),
    ],
)
def test_invented_facts_are_found_and_repaired(fact: str, kind: str) -> None:
    reply = f"Thanks! Regarding order 00123842, please see {fact} today."
    assert find_invented(reply, SOURCES) == [fact]
    fixed = repair(reply, SOURCES)
    assert fixed == reply.replace(fact, REPAIR_PLACEHOLDERS[kind])
    assert find_invented(fixed, SOURCES) == []


def test_number_formats_match_by_value() -> None:
    assert find_invented("It costs 1000 or 1,000.00", ["price 1,000"]) == []
    assert find_invented("It costs 1001", ["price 1,000"]) == ["1001"]


def test_no_sources_means_every_fact_is_invented() -> None:
    reply = "Call +1 415 555 2671 within 3 days, see example.com"
    assert find_invented(reply, []) == ["+1 415 555 2671", "3", "example.com"]


def test_duplicates_reported_once_but_all_repaired() -> None:
    reply = "Code 777 and again 777."
    assert find_invented(reply, []) == ["777"]
    assert repair(reply, []) == "Code {{Number}} and again {{Number}}."


def test_large_and_unicode_text() -> None:
    body = "Zoë İ 🙂 " * 10_000 + "call 020 7946 0958"
    assert find_invented(body, ["020 7946 0958"]) == []
    assert find_invented(body, []) == ["020 7946 0958"]


def test_ranges_and_dates_are_one_fact() -> None:
    reply = "Delivery takes 3-5 days, support is 24/7, since 2024-01-15."
    assert find_invented(reply, ["3 to 5 days", "open 24 hours, 7 days", "2024 01 15"]) == []
    assert find_invented(reply, ["3 to 5 days"]) == ["24/7", "2024-01-15"]
    assert repair(reply, ["3 to 5 days"]) == (
        "Delivery takes 3-5 days, support is {{Number}}, since {{Number}}."
    )


@pytest.mark.timeout(120)  # safety net against pathological regex behaviour, not a benchmark
def test_hostile_text_is_handled() -> None:
    text = "1 " * 50_000
    assert find_invented(text, []) == ["1"]
    assert find_invented(text, ["1"]) == []


@pytest.mark.parametrize(
    "reply,source",
    [
        ("call +1 (415) 555-2671 now", "our line: (415) 555-2671"),
        ("call (415) 555-2671 now", "our line: +1 415 555 2671"),
        ("call +44 20 7946 0958 now", "our line: 020 7946 0958"),
    ],
)
def test_phone_formats_match_by_digits(reply: str, source: str) -> None:
    assert find_invented(reply, [source]) == []
    changed = source[:-1] + str((int(source[-1]) + 1) % 10)  # one digit off: not the same phone
    assert find_invented(reply, [changed]) != []
