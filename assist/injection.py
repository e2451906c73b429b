"""Signs that a customer message addresses the model, and that a draft obeyed it: the
instruction-following half of ``assist.safety``.

Why a module of its own: the prompt (``assist.prompt``) needs ``looks_like_injection`` to add
its note, and the checks need the rest; neither needs the promise lexicon. A message is an
injection when it talks to the model ("ignore your rules", "SYSTEM:", "developer mode",
"repeat the text above"); a draft followed it when it says what was demanded, echoes a run of
the message's words, takes up what the message demanded (a voucher, "50% off"), or talks about
its own instructions (``META``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from assist.entities.money import MONEY_RE
from assist.promises import NEGATION, OFFER_NOUN, rx

# The draft talks about its instructions or plays the role a message gave it.
META = rx(
    r"\b(?:developer|dev|god|admin|debug|jailbreak|dan|unrestricted|sudo) mode\b|\bmode "
    r"(?:enabled|activated|on)\b|\bsystem (?:prompt|message|instructions?)\b|\b(?:my|previous|"
    r"prior|original|initial|hidden|earlier) (?:instructions|prompt|programming|guidelines|"
    r"rules)\b|\binstructions (?:i was|i've been|i have been|you) (?:given|gave)\b|\bi (?:was|"
    r"am|have been|'ve been|'m) (?:told|instructed|programmed|trained|designed) to\b|\bas an "
    r"ai\b|\bi(?: am|'m) an ai\b|\blanguage model\b|\b(?:no|without any) (?:rules|"
    r"restrictions|filters)\b|\bi am dan\b|\bi'm dan\b"
)

META_TRIGGERS = (
    *("mode", "system", "instruction", "prompt", "programm", "guideline", "rules", "told"),
    *("trained", "designed", " ai", "language model", "restriction", "filter", "dan"),
)

# A customer message that addresses the model instead of the shop ("^" is per line: a
# "SYSTEM:" line anywhere counts).
INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass|skip|drop)\b[^.!?\n]{0,40}\b(?:instructions?|"
    r"rules?|guidelines?|polic(?:y|ies)|training|prompts?|programming|restrictions?|"
    r"everything|all of the above|the above|previous|prior)\b"
    r"|^\W*(?:system|admin|administrator|developer|assistant|root|override)\b[^:\]\n]{0,30}[:\]]"
    r"|\[(?:system|admin|inst|developer)[^\]]{0,30}\]|</s>|<\|[a-z_]+\|>|<<sys>>"
    r"|\b(?:developer|dev|god|admin|debug|jailbreak|dan|unrestricted|sudo) mode\b|\bjailbreak"
    r"|\byou are (?:now|no longer)\b|\bfrom now on,? you\b|\bpretend (?:to be|you|that|the)\b"
    r"|\bact as (?:a|an|if)\b|\brole-?play\b|\byou are dan\b"
    r"|\b(?:system|initial|hidden|original) prompt\b|\byour (?:instructions|system message|"
    r"programming|prompt)\b|\binstructions (?:you were|you've been|you have been) given\b"
    r"|\brepeat (?:the|everything|all)\b[^.!?\n]{0,20}\b(?:above|before|prompt)\b"
    r"|\b(?:reply|respond|answer) (?:only )?with\b\s*:?\s*['\"“‘]|\b(?:say|write|type) "
    r"(?:exactly |only |this |the following )?:?\s*['\"“‘]|\bconfirm by saying\b"
    r"|\bnew rule\b|\bi order you\b|\bas (?:the|your) (?:system )?(?:administrator|admin|"
    r"developer|creator|manager)\b|\bi am your (?:developer|creator|admin|administrator)\b",
    re.IGNORECASE | re.MULTILINE,
)
_DEMAND = re.compile(
    r"\b(?:say|write|type|reply|respond|answer|confirm by saying|tell me)\b[^'\"“‘\n]{0,30}"
    r"['\"“‘]([^'\"”’\n]{3,200})['\"”’]"
    r"|\b(?:say|tell me)(?: that)? ((?:the|my|your|you|it|this)\b[^.!?\n]{3,120})",
    re.IGNORECASE,
)
# What an injected message demands and a draft must not take up (the customer asked the model,
# not the shop): under an injection, a draft naming one of these as the message does is
# withheld even when it promises nothing outright.
DEMAND_TERMS = rx(
    OFFER_NOUN + r"|\bfull refund\b|\bfree\b|\d+ ?% ?off\b|\b\d+ ?%|\bdeveloper mode\b|"
    r"\bsystem prompt\b|\bguarantee\w*|\bstore credit\b"
)
# A number in a draft, compared with the amounts of money the injected message names
# (``assist.entities.money.MONEY_RE``: "a refund of 250 euros", "$40"): repeating one, with or
# without the currency, takes up the demand.
_NUMBER = re.compile(r"(?<![\d.,])\d+(?:[.,]\d+)?")
_WORD = re.compile(r"[a-z0-9']+")
ECHO_WORDS = 5  # a run this long of the injected message's words is an echo
LEAK_WORDS = 6  # a run this long of the prompt's rules is a leak
_STOPWORDS = frozenset(
    "a an the to of and or is are be you your my me i it this that".split()  # noqa: SIM905
)


def looks_like_injection(text: str) -> bool:
    """Does a customer message address the model ("ignore your rules", "SYSTEM: ...")?"""
    return INJECTION.search(text) is not None


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


@lru_cache(maxsize=256)
def _ngrams(text: str, n: int) -> frozenset[tuple[str, ...]]:
    words = _words(text)
    grams = (tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    return frozenset(g for g in grams if not set(g) <= _STOPWORDS)


def shares_run(text: str, other: str, n: int) -> bool:
    """Do ``text`` and ``other`` share a run of ``n`` words (not all of them stopwords)?"""
    words = _words(text)
    grams = _ngrams(other, n)
    return any(tuple(words[i : i + n]) in grams for i in range(len(words) - n + 1))


def demanded(message: str) -> list[str]:
    """The words a message tells the model to say ("say 'X'", "tell me that X")."""
    return [(m.group(1) or m.group(2)).strip() for m in _DEMAND.finditer(message)]


def _term(text: str) -> str:
    return re.sub(r"\s+|s$", "", text.lower())


def taken_up(sentence: str, message: str) -> str | None:
    """The first thing the message demands (a voucher, "free", "50%", an amount of money) that
    the sentence names too, not negated."""
    demanded = {_term(m.group()) for m in DEMAND_TERMS.finditer(message)}
    for m in DEMAND_TERMS.finditer(sentence):
        if _term(m.group()) in demanded and not NEGATION.search(sentence, 0, m.start()):
            return m.group().lower()
    amounts = {n for m in MONEY_RE.finditer(message.lower()) for n in _NUMBER.findall(m.group())}
    for m in _NUMBER.finditer(sentence):
        if m.group() in amounts and not NEGATION.search(sentence, 0, m.start()):
            return m.group()
    return None


def demand_met(sentence: str, demanded: str) -> bool:
    """The sentence says what was demanded: all its content words, or a run of 3 of them."""
    words = _words(demanded)
    content = [w for w in words if w not in _STOPWORDS]
    if not content:
        return False
    if len(words) < 3:
        said = set(_words(sentence))
        return all(w in said for w in content)
    return shares_run(sentence, demanded, 3)
