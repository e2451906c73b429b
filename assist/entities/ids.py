"""Order and invoice ids: a keyword ("order", "bill #") then a token with digits.

Why keyword-anchored: a bare number is usually a quantity, a year or a price; the word before
it is what makes it an id. Typos in the keyword are common in chat ("purhase", "invoicw"), so a
number without an exact keyword is typed by the fuzzy-matched word before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rapidfuzz import fuzz

from assist.entities.base import DIGIT_RE, Candidate, lower_same_offsets

# An id token: letters/digits/dashes with at least three digits (so "order 2 items" is no id).
_ID = r"#?(?=(?:[A-Za-z-]*\d){3})[A-Za-z0-9][A-Za-z0-9-]{2,39}(?![\w-])"
# Quantities that follow a number: "order 100 pieces" names an amount, not an order.
_NOT_QUANTITY = (
    r"(?!\s*(?:items?|pieces?|pcs|units?|days?|hours?|weeks?|months?|years?|"
    r"dollars?|euros?|pounds?|usd|eur|gbp|%))"
)
_FILLER = r"(?:\s+(?:number|no\.?|num|nr|id|ref|reference|code))?(?:\s+(?:is|was))?\s*[:=]?\s*"
_ORDER_WORDS = r"order|orders|purchase|purchases|roder|ordr|oder|shipment|package|parcel"
_INVOICE_WORDS = r"invoice|invoices|bill|bills|receipt|receipts|inovice|invoce|invioce"
# Matched on the lower-cased text (offsets are unchanged, see ``lower_same_offsets``).
ORDER_RE = re.compile(rf"\b(?:{_ORDER_WORDS})\b{_FILLER}(?P<id>{_ID}){_NOT_QUANTITY}")
INVOICE_RE = re.compile(rf"\b(?:{_INVOICE_WORDS})\b{_FILLER}(?P<id>{_ID}){_NOT_QUANTITY}")
# Without an exact keyword right before it, an id-looking token (a long digit run or "#12345",
# possibly glued to the word before: "order113542617735902") is typed by the nearest word,
# allowing typos ("purhase", "invoicw"); failing that it is an order id only when the message
# talks about orders at all.
ORDER_TALK_RE = re.compile(rf"(?i)\b(?:{_ORDER_WORDS}|tracking)\b")
BARE_ID_RE = re.compile(
    r"(?<![\w#.,-])(?P<glued>[A-Za-z]{0,12})(?P<id>#\d{4,20}|\d{6,20})(?![\w-]|[.,]\d)"
    + _NOT_QUANTITY,
    re.I,
)
_WORD_BEFORE_RE = re.compile(r"([A-Za-z]{2,12})[ \t:#-]{1,3}$")
_KEYWORDS = (("order_id", ("order", "purchase")), ("invoice_id", ("invoice", "bill", "receipt")))
_YEAR_RE = re.compile(r"#?(?:19|20)\d\d")


def _kind_of_word(word: str) -> str | None:
    """Which id a (possibly misspelt) keyword announces: "purhase" -> order_id."""
    w = word.lower()
    for kind, keywords in _KEYWORDS:
        for kw in keywords:
            if w.endswith(kw) or fuzz.ratio(w, kw) >= 80:
                return kind
    return None


def find_ids(text: str) -> Iterator[Candidate]:
    if not DIGIT_RE.search(text):
        return
    lowered = lower_same_offsets(text)
    for rx, kind in ((INVOICE_RE, "invoice_id"), (ORDER_RE, "order_id")):
        for m in rx.finditer(lowered):
            if not _YEAR_RE.fullmatch(m.group("id")):
                yield Candidate(2, m.start("id"), m.end("id"), kind)
    order_talk: bool | None = None
    for m in BARE_ID_RE.finditer(text):
        if _YEAR_RE.fullmatch(m.group("id")):
            continue
        word: str = m.group("glued") or ""
        if not word:
            before = _WORD_BEFORE_RE.search(text, max(0, m.start() - 16), m.start())
            word = before.group(1) if before else ""
        announced = _kind_of_word(word) if word else None
        if announced is not None:
            yield Candidate(2, m.start("id"), m.end("id"), announced)
            continue
        if m.group("glued"):
            continue
        if order_talk is None:
            order_talk = ORDER_TALK_RE.search(text) is not None
        if order_talk:
            yield Candidate(9, m.start("id"), m.end("id"), "order_id")
