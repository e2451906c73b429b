"""The "no invented facts" check for generated replies.

A suggested reply may only state numbers, amounts, phones, e-mails and URLs that appear in its
sources (the conversation, the cited KB/macro text, the company profile). ``find_invented``
lists the ones that do not; ``repair`` replaces each with a visible placeholder.

Why replace and not drop the sentence: the sentence around an invented phone number is usually
right ("you can call us at ..."); swapping the number for ``{{Customer Support Phone Number}}``
keeps the reply readable, shows the agent exactly what is missing, and lets
``assist.placeholders.fill`` put the profile's real value there.

Comparison is on normalised forms: phones by digits (a national number matches its
international form), URLs without scheme, "www." or trailing slash, e-mails case-insensitively,
numbers by value ("1,000" == "1000", "12.50" == "12.5", "007" == "7"); a range, date or
"24/7" is one fact whose parts must all appear. Not checked: list steps
("1." / "2)" at the start of a line), anything inside ``{{placeholders}}``, and short
letter-digit words such as "2nd" or "MP3" (an alphanumeric word with 3+ digits is an id and
is checked).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from assist.entities import extract_entities
from assist.placeholders import PLACEHOLDER_RE

_CHECKED = {
    "url": "url",
    "email": "email",
    "phone": "phone",
    "card_number": "phone",
    "refund_amount": "money",
}
REPAIR_PLACEHOLDERS = {
    "phone": "{{Customer Support Phone Number}}",
    "email": "{{Customer Support Email}}",
    "url": "{{Website URL}}",
    "money": "{{Amount}}",
    "number": "{{Number}}",
}
_NUMBER_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
# Words holding a digit ("1,000", "24/7", "A12345"); one start per word, so linear-time.
_DIGIT_WORD_RE = re.compile(r"(?<![^\W_])(?=[^\W_]*\d)[^\W_]+(?:[-/.,][^\W_]+)*")
_NUMERIC_WORD_RE = re.compile(r"[\d,./-]+")
_NON_DIGIT_RE = re.compile(r"\D")
_DIGIT_RUN_RE = re.compile(r"(?<![\d.+(-])\+?\(?\d[\d ().-]{5,24}\d")  # phone-like, in sources
_URL_PREFIX_RE = re.compile(r"(?i)^(?:[a-z]+://)?(?:www\.)?")
_LIST_STEP_RE = re.compile(r"(?m)^[ \t]*(?:[-*][ \t]*)?\d{1,2}[.)](?=\s)")
_MIN_PHONE_DIGITS = 7


@dataclass(frozen=True)
class Fact:
    kind: str  # phone | email | url | money | number
    start: int
    end: int
    surface: str
    keys: frozenset[str]
    parts: tuple[str, ...] = ()  # "24/7", "3-5": grounded when every part is


@lru_cache(maxsize=4096)
def _number_key(raw: str) -> str:
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return "num:" + raw
    return "num:" + format(value.normalize(), "f")


def _url_key(raw: str) -> str:
    url = _URL_PREFIX_RE.sub("", raw.strip()).rstrip("/")
    host, _, rest = url.partition("/")
    return "url:" + host.casefold() + ("/" + rest if rest else "")


@lru_cache(maxsize=4096)
def _keys(kind: str, surface: str) -> frozenset[str]:
    if kind == "url":
        return frozenset({_url_key(surface)})
    if kind == "email":
        return frozenset({"email:" + surface.casefold()})
    if kind == "phone":
        return frozenset({"digits:" + _NON_DIGIT_RE.sub("", surface)})
    if kind == "money":
        return frozenset(_number_key(n) for n in _NUMBER_RE.findall(surface))
    digits = _NON_DIGIT_RE.sub("", surface)
    keys = {"word:" + surface.casefold(), "digits:" + digits}
    if surface.replace(",", "").replace(".", "").isdigit():
        keys.add(_number_key(surface))
    return frozenset(keys)


def _mask_placeholders(text: str) -> str:
    return PLACEHOLDER_RE.sub(lambda m: " " * len(m.group()), text)


def facts(text: str, skip_list_steps: bool = True) -> list[Fact]:
    """Every checkable fact in ``text``, in order, with its character span."""
    masked = _mask_placeholders(text)
    if skip_list_steps:
        masked = _LIST_STEP_RE.sub(lambda m: " " * len(m.group()), masked)
    out: list[Fact] = []
    taken: list[tuple[int, int]] = []
    for ent in extract_entities(masked):
        kind = _CHECKED.get(ent.type)
        if kind is not None:
            out.append(Fact(kind, ent.start, ent.end, ent.value, _keys(kind, ent.value)))
            taken.append((ent.start, ent.end))
    taken_index = 0
    for word in _DIGIT_WORD_RE.finditer(masked):
        surface = word.group()
        while taken_index < len(taken) and taken[taken_index][1] <= word.start():
            taken_index += 1  # entities and words both come in reading order
        if taken_index < len(taken) and taken[taken_index][0] < word.end():
            continue  # inside a URL, e-mail, phone or amount: checked as that
        ndigits = sum(ch.isdigit() for ch in surface)
        if not surface.isdigit() and not _NUMERIC_WORD_RE.fullmatch(surface):
            if ndigits >= 3:  # an id-like word ("A12345"): checked whole
                out.append(
                    Fact("number", word.start(), word.end(), surface, _keys("number", surface))
                )
            continue  # "2nd", "MP3", "24h"
        numbers = _NUMBER_RE.findall(surface)
        if len(numbers) > 1:  # a range, date or "24/7": one fact, checked part by part
            out.append(
                Fact(
                    "number",
                    word.start(),
                    word.end(),
                    surface,
                    frozenset({"word:" + surface}),
                    tuple(_number_key(n) for n in numbers),
                )
            )
            continue
        for num in _NUMBER_RE.finditer(surface):
            start = word.start() + num.start()
            out.append(
                Fact(
                    "number",
                    start,
                    start + len(num.group()),
                    num.group(),
                    _keys("number", num.group()),
                )
            )
    return sorted(out, key=lambda f: f.start)


def _source_keys(sources: Iterable[str]) -> tuple[set[str], list[str]]:
    keys: set[str] = set()
    digit_runs: list[str] = []
    for source in sources:
        if not source:
            continue
        for fact in facts(source, skip_list_steps=False):
            keys |= fact.keys
        for num in _NUMBER_RE.findall(source):  # also numbers inside words, URLs, e-mails
            keys.add(_number_key(num))
            keys.add("digits:" + _NON_DIGIT_RE.sub("", num))
        for run in _DIGIT_RUN_RE.findall(source):
            digits = _NON_DIGIT_RE.sub("", run)
            keys.add("digits:" + digits)
            digit_runs.append(digits)
    return keys, digit_runs


def _grounded(fact: Fact, keys: set[str], digit_runs: list[str]) -> bool:
    if fact.keys & keys:
        return True
    if fact.parts:
        return all(part in keys for part in fact.parts)
    if fact.kind == "phone":  # "+1 555 0100" in the text, "555 0100" in the source, or reverse
        # Trunk zeros go too: "+44 20 7946 0958" is "020 7946 0958" dialled at home.
        digits = _NON_DIGIT_RE.sub("", fact.surface).lstrip("0")
        for run in digit_runs:
            d = run.lstrip("0")
            if len(d) >= _MIN_PHONE_DIGITS and (digits.endswith(d) or d.endswith(digits)):
                return True
    return False


def invented_facts(text: str, sources: Iterable[str]) -> list[Fact]:
    keys, digit_runs = _source_keys(sources)
    return [f for f in facts(text) if not _grounded(f, keys, digit_runs)]


def find_invented(text: str, sources: Iterable[str]) -> list[str]:
    """The numbers, amounts, phones, e-mails and URLs of ``text`` found in no source."""
    seen: list[str] = []
    for fact in invented_facts(text, sources):
        if fact.surface not in seen:
            seen.append(fact.surface)
    return seen


def repair(text: str, sources: Iterable[str]) -> str:
    """``text`` with every invented fact replaced by a visible placeholder of its kind."""
    for fact in reversed(invented_facts(text, sources)):
        text = text[: fact.start] + REPAIR_PLACEHOLDERS[fact.kind] + text[fact.end :]
    return text
