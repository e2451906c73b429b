"""E-mails, URLs, phone numbers and payment cards.

Phones are found by a loose digit-run pattern and validated with ``phonenumbers`` (Google's
libphonenumber metadata); a bare digit run needs a phone word nearby, since in shop chat it is
far more often an order id. Cards need a valid Luhn checksum plus 4-4-4-4 grouping or a card
word, so ids do not read as cards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers

from assist.entities.base import DIGIT_RE, Candidate

EMAIL_RE = re.compile(
    r"(?<![\w.%+-])[\w.%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.){1,8}[A-Za-z]{2,24}\b"
)
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]"
# Bare domains ("shop.example.com/help") only in lower case: "Reagan.It" is a missing space.
URL_RE = re.compile(
    rf"(?<![\w@/.-])(?:(?i:https?://|www\.){_URL_CHARS}{{1,2000}}|"
    r"(?:[a-z0-9-]{1,63}\.){1,5}(?:com|org|net|io|shop|store|co\.uk|co|uk|de|fr|es|it|nl|eu|"
    rf"info|biz|us|ca|au|app)\b(?![@-])(?:/{_URL_CHARS}{{0,2000}})?)"
)
_URL_TRAILING = ".,;:!?)]}'\""
# A phone-looking run: digits with the usual separators; phonenumbers then validates it.
PHONE_RE = re.compile(r"(?<![\w+(.,/-])(?:\+|\(\+?)?\d[\d ().-]{5,18}\d(?![\w-]|[.,]\d)")
PHONE_CONTEXT_RE = re.compile(
    r"(?i)\b(?:phone|call|tel|telephone|mobile|cell|text|sms|whatsapp|reach me|number)\b"
)
PHONE_REGIONS = ("US", "GB")
# Real numbers group their digits ("+1 415 555 2671"); "1 1 1 1 1 1 1" is a list, not a phone.
_LONE_DIGIT_GROUP_RE = re.compile(r"[ .-]\d(?!\d)")
MAX_PHONE_PARSES = 64  # phonenumbers.parse is ~30 us: bound the work on hostile input
CARD_RE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
CARD_CONTEXT_RE = re.compile(r"(?i)\b(?:card|visa|mastercard|amex|credit|debit)\b")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def find_contacts(text: str) -> Iterator[Candidate]:
    if "@" in text:
        for m in EMAIL_RE.finditer(text):
            yield Candidate(0, m.start(), m.end(), "email")
    if "." in text:
        for m in URL_RE.finditer(text):
            end = m.end()
            while end > m.start() and text[end - 1] in _URL_TRAILING:
                end -= 1
            yield Candidate(1, m.start(), end, "url")


def _valid_phone(raw: str) -> bool:
    regions: tuple[str | None, ...] = (None,) if raw.lstrip("(").startswith("+") else PHONE_REGIONS
    for region in regions:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(raw, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def find_numbers(text: str) -> Iterator[Candidate]:
    """Phones, payment cards: both need digits, so skip the work on digit-free text."""
    if not DIGIT_RE.search(text):
        return
    card_context = CARD_CONTEXT_RE.search(text) is not None
    for m in CARD_RE.finditer(text):
        raw = m.group()
        digits = raw.replace(" ", "").replace("-", "")
        grouped = re.fullmatch(r"\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}", raw) is not None
        if _luhn_ok(digits) and (grouped or card_context):
            yield Candidate(3, m.start(), m.end(), "card_number")
    phone_context = PHONE_CONTEXT_RE.search(text) is not None
    parses = 0
    for m in PHONE_RE.finditer(text):
        raw = m.group()
        # A bare digit run is far more often an id than a phone: require a phone word nearby.
        if (raw.isdigit() and not phone_context) or _LONE_DIGIT_GROUP_RE.search(raw):
            continue
        parses += 1
        if parses > MAX_PHONE_PARSES:
            return
        if _valid_phone(raw):
            yield Candidate(4, m.start(), m.end(), "phone")
