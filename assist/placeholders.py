"""Fill Bitext-style ``{{Placeholder}}`` slots in reply templates, without inventing facts.

A placeholder is one of three kinds (``classify``):

* fact: an id, name, amount, contact detail, hours... Filled ONLY from the conversation's slots
  (customer-provided values) or the company profile. When neither knows the value the
  placeholder stays in the text exactly as written (``{{Order Number}}``) and is listed in
  ``unfilled``, so the agent sees what to complete. Unknown fact-like names ("{{Refund
  Processing Time}}", "{{Termination Fees}}") are facts nobody knows: they stay visible too.
* label: the name of a part of the website ("{{Order History}}", "{{Account Settings}}").
  Not a fact, so it is always rendered: the profile's ``[labels]`` wording if set, otherwise
  the name itself without braces ("Order History").
* literal: a value written into the braces ("{{113542617735902}}"); rendered only when a slot
  holds that very value, otherwise left visible.

Names are normalised before lookup: case, spacing and the word "Anonymized" are ignored, so
"{{Order Number Anonymized}}", "{{order number}}" and "{{Order ID}}" are one slot.

A value that ends with the word the template says next is not doubled: "our {{Website Name}}
website" with the name "Example Shop website" reads "our Example Shop website".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from assist.profile import CompanyProfile
from assist.slots import Slots

PLACEHOLDER_RE = re.compile(r"\{\{([^{}\n]{1,160})\}\}")
_WITH_NEXT_WORD = re.compile(PLACEHOLDER_RE.pattern + r"(\s+(\w+))?")  # + the word after it
_LAST_WORD = re.compile(r"(\w+)\W*$")
Kind = Literal["fact", "label", "literal", "description"]

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "order_id": (
        "order number",
        "order id",
        "purchase number",
        "purchase id",
        "order no",
        "order reference",
        "purchase reference",
    ),
    "invoice_id": ("invoice number", "invoice id", "bill number", "bill id", "receipt number"),
    "person_name": (
        "person name",
        "name",
        "customer name",
        "client name",
        "name field",
        "full name",
        "first name",
    ),
    "refund_amount": ("refund amount", "refund value", "reimbursement amount"),
    "delivery_city": ("delivery city", "city", "shipping city"),
    "delivery_country": ("delivery country", "country", "shipping country"),
    "account_type": ("account type", "account category", "plan type", "account tier"),
    "company_name": ("company name", "store name", "shop name", "business name"),
    "website_name": (
        "website name",
        "website",
        "website or app",
        "website/app name",
        "website or app name",
        "site name",
    ),
    "website_url": ("website url", "company website", "service website", "url", "site url"),
    "support_phone": (
        "customer support phone number",
        "support phone number",
        "phone number",
        "customer service phone number",
        "customer assistance phone number",
        "complaint phone number",
        "phone",
        "support phone",
        "customer support phone number anonymized",
    ),
    "support_email": (
        "customer support email",
        "customer support email address",
        "email",
        "support email",
        "support email address",
        "customer service email",
        "customer service email address",
        "complaint email address",
        "feedback email address",
        "email address",
    ),
    "support_hours": (
        "customer support hours",
        "customer service hours",
        "support hours",
        "customer support availability",
        "support team availability",
        "customer assistance hours",
        "operating hours",
        "business hours",
        "hours",
        "availability",
        "opening hours",
    ),
    "live_chat": ("live chat", "chat", "live chat name"),
}
# Fallbacks when the primary fact is unknown: another fact that says the same.
_FALLBACKS = {"website_name": ("company_name", "website_url")}
# Words that make an unknown name a fact rather than a navigation label.
_FACT_WORDS_TEXT = (
    "number id amount fee fees charge charges penalty penalties time date hours "
    "days day percentage phone email url price cost timeframe frame anonymized"
)
_FACT_WORDS = frozenset(_FACT_WORDS_TEXT.split())


def normalise(name: str) -> str:
    words = [w for w in re.split(r"\s+", name.strip().casefold()) if w != "anonymized"]
    return " ".join(words)


_CANONICAL = {normalise(s): key for key, names in _SYNONYMS.items() for s in names}


def classify(name: str) -> tuple[Kind, str]:
    """(kind, key): key is the canonical fact name, the literal value, or the label text."""
    norm = normalise(name)
    if norm in _CANONICAL:
        return "fact", _CANONICAL[norm]
    if re.fullmatch(r"#?[0-9A-Fa-f-]{4,80}", name.strip()) and any(c.isdigit() for c in name):
        return "literal", name.strip()
    words = set(re.findall(r"[a-z]+", norm))
    if words & _FACT_WORDS:
        return "fact", norm
    label = re.sub(r"\s+anonymized\b", "", name.strip(), flags=re.I)
    if not label[:1].isupper() or len(label.split()) > 5:
        return "description", label  # "{{list of situations where ...}}": for a writer
    return "label", label


@dataclass(frozen=True)
class FillResult:
    text: str
    filled: dict[str, str] = field(default_factory=dict)  # "{{Name}}" -> value put in
    unfilled: list[str] = field(default_factory=list)  # "{{Name}}" left visible, in order


def _fact_value(key: str, values: dict[str, str]) -> str | None:
    for k in (key, *_FALLBACKS.get(key, ())):
        if values.get(k):
            return values[k]
    return None


def _same_literal(literal: str, value: str) -> bool:
    def core(s: str) -> str:
        return s.lstrip("#").lstrip("0").casefold()

    return core(literal) == core(value)


def fill(text: str, slots: Slots, profile: CompanyProfile) -> FillResult:
    """Replace every placeholder it can; see the module docstring for the rules."""
    values = {**profile.facts(), **slots.as_placeholder_values()}
    filled: dict[str, str] = {}
    unfilled: list[str] = []

    def replace(m: re.Match[str]) -> str:
        name, after, next_word = m.group(1), m.group(2) or "", m.group(3)
        token = "{{" + name + "}}"
        kind, key = classify(name)
        value: str | None
        if kind == "fact":
            value = _fact_value(key, values)
        elif kind == "literal":
            value = next((v for v in values.values() if _same_literal(key, v)), None)
        elif kind == "label":
            value = profile.label(key) or key
        else:
            value = None
        if value is None:
            if token not in unfilled:
                unfilled.append(token)
            return token + after
        filled[token] = value
        last = _LAST_WORD.search(value)
        if last and next_word and last.group(1).casefold() == next_word.casefold():
            return value  # "Example Shop website" + " website": said once
        return value + after

    return FillResult(_WITH_NEXT_WORD.sub(replace, text), filled, unfilled)
