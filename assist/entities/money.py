"""Money amounts ("$12.50", "30 euros", "£5", "USD 1,200") and account tiers ("premium account").

Amounts are typed ``refund_amount`` because that is the only money slot the reply templates use.
Account tiers follow Bitext's vocabulary (free, freemium, premium, platinum, gold, standard, pro)
plus the usual tier names, and count only next to a plan noun ("account", "profile", typos
allowed) or after "upgrade to", so "free shipping" or "gold jewellery" is not an account type.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rapidfuzz import fuzz

from assist.entities.base import DIGIT_RE, Candidate, lower_same_offsets

# All money and tier patterns run on the lower-cased text (``lower_same_offsets``): faster than
# IGNORECASE, same offsets.
_NUM = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d{1,9}(?:[.,]\d{1,2})?)"  # "1,200.50", "49,99"
_CUR_WORDS = r"dollars?|bucks|euros?|pounds?|usd|eur|gbp|cad|aud"
CURRENCY_HINT_RE = re.compile(r"[$£€¥]|usd|eur|gbp|dollar|buck|euro|pound|cad|aud")
_SCALE = r"(?:[km]\b|bn\b|\s(?:million|billion|thousand)\b)?"
MONEY_RE = re.compile(
    rf"(?:\b(?:us|ca|au))?[$£€¥]\s?{_NUM}(?![\d,]|\.\d){_SCALE}"
    rf"|\b(?:usd|eur|gbp)\s?{_NUM}(?![\d,]|\.\d){_SCALE}"
    rf"|(?<![\w.,]){_NUM}\s?(?:[$£€¥]|(?:{_CUR_WORDS})\b)"
)

_TIERS = (
    r"free|freemium|premium|platinum|gold|silver|bronze|standard|pro|basic|business|"
    r"plus|enterprise|vip"
)
_TIER_WORDS = tuple(_TIERS.split("|"))
_PLAN_NOUNS = frozenset(
    (
        "account",
        "accounts",
        "profile",
        "plan",
        "membership",
        "subscription",
        "tier",
        "user",
        "member",
        "package",
    )
)
ACCOUNT_RE = re.compile(
    rf"\b(?P<tier>{_TIERS})\b(?=[ \t]+(?P<w1>[a-z]{{2,14}})\b(?:[ \t]+(?P<w2>[a-z]{{2,14}})\b)?)"
    rf"|\b(?:upgrade|downgrade|switch|change|move|go|upgrading|downgrading|switching)\s+"
    rf"(?:my\s+\w+\s+)?(?:to|into)\s+(?:a\s+|an\s+|the\s+)?(?P<tier2>{_TIERS})\b"
)

# Typing noise glues words: "myFreemium account", "aPro account", "Premiumaccount".
_TIERS_TITLE = "|".join(t.title() for t in _TIERS.split("|"))
CAMEL_ACCOUNT_RE = re.compile(  # on the original text: the capital marks the glue
    rf"(?<=[a-z])(?:{_TIERS_TITLE})(?=[ \t]*(?i:account|profile)s?\b)"
)
GLUED_ACCOUNT_RE = re.compile(rf"\b(?:{_TIERS})(?=(?:account|profile)s?\b)")


def _plan_noun(word: str | None) -> bool:
    """ "account" and its usual typos ("acount", "accoynt"), or another plan noun."""
    if not word:
        return False
    w = word.lower()
    return w in _PLAN_NOUNS or max(fuzz.ratio(w, "account"), fuzz.ratio(w, "profile")) >= 80


def find_money(text: str) -> Iterator[Candidate]:
    """Money amounts; typed ``refund_amount`` because that is the only money slot replies use."""
    if not DIGIT_RE.search(text):
        return
    lowered = lower_same_offsets(text)
    if not CURRENCY_HINT_RE.search(lowered):
        return
    for m in MONEY_RE.finditer(lowered):
        yield Candidate(5, m.start(), m.end(), "refund_amount")


def find_account_types(text: str) -> Iterator[Candidate]:
    lowered = lower_same_offsets(text)
    if not any(tier in lowered for tier in _TIER_WORDS):
        return
    for m in ACCOUNT_RE.finditer(lowered):
        if m.group("tier2"):
            yield Candidate(8, m.start("tier2"), m.end("tier2"), "account_type")
        elif _plan_noun(m.group("w1")) or _plan_noun(m.group("w2")):
            yield Candidate(8, m.start("tier"), m.end("tier"), "account_type")
    for m in GLUED_ACCOUNT_RE.finditer(lowered):
        yield Candidate(8, m.start(), m.end(), "account_type")
    for m in CAMEL_ACCOUNT_RE.finditer(text):
        yield Candidate(8, m.start(), m.end(), "account_type")
