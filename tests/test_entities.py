"""Entity extraction: offsets, each type, false-positive traps, hostile input, Bitext quality."""

from __future__ import annotations

import csv
import random
from itertools import pairwise
from pathlib import Path

import pytest

from assist.entities import ENTITY_TYPES, evaluate_entities, extract_entities
from assist.types import Entity

SLICE = Path(__file__).parent / "data" / "entities_bitext_slice.csv"


def found(text: str, etype: str) -> list[str]:
    return [e.value for e in extract_entities(text) if e.type == etype]


def assert_offsets(text: str, entities: list[Entity]) -> None:
    for e in entities:
        assert text[e.start : e.end] == e.value
        assert e.type in ENTITY_TYPES
    spans = sorted((e.start, e.end) for e in entities)
    assert all(a[1] <= b[0] for a, b in pairwise(spans)), "entities overlap"


def expect(text: str, etype: str, value: str) -> None:
    """``value`` is found as ``etype`` at its own position in ``text``."""
    ents = extract_entities(text)
    assert_offsets(text, ents)
    start = text.index(value)
    assert Entity(etype, value, start, start + len(value)) in ents, ents


# --- each type -------------------------------------------------------------------------------


@pytest.mark.parametrize("oid", ["3707955617", "00004587345", "#AB-12345", "ORD-20231"])
@pytest.mark.parametrize(
    "frame",
    [
        "cancel order {}",
        "my order number is {} thanks",
        "where is purchase {}?",
        "Order ID: {} please",
    ],
)
def test_order_ids_after_keyword(frame: str, oid: str) -> None:
    expect(frame.format(oid), "order_id", oid)


@pytest.mark.parametrize(
    "text,value",
    [
        ("cancel ordedr 3707955617", "3707955617"),  # typo in the keyword
        ("help with order113542617735902 now", "113542617735902"),  # glued to it
        ("my order is late, the number is 732201349959", "732201349959"),  # keyword elsewhere
    ],
)
def test_order_ids_noisy(text: str, value: str) -> None:
    expect(text, "order_id", value)


@pytest.mark.parametrize(
    "text,value",
    [
        ("where can I check bill #85632?", "#85632"),
        ("invoice no. INV-2024-001 is wrong", "INV-2024-001"),
        ("i have got to find my bil #00108", "#00108"),
    ],
)
def test_invoice_ids(text: str, value: str) -> None:
    expect(text, "invoice_id", value)


@pytest.mark.parametrize(
    "text",
    [
        "I ordered 2 items in 2023 for 3 people",
        "my order of 100 pieces arrived on 12/05/2024",
        "purchase 2024 collection",
        "order 15 days ago, 3 boxes",
        "the order of 1000000 units",
        "I ordered on 12/05/2024 at 10:30 and got 20% off",
        "",
        "   ",
    ],
)
def test_no_ids_in_ordinary_numbers(text: str) -> None:
    ents = extract_entities(text)
    assert [e for e in ents if e.type in ("order_id", "invoice_id", "phone", "card_number")] == []


@pytest.mark.parametrize(
    "text,value",
    [
        ("refunding$1499", "$1499"),
        ("I paid $12.50 yesterday", "$12.50"),
        ("please refund 30 euros", "30 euros"),
        ("it cost £5 only", "£5"),
        ("charged me USD 1,200.00 twice", "USD 1,200.00"),
        ("reimburse 350 dollars", "350 dollars"),
        ("paid 49,99 € for it", "49,99 €"),
    ],
)
def test_money(text: str, value: str) -> None:
    expect(text, "refund_amount", value)


def test_plain_numbers_are_not_money() -> None:
    assert found("I have 3 kids and 2 dogs, born 1985", "refund_amount") == []


@pytest.mark.parametrize(
    "text,value",
    [
        (
            "write to Anna.Freeman+shop@mail.example.co.uk today",
            "Anna.Freeman+shop@mail.example.co.uk",
        ),
        ("mail: a@b.io.", "a@b.io"),
    ],
)
def test_email(text: str, value: str) -> None:
    expect(text, "email", value)


