"""Placeholder filling: facts only from slots/profile, labels rendered, the rest left visible."""

from __future__ import annotations

import pytest

from assist.placeholders import PLACEHOLDER_RE, classify, fill, normalise
from assist.profile import CompanyProfile
from assist.slots import Slots
from assist.types import Entity, Message

PROFILE = CompanyProfile(
    company_name="Acme",
    website_url="https://acme.example",
    support_phone="+1 555 0100",
    support_email="help@acme.example",
    support_hours="9-5 weekdays",
    live_chat="Acme Chat",
    labels={"Order History": "My Orders page"},
)


def customer_slots(*texts: str) -> Slots:
    return Slots.from_messages(Message("c", "customer", t) for t in texts)


def test_facts_come_from_slots_and_profile() -> None:
    oid = "3707955617"
    slots = customer_slots(f"cancel order {oid}", "my name is Anna Freeman")
    template = (
        "Hi {{Person Name}}, order {{Order Number Anonymized}} is cancelled. "
        "Call {{Customer Support Phone Number}} or use {{Live Chat}} on {{Website URL}} "
        "({{Customer Support Hours}}), mail {{Customer Support Email}}."
    )
    result = fill(template, slots, PROFILE)
    expected = (
        f"Hi Anna Freeman, order {oid} is cancelled. Call {PROFILE.support_phone} or "
        f"use {PROFILE.live_chat} on {PROFILE.website_url} ({PROFILE.support_hours}), "
        f"mail {PROFILE.support_email}."
    )
    assert result.text == expected
    assert result.unfilled == []
    assert result.filled["{{Order Number Anonymized}}"] == oid
    assert result.filled["{{Person Name}}"] == "Anna Freeman"


def test_unknown_facts_stay_visible_exactly() -> None:
    template = "Your refund of {{Refund Amount}} for {{Order Number}} takes {{number of days}}."
    result = fill(template, Slots(), CompanyProfile())
    assert result.text == template
    assert result.unfilled == ["{{Refund Amount}}", "{{Order Number}}", "{{number of days}}"]
    assert result.filled == {}


def test_empty_profile_value_is_unknown() -> None:
    result = fill("Call {{Customer Support Phone Number}}", Slots(), CompanyProfile())
    assert result.unfilled == ["{{Customer Support Phone Number}}"]


def test_labels_use_profile_wording_or_plain_name() -> None:
    template = "Go to {{Order History}}, then {{Account Settings}} and {{Cancel Order}}."
    result = fill(template, Slots(), PROFILE)
    assert result.text == ("Go to My Orders page, then Account Settings and Cancel Order.")
    assert result.unfilled == []


def test_a_value_ending_in_the_next_word_does_not_double_it() -> None:
    profile = CompanyProfile(company_name="Acme", website_name="Acme website")
    template = (
        "Log in on our {{Website Name}} website, or the {{Website Name}} app.\n{{Website Name}}"
    )
    result = fill(template, Slots(), profile)
    assert result.text == "Log in on our Acme website, or the Acme website app.\nAcme website"
    # an unknown fact keeps its word after it
    assert fill("{{Order Number}} number", Slots(), profile).text == "{{Order Number}} number"


@pytest.mark.parametrize(
    "variant",
    [
        "Order Number",
        "Order Number Anonymized",
        "order number",
        "ORDER ID",
        "Purchase ID Anonymized",
        " Order  Number ",
    ],
)
def test_synonyms_normalise_to_one_slot(variant: str) -> None:
    assert classify(variant) == ("fact", "order_id")
    assert normalise(variant) == normalise(variant.upper())


def test_literal_placeholder_only_when_slot_holds_it() -> None:
    template = "About order {{113542617735902}}:"
    with_slot = fill(template, customer_slots("order 113542617735902"), PROFILE)
    assert with_slot.text == "About order 113542617735902:"
    other = fill(template, customer_slots("order 3707955617"), PROFILE)
    assert other.text == template and other.unfilled == ["{{113542617735902}}"]


def test_descriptions_and_fact_like_unknowns_stay() -> None:
    for name in (
        "list of circumstances where customers can request refunds",
        "Termination Fees",
        "Refund Processing Time",
    ):
        result = fill("{{" + name + "}}", Slots(), PROFILE)
        assert result.unfilled == ["{{" + name + "}}"]


def test_values_are_not_reprocessed() -> None:
    slots = Slots()
    slots.add_entities([Entity("person_name", "{{Website URL}}", 0, 15)], 0)
    result = fill("Hi {{Person Name}}", slots, PROFILE)
    assert result.text == "Hi {{Website URL}}"


def test_no_invented_fact_in_any_bitext_style_template() -> None:
    """Every value put in is a slot or profile value; every placeholder left is listed."""
    slots = customer_slots("order 00123842, I'm David, refund $12")
    known = set(PROFILE.facts().values()) | set(slots.as_placeholder_values().values())
    templates = [
        "{{Order ID}} / {{Invoice Number}} / {{Website Name}} / {{Email}}",
        "{{Refund Amount}} {{Early Exit Fees}} {{Percentage}} {{Billing}}",
        "",
        "{{}}",
    ]
    for template in templates:
        result = fill(template, slots, PROFILE)
        for token, value in result.filled.items():
            kind, _ = classify(token[2:-2])
            assert kind == "label" or value in known, token
        left = PLACEHOLDER_RE.findall(result.text)
        assert sorted("{{" + n + "}}" for n in set(left)) == sorted(result.unfilled)
