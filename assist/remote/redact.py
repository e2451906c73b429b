"""Redact PII into stable placeholders before text leaves the device; restore it on the way back.

Why placeholders and not deletion: the remote model still needs to know *that* the customer gave
an e-mail or a card, and its reply must be able to mention it ("we sent it to [EMAIL_1]").
``[EMAIL_1]`` is short, upper case and bracketed, which models copy verbatim; the number is
stable for one ``Redactor`` (one conversation), so every message and the model's reply agree.

Detection reuses ``assist.entities`` where it fits (e-mail, card, phone and order-id patterns,
the Luhn check, ``phonenumbers`` validation) but is tuned for privacy, not slot filling: a card
needs only a valid Luhn checksum and a real issuer digit (2-6; order ids like "1135..." are
spared), not a grouping or a card word. IBANs need the ISO 13616 length of their country and
the mod-97 check. Street addresses are best effort: "12 Baker Street", "221B Baker St.",
"Hauptstraße 5", "Berliner Allee 12a"; flat numbers, post codes, towns and other languages'
forms ("12 rue de la Paix") are not found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import phonenumbers

from assist.entities import _resolve
from assist.entities.base import Candidate
from assist.entities.contacts import (
    _LONE_DIGIT_GROUP_RE,
    CARD_RE,
    EMAIL_RE,
    PHONE_CONTEXT_RE,
    PHONE_RE,
    PHONE_REGIONS,
    _luhn_ok,
)
from assist.entities.ids import find_ids

LABELS = ("EMAIL", "CARD", "PHONE", "IBAN", "ADDRESS", "ORDER")
_L = "|".join(LABELS)
# What a model may write back: "[EMAIL_1]", "[email 1]", "[EMAIL1]", "EMAIL_1", "[EMAIL_1".
# Unbracketed needs the underscore: "email 1" in prose is not a placeholder.
PLACEHOLDER_RE = re.compile(
    rf"(?i)\[\s?(?P<a>{_L})[ _-]?(?P<an>\d{{1,6}})\s?\]"
    rf"|(?<![A-Za-z0-9])\[?(?P<b>{_L})_(?P<bn>\d{{1,6}})(?![A-Za-z0-9])\]?"
)
# PHONE_RE, but a phone may start right after "(": "((201) 439-3033)" (see ``_find``).
_PHONE_RE = re.compile(PHONE_RE.pattern.replace(r"(?<![\w+(.,/-])", r"(?<![\w+.,/-])", 1))
assert _PHONE_RE.pattern != PHONE_RE.pattern
_PARTIAL_RE = re.compile(r"(\[?)(\s?)([A-Za-z]*)([ _-]?)(\d*)(\s?)")
MAX_HOLD = 20  # longest placeholder form is "[ ADDRESS_999999 ]" (18 chars)

# ISO 13616 registry: country -> IBAN length.
_IBAN_LENGTHS = {
    country: int(n)
    for country, n in re.findall(
        r"([A-Z]{2})(\d\d)",
        "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DK18 "
        "DO28 EE20 EG29 ES24 FI18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 "
        "IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 MC27 MD24 ME22 MK19 MR27 "
        "MT31 MU30 NL18 NO15 PK24 PL28 PS29 PT25 QA29 RO24 RS22 SA24 SC31 SE24 SI19 SK24 SM27 "
        "ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20",
    )
}
_IBAN_START_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?= ?[A-Za-z0-9])")
_EN_STREET = r"(?:Street|Road|Avenue|Lane|Drive|Boulevard|Way|Court|Place|Terrace|Close|Square)"
_EN_ABBR = r"(?:St|Rd|Ave|Ln|Dr|Blvd|Ct|Pl|Sq)"
_DE_SUFFIX = r"(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer)"
_DE_WORD = r"(?:Straße|Strasse|Str\.|Weg|Gasse|Platz|Allee|Ring|Damm|Ufer)"
_CAP = r"[A-ZÄÖÜ][a-zäöüß'-]{1,30}"
ADDRESS_RE = re.compile(
    rf"(?<![\w-])\d{{1,5}}[A-Za-z]?,?\s(?:{_CAP}\s){{1,3}}"
    rf"(?:(?i:{_EN_STREET})\b|{_EN_ABBR}\b\.?)"
    rf"|(?<![\w-])(?:[A-ZÄÖÜ][a-zäöüß]{{1,30}}{_DE_SUFFIX}|{_CAP}\s{_DE_WORD})"
    rf"\s?\d{{1,4}}[a-z]?(?![\w-])"
)


@dataclass(frozen=True)
class RedactionPolicy:
    """Which categories to redact; order ids are usually needed by the model, so off."""

    cards: bool = True
    emails: bool = True
    phones: bool = True
    ibans: bool = True
    addresses: bool = True
    order_ids: bool = False
    phone_regions: tuple[str, ...] = PHONE_REGIONS  # for numbers written without "+"
    # the shop's own contact details (its profile): public, so never hidden from the model
    public: tuple[str, ...] = ()


@dataclass(frozen=True)
class Redacted:
    text: str
    mapping: dict[str, str]  # placeholder ("[EMAIL_1]") -> original value, for this text


def _iban_at(text: str, start: int) -> tuple[int, bool] | None:
    """(end, checksum ok) of an IBAN-shaped run at ``start``, or None.

    The run has exactly its country's length, single spaces allowed between characters. A
    bad-checksum run is still returned so it blocks card/phone readings of its digits: a
    mistyped IBAN is not a card.
    """
    length = _IBAN_LENGTHS.get(text[start : start + 2].upper())
    if length is None:
        return None
    chars: list[str] = []
    i = start
    while i < len(text) and len(chars) < length:
        if text[i].isascii() and text[i].isalnum():
            chars.append(text[i].upper())
        elif not (text[i] == " " and i + 1 < len(text) and text[i + 1].isalnum()):
            break
        i += 1
    if len(chars) < length or (i < len(text) and text[i].isalnum()):
        return None
    compact = "".join(chars[4:] + chars[:4])
    return i, int("".join(str(int(c, 36)) for c in compact)) % 97 == 1


def _phone_key(raw: str, regions: tuple[str, ...]) -> str | None:
    """E.164 form of a valid phone (so "+1 415..." and "(415)..." share a placeholder)."""
    plus = raw.lstrip("(").startswith("+")
    for region in (None,) if plus else regions:
        try:
            num = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return None


class Redactor:
    """One per conversation: keeps value -> placeholder so numbering is stable across messages."""

    def __init__(self, policy: RedactionPolicy | None = None) -> None:
        self.policy = policy or RedactionPolicy()
        self._by_key: dict[tuple[str, str], str] = {}  # (label, normalised value) -> placeholder
        self._values: dict[str, str] = {}  # "EMAIL_1" -> original value
        self._taken: set[str] = set()  # placeholder names already present in input text
        plain = Redactor(replace(self.policy, public=())) if self.policy.public else None
        self._public = (
            {key for v in self.policy.public for _, key in plain._find(v)} if plain else set()
        )

    def _find(self, text: str) -> list[tuple[Candidate, str]]:
        p = self.policy
        found: list[tuple[Candidate, str]] = []
        if p.emails and "@" in text:
            for m in EMAIL_RE.finditer(text):
                found.append((Candidate(0, m.start(), m.end(), "EMAIL"), m.group().lower()))
        if p.ibans:
            for m in _IBAN_START_RE.finditer(text):
                if (hit := _iban_at(text, m.start())) is not None:
                    end, ok = hit
                    key = re.sub(r"\s", "", text[m.start() : end]).upper()
                    found.append((Candidate(1, m.start(), end, "IBAN" if ok else ""), key))
        if p.cards:
            for m in CARD_RE.finditer(text):
                digits = re.sub(r"\D", "", m.group())
                plus = text[m.start() - 1 : m.start()] == "+"  # "+49 1519 2157605" is a phone
                if digits[0] in "23456" and not plus and _luhn_ok(digits):
                    found.append((Candidate(2, m.start(), m.end(), "CARD"), digits))
        if p.order_ids:
            for c in find_ids(text):
                if c.type == "order_id":
                    found.append((Candidate(3, c.start, c.end, "ORDER"), text[c.start : c.end]))
        if p.phones:
            context = PHONE_CONTEXT_RE.search(text) is not None
            for m in _PHONE_RE.finditer(text):
                start, raw = m.start(), m.group()
                if raw.startswith("(") and ")" not in raw:  # "(07405 299385)": a parenthesis
                    start, raw = start + 1, raw[1:]
                plus = raw.lstrip("(").startswith("+")
                if (raw.isdigit() and not context) or (
                    not plus and _LONE_DIGIT_GROUP_RE.search(raw)
                ):
                    continue
                if (e164 := _phone_key(raw, p.phone_regions)) is not None:
                    found.append((Candidate(4, start, m.end(), "PHONE"), e164))
        if p.addresses:
            for m in ADDRESS_RE.finditer(text):
                key = " ".join(m.group().lower().split())
                found.append((Candidate(5, m.start(), m.end(), "ADDRESS"), key))
        keys = {c: k for c, k in found}
        return [(c, keys[c]) for c in _resolve([c for c, _ in found]) if c.type]

    def _placeholder(self, label: str, key: str, value: str) -> str:
        if (label, key) not in self._by_key:
            n = 1 + sum(1 for lab, _ in self._by_key if lab == label)
            while f"{label}_{n}" in self._taken:  # never collide with text already present
                n += 1
            self._by_key[(label, key)] = f"[{label}_{n}]"
            self._values[f"{label}_{n}"] = value
            self._taken.add(f"{label}_{n}")
        return self._by_key[(label, key)]

    def redact(self, text: str) -> Redacted:
        """``text`` with every PII value replaced by its conversation-stable placeholder."""
        for m in PLACEHOLDER_RE.finditer(text):
            name = f"{(m['a'] or m['b']).upper()}_{int(m['an'] or m['bn'])}"
            if name not in self._values:
                self._taken.add(name)
        parts, pos, mapping = [], 0, {}
        for cand, key in self._find(text):
            if key in self._public:
                continue
            placeholder = self._placeholder(cand.type, key, text[cand.start : cand.end])
            mapping[placeholder] = self._values[placeholder[1:-1]]
            parts += [text[pos : cand.start], placeholder]
            pos = cand.end
        parts.append(text[pos:])
        return Redacted("".join(parts), mapping)

    def restore(self, text: str, context: str = "") -> str:
        """Put original values back; unknown placeholders stay as written (nothing invented).

        ``context``: text already emitted before ``text``, so a streamed segment is
        matched exactly as the whole reply would be (look-behinds see the previous character).
        """
        s, out, last = context + text, [], len(context)
        for m in PLACEHOLDER_RE.finditer(s, len(context)):
            value = self._values.get(f"{(m['a'] or m['b']).upper()}_{int(m['an'] or m['bn'])}")
            if value is not None:
                out += [s[last : m.start()], value]
                last = m.end()
        out.append(s[last:])
        return "".join(out)

    def restore_stream(self) -> StreamRestorer:
        return StreamRestorer(self)


class StreamRestorer:
    """Restores a token stream; holds back at most ``MAX_HOLD`` chars of a possible placeholder."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor, self._buf, self._prev = redactor, "", ""

    @staticmethod
    def _could_grow(tail: str) -> bool:
        """Could ``tail`` (the end of the stream so far) still become or extend a placeholder?"""
        m = _PARTIAL_RE.fullmatch(tail)
        if m is None:
            return False
        bracket, space, word, sep, num, trail = m.groups()
        word = word.upper()
        if (space and not bracket) or not any(label.startswith(word) for label in LABELS):
            return False
        if not (sep or num or trail):
            return bool(bracket or word)  # "[", "[ EM", "EMA"
        if word not in LABELS:
            return False
        if not bracket:
            return sep == "_" and not trail  # "EMAIL_", "EMAIL_1" (a "]" or digit may follow)
        return bool(num) or not trail  # "[EMAIL_1 " may still close; "[EMAIL_ " cannot

    def feed(self, chunk: str) -> str:
        buf = self._buf + chunk
        cut = len(buf)
        for i in range(max(0, len(buf) - MAX_HOLD), len(buf)):
            before = buf[i - 1] if i else self._prev[-1:]
            starts = buf[i] == "[" or (
                buf[i].isalpha() and not (before.isascii() and before.isalnum())
            )
            if starts and self._could_grow(buf[i:]):
                cut = i
                break
        return self._emit(buf[:cut], buf[cut:])

    def flush(self) -> str:
        return self._emit(self._buf, "")

    def _emit(self, ready: str, held: str) -> str:
        out = self._redactor.restore(ready, self._prev[-2:])
        self._prev, self._buf = (self._prev + ready)[-2:], held
        return out