@pytest.mark.parametrize(
    "text,value",
    [
        ("see https://shop.example.com/help?x=1.", "https://shop.example.com/help?x=1"),
        ("(www.example.org/returns)", "www.example.org/returns"),
        ("go to example.com/orders now", "example.com/orders"),
    ],
)
def test_url(text: str, value: str) -> None:
    expect(text, "url", value)


def test_missing_space_is_not_a_url() -> None:
    assert found("It took Carter to bring us Reagan.It took", "url") == []


@pytest.mark.parametrize(
    "text,value",
    [
        ("call me at +1 415 555 2671 please", "+1 415 555 2671"),
        ("my phone is (415) 555-2671", "(415) 555-2671"),
        ("Call 020 7946 0958 for details", "020 7946 0958"),
    ],
)
def test_phone(text: str, value: str) -> None:
    expect(text, "phone", value)


def test_bare_digit_run_without_phone_word_is_not_a_phone() -> None:
    assert found("reference 4155552671 for the records", "phone") == []


def test_card_number_needs_luhn() -> None:
    valid, invalid = "4111 1111 1111 1111", "4111 1111 1111 1112"
    expect(f"my card {valid} was charged", "card_number", valid)
    assert found(f"my card {invalid} was charged", "card_number") == []


@pytest.mark.parametrize(
    "text,value",
    [
        ("do you deliver to Hungary?", "Hungary"),
        ("shipping to Detroit", "Detroit"),
        ("can you ship to london", "london"),
        ("I live in New York and work in USA", "New York"),
    ],
)
def test_places(text: str, value: str) -> None:
    etype = "delivery_country" if value in ("Hungary", "USA") else "delivery_city"
    expect(text, etype, value)


@pytest.mark.parametrize(
    "text",
    [
        "Nice to meet you",
        "Reading the manual did not help",
        "my mobile app crashed",
        "i am going to reading",
        "Mobile phones are great",
    ],
)
def test_place_names_that_are_words(text: str) -> None:
    ents = extract_entities(text)
    assert [e for e in ents if e.type.startswith("delivery_")] == []


def test_ambiguous_place_after_preposition() -> None:
    expect("please ship to Reading by Friday", "delivery_city", "Reading")


@pytest.mark.parametrize(
    "text,value",
    [
        ("Hi, my name is Anna Freeman and my parcel is late", "Anna Freeman"),
        ("this is David, order 123456 is late", "David"),
        ("get bill from Mr. Jones", "Mr. Jones"),
        ("send me the invoices from Anna Freeman", "Anna Freeman"),
        ("Where is my stuff?\nThanks,\nMaria", "Maria"),
        ("my name is José Álvarez", "José Álvarez"),
        ("My name is Siobhan O'Neil.", "Siobhan O'Neil"),
    ],
)
def test_person_names(text: str, value: str) -> None:
    expect(text, "person_name", value)


@pytest.mark.parametrize(
    "text",
    [
        "I'm Sorry to bother you",
        "this is Ridiculous",
        "I am Looking for my order",
        "thanks",
        "This is Paris calling",
    ],
)
def test_not_names(text: str) -> None:
    assert found(text, "person_name") == []


@pytest.mark.parametrize(
    "text,value",
    [
        ("help me to use the Platinum profile", "Platinum"),
        ("cancel my pro account", "pro"),
        ("close a free accoynt", "free"),
        ("I want to upgrade to premium", "premium"),
    ],
)
def test_account_types(text: str, value: str) -> None:
    expect(text, "account_type", value)


def test_tier_word_without_account_is_not_an_account_type() -> None:
    assert found("free shipping on gold jewellery", "account_type") == []


# --- hostile input ---------------------------------------------------------------------------

