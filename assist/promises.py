"""What counts as a promise in a draft, and which promises a source (macro, KB text, profile)
already makes: the lexicon half of ``assist.safety``.

Why a module of its own: these patterns are the part that grows with what agents report (a new
way of saying "free", a currency), and they are easiest to review and test without the repair
logic around them. ``promise_hits`` finds the promises of a text with their kind and the slot
that replaces them; ``promised_kinds`` what a set of sources allows; negated sentences ("we
can't offer a voucher") promise nothing. Regexes only, each kind behind a cheap substring test.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from assist.placeholders import PLACEHOLDER_RE

_MONEY = (
    r"(?:[$€£]\s?\d[\d,.]*|\b\d[\d,.]*\s?(?:dollars?|euros?|pounds?|usd|eur|gbp)\b"
    r"|\{\{[^{}]*amount[^{}]*\}\})"
)
_WE = r"\b(?:we|i)\b"
_GAP = r"[^.!?\n]{0,%d}?"
OFFER_NOUN = (
    r"(?:vouchers?|coupons?|gift ?cards?|gift certificates?|store credit|account credit|credit"
    r" note|compensation|goodwill gesture|gesture of goodwill|discounts?(?: codes?)?|promo(?:tion"
    r"(?:al)?)? codes?|coupon codes?|rebates?|cash ?back|reward points|loyalty points)"
)
_OFFER_VERB = r"(?:offer|give|send|issue|add|provide|grant|award|credit|email)(?:s|ed|ing)?"
_DAY = (
    r"(?:tomorrow|today|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|the end of|next week|this week)"
)
_ARRIVE = (
    r"(?:arrive|be delivered|be there|reach you|get to you|be with you|be shipped|ship|"
    r"be dispatched)"
)


def rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# (kind, slot, pattern): kind is what a source must also promise for the draft to promise it
PROMISES: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (kind, slot, rx(p))
    for kind, slot, p in [
        (
            "full refund",
            "refund",
            r"\bfull refund\b|\brefund(?:ed)? (?:you )?in full\b|\b100 ?% refund\b|\b(?:refund|"
            r"reimburse)\w* (?:you )?(?:for )?(?:the )?(?:full|entire|whole) (?:amount|price|cost)",
        ),
        (
            "refund amount",
            "refund",
            r"\b(?:refund|reimburs)\w*\b"
            + _GAP % 40
            + _MONEY
            + "|"
            + _MONEY
            + _GAP % 20
            + r"\b(?:refund|reimburse)",
        ),
        (
            "refund",
            "refund",
            _WE + r"(?:'ll|'ve|'d| will| have| had| shall| would| are going to| am going to|"
            r" can| could)?(?: \w+ly)? (?:refund|reimburse)(?:ed)? (?:you|your|the|it|this)\b"
            "|" + _WE + r"(?:'ll|'ve|'d| will| have| had| shall| would| are going to|"
            r" am going to)?(?: \w+ly)? (?:issue|process|approve|initiate|send|give|grant|"
            r"arrange|authori[sz]e)(?:d|s)? (?:you )?(?:a |an |your |the )?(?:full |partial |"
            r"immediate )?refund\b"
            r"|\byour refund (?:has been|was|is being|is|will be|has) (?:now )?(?:approved|"
            r"issued|processed|granted|sent|initiated|authori[sz]ed|on its way|been)"
            r"|\byou(?:'ll| will| are going to)?(?: \w+ly)? (?:receive|get|be getting) (?:a |an |"
            r"your |the )?(?:full |partial )?refund\b|\byou(?:'ll| will)? be refunded\b",
        ),
        (
            "compensation amount",
            "compensation",
            OFFER_NOUN
            + r" (?:of|worth|for|totall?ing) "
            + _MONEY
            + "|"
            + _MONEY
            + r"(?: \w+){0,2} "
            + OFFER_NOUN,
        ),
        (
            "compensation",
            "compensation",
            _WE
            + _GAP % 30
            + r"\b"
            + _OFFER_VERB
            + r"\b"
            + _GAP % 40
            + r"\b"
            + OFFER_NOUN
            + r"|\byou(?:'ll| will| are going to)?(?: \w+ly)? (?:receive|get|be getting|be "
            r"given|be sent|be issued|be credited|be compensated)\b"
            + _GAP % 30
            + r"\b"
            + OFFER_NOUN
            + r"|\bhere(?:'s| is) (?:a |an |your )?(?:\S+ ){0,3}(?:"
            + OFFER_NOUN
            + r"|code)\b|\b(?:as )?a (?:small )?(?:gesture|token) of (?:goodwill|"
            r"our apology|apology|appreciation)\b|" + _WE + r"(?:'ll| will| would| can)?"
            r" compensate\b|\bcode\s*:\s*[A-Z0-9-]{4,}",
        ),
        (
            "discount",
            "compensation",
            r"\b\d{1,3} ?% ?(?:off|discount)\b|\b(?:discount|reduction) of (?:\d|"
            + _MONEY
            + r")|"
            + _MONEY
            + r" off\b|\bhalf price\b|\bunlimited discounts\b",
        ),
        (
            "free",
            "free",
            r"\bfree of (?:charge|cost)\b|\bat no (?:extra |additional )?(?:cost|charge)\b|"
            r"\bfor free\b|\bfree (?:shipping|delivery|express|returns?|replacement|upgrade|"
            r"items?|gifts?|products?|orders?|forever)\b|\b(?:is|are|be|it's|is now|will be) "
            r"(?:completely |totally |entirely |now )?free\b|\bcomplimentary\b|\bon the house\b|"
            r"\bwaive[ds]?\b|\bno (?:additional |extra )?(?:charges?|fees?|cost)\b",
        ),
        (
            "guarantee",
            "delivery",
            r"\bguarantee[ds]?\b|\bguaranteeing\b|" + _WE + r" promise\b|\bpromise (?:you|that)\b"
            r"|\b100 ?% (?:sure|certain)\b",
        ),
        (
            "delivery date",
            "delivery",
            r"\b(?:is|are|be|being|gets?) (?:delivered|shipped|dispatched|arriving)\b (?:(?:by|on|"
            r"before) (?:the )?" + _DAY + r"|(?:tomorrow|today|tonight)\b)|"
            r"(?:\bwill|'ll|\bis going to|\bare going to|\bshall) (?:definitely |certainly |"
            r"surely |absolutely )?"
            + _ARRIVE
            + r"(?: to you| at your (?:door|address))? (?:(?:by|on|before) (?:the )?"
            + _DAY
            + r"|(?:tomorrow|today|tonight|this week|next week)\b)",
        ),
    ]
)
# Words without which a kind cannot match: a plain substring test skips most patterns.
TRIGGERS = {
    "full refund": ("refund", "reimburs"),
    "refund amount": ("refund", "reimburs"),
    "refund": ("refund", "reimburs"),
    "compensation amount": (
        *("voucher", "coupon", "gift", "credit", "compensation", "goodwill", "discount"),
        *("promo", "rebate", "cash", "points"),
    ),
    "compensation": (
        *("voucher", "coupon", "gift", "credit", "compensat", "goodwill", "discount"),
        *("promo", "rebate", "cash", "points", "code", "gesture", "token"),
    ),
    "discount": ("%", "discount", "reduction", " off", "half price"),
    "free": ("free", "charge", "cost", "complimentary", "house", "waive", "fee"),
    "guarantee": ("guarantee", "promise", "sure", "certain"),
    "delivery date": ("arriv", "deliver", "ship", "dispatch", "reach", "there", "with you"),
}
NEGATION = rx(
    r"\b(?:not|no|never|cannot|can't|won't|unable|don't|doesn't|isn't|aren't|unfortunately|"
    r"neither|nor)\b|n't\b"
)
_SENTENCE = re.compile(r"[^\n.!?]*(?:[.!?]+[\"')\]]*|\n|$)")


def sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.group().strip()]


def _masked(text: str) -> str:
    """``text`` with placeholders blanked out (same length), amounts kept: "{{Amount}}" is an
    amount the draft states, "{{Order Number}}" is no promise."""
    return PLACEHOLDER_RE.sub(
        lambda m: m.group() if "amount" in m.group().lower() else " " * len(m.group()), text
    )


def promise_hits(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, str, str]]:
    """(position, kind, slot) of each promise not negated in its own sentence."""
    masked = _masked(text)
    lowered = masked.lower()
    out = []
    for kind, slot, pattern in PROMISES:
        if not any(word in lowered for word in TRIGGERS[kind]):
            continue
        for m in pattern.finditer(masked):
            start = next((s for s, e in spans if s <= m.start() < e), 0)
            if NEGATION.search(masked, max(start, m.start() - 60), m.start()) is None:
                out.append((m.start(), kind, slot))
    return out


def find_promises(text: str) -> list[str]:
    """The kinds of promise in ``text`` (negated ones left out), in reading order."""
    hits = sorted(promise_hits(text, sentences(text)))
    return list(dict.fromkeys(kind for _, kind, _ in hits))


# A source that describes how refunds are paid ("Refunds are issued to the original payment
# method...") lets the draft say a refund will come; a refund *amount* still needs its own.
_SOURCE_REFUND = rx(
    r"\brefunds? (?:are|is|will be|gets?) (?:\w+ )?(?:issued|processed|credited|sent|paid|"
    r"returned|made)\b|\brefunds? go(?:es)? back\b|\bfor a (?:full )?refund\b|\brefunded\b"
)


@lru_cache(maxsize=256)
def _kinds(source: str) -> frozenset[str]:
    lowered = source.lower()
    kinds = {
        kind
        for kind, _, pattern in PROMISES
        if any(word in lowered for word in TRIGGERS[kind]) and pattern.search(source)
    }
    if "full refund" in kinds or _SOURCE_REFUND.search(source):
        kinds.add("refund")
    return frozenset(kinds)


def promised_kinds(sources: Iterable[str]) -> set[str]:
    """The kinds of promise the sources make (negated or not: a source that speaks of "no
    fee" or "free returns" may be paraphrased)."""
    kinds: set[str] = set()
    for source in sources:
        if source:
            kinds |= _kinds(source)
    return kinds