HOSTILE = {
    "digits": "1" * 100_000,
    "letters": "a" * 100_000,
    "at-signs": "a@" * 50_000,
    "dots": "a." * 50_000,
    "digit-space": "1 " * 50_000,
    "money-ish": "$1," * 33_000,
    "keywords": "order " * 16_000,
    "capitals": "Anna " * 20_000,
    "url": "http://" + "a" * 100_000,
    "email-ish": "a." * 30_000 + "@" + "b." * 20_000 + "com",
    "mixed": "".join(random.Random(0).choice("aA1 .@-#$,\n'") for _ in range(100_000)),
}


@pytest.mark.timeout(120)  # a safety net against catastrophic backtracking, not a benchmark
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_100kb_input(name: str) -> None:
    text = HOSTILE[name]
    assert_offsets(text, extract_entities(text))


def test_large_message_finds_entities_far_in() -> None:
    filler = "lorem ipsum dolor sit amet " * 4000  # ~100 KB
    text = filler + "my order 3707955617 to Dublin"
    expect(text, "order_id", "3707955617")
    expect(text, "delivery_city", "Dublin")


def test_unicode_offsets() -> None:
    # "İ" lower-cases to two characters: offsets must still point into the original text.
    text = "İİİ 🙂 order 123456 für Zoë, email zoë@example.com? ✓"
    ents = extract_entities(text)
    assert_offsets(text, ents)
    expect(text, "order_id", "123456")


def test_entities_come_in_reading_order() -> None:
    text = "email a@b.com, order 123456, call +1 415 555 2671"
    starts = [e.start for e in extract_entities(text)]
    assert starts == sorted(starts) and len(starts) == 3


# --- quality on Bitext -----------------------------------------------------------------------


def test_bitext_slice_quality() -> None:
    with SLICE.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    report = evaluate_entities(rows)
    gold_types = {r["entity_type"] for r in rows if r["entity_type"]}
    assert gold_types <= set(report)
    for etype in gold_types:
        stats = report[etype]
        assert stats["support"] == sum(r["entity_type"] == etype for r in rows)
        assert stats["precision"] >= 0.95, (etype, stats)
        assert stats["recall"] >= 0.9, (etype, stats)
    assert report["micro"]["tp"] == sum(report[t]["tp"] for t in gold_types)


def _row(text: str, etype: str = "", value: str = "") -> dict[str, str]:
    start = text.index(value) if etype else 0
    return {
        "instruction": text,
        "entity_type": etype,
        "start_offset": str(start) if etype else "",
        "end_offset": str(start + len(value)) if etype else "",
    }


def test_evaluate_counts_overlap_exact_misses_and_unannotated_rows() -> None:
    rows = [
        _row("refund 350 dollars", "refund_amount", "350"),  # overlap hit, not exact
        _row("cancel order 3707955617", "order_id", "3707955617"),  # exact hit
        _row("where is my parcel", "order_id", "parcel"),  # missed: counted as fn
        _row("cancel order 113542617735902 to Dublin", "order_id", "113542617735902"),
        _row("I expect a rebate of $12"),  # unannotated: no precision penalty
    ]
    report = evaluate_entities(rows)
    assert report["refund_amount"]["tp"] == 1 and report["refund_amount"]["exact"] == 0
    assert report["refund_amount"]["unannotated_hits"] == 1
    assert report["refund_amount"]["precision"] == 1.0
    assert (report["order_id"]["tp"], report["order_id"]["fn"]) == (2, 1)
    assert report["order_id"]["exact"] == 2
    assert report["order_id"]["recall"] == round(2 / 3, 4)
    assert "delivery_city" not in report  # only annotated types are scored
    assert report["micro"]["tp"] == 3 and report["micro"]["fn"] == 1


def test_evaluate_skips_rows_without_usable_offsets() -> None:
    rows = [
        {
            "instruction": "cancel order 3707955617",
            "entity_type": "order_id",
            "start_offset": "",
            "end_offset": "x",
        },
        _row("cancel order 00123842", "order_id", "00123842"),
    ]
    report = evaluate_entities(rows)
    assert report["skipped_rows"] == 1
    assert (report["order_id"]["tp"], report["order_id"]["fn"]) == (1, 0)
    assert report["order_id"]["unannotated_hits"] == 1
