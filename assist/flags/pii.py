"""Personal data an agent's reply must not contain: card numbers, other people's contacts.

Why these and not every entity: an order id or a city in a reply is normal work; a full card
number in a chat transcript is a PCI breach whoever typed it first, and an e-mail address or
phone number the customer never gave us here is most likely someone else's (a wrong CRM record
pasted into the wrong chat). The shop's own contact details (the company profile) are expected
in replies and never count.

Cards: 13-19 digits, spaces or dashes allowed between them, Luhn-valid (the entity extractor
also wants 4-4-4-4 grouping or a card word, which is right for reading a customer's message but
too lenient for what an agent must never write). E-mails and phones come from the entity
extractors. "Given by the customer" is checked against the customer's own words: the address
or the phone's last nine digits appear (separators ignored) in something they wrote earlier in
this conversation - the extractors need not have recognised it there.
What a flag says about a value never repeats it: "card ending 1111", "e-mail j***@example.com".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assist.entities import extract_entities
from assist.entities.contacts import CARD_RE, _luhn_ok

_SEPARATORS_RE = re.compile(r"[\s().+\-]")
PHONE_KEY_DIGITS = 9  # enough to tell two numbers apart, short of any country / trunk prefix


@dataclass(frozen=True)
class Leak:
    kind: str  # card_number / email / phone
    masked: str  # how a flag may name it


def card_numbers(text: str) -> list[tuple[int, int, str]]:
    """Luhn-valid 13-19 digit runs (spaces or dashes between digits allowed): span, digits."""
    if not any(ch.isdigit() for ch in text):
        return []
    found = []
    for m in CARD_RE.finditer(text):
        digits = m.group().replace(" ", "").replace("-", "")
        if len(set(digits)) > 1 and _luhn_ok(digits):  # "0000 0000 0000 0000" is a placeholder
            found.append((m.start(), m.end(), digits))
    return found


def phone_key(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return digits[-PHONE_KEY_DIGITS:]


def squash(text: str) -> str:
    """Lower-cased ``text`` without the separators people put in numbers: what keys match."""
    return _SEPARATORS_RE.sub("", text.lower())


def own_contacts(values: Iterable[str]) -> frozenset[str]:
    """Keys of the shop's own e-mails and phones (from the company profile): never a leak."""
    keys = set()
    for value in values:
        if len(re.sub(r"\D", "", value)) >= 7:  # a profile phone need not parse as valid
            keys.add(phone_key(value))
        for entity in extract_entities(value):
            if entity.type == "email":
                keys.add(squash(entity.value))
            elif entity.type == "phone":
                keys.add(phone_key(entity.value))
    return frozenset(keys)


def _mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


class CustomerWords:
    """What the customer has written so far in a conversation, squashed for key lookups."""

    def __init__(self) -> None:
        self._texts: list[str] = []

    def add(self, text: str) -> None:
        self._texts.append(squash(text))

    def contains(self, key: str) -> bool:
        return bool(key) and any(key in text for text in self._texts)


def leaks(text: str, customer: CustomerWords, own: frozenset[str] = frozenset()) -> list[Leak]:
    """The personal data in an agent's reply ``text``, in reading order of kind: cards first."""
    cards = card_numbers(text)
    found = [Leak("card_number", f"a payment card number ending {d[-4:]}") for _, _, d in cards]
    if "@" not in text and not any(ch.isdigit() for ch in text):
        return found
    for entity in extract_entities(text):
        if any(entity.start < end and start < entity.end for start, end, _ in cards):
            continue  # the card's digits, read as a phone
        if entity.type == "email":
            key = squash(entity.value)
            if key not in own and not customer.contains(key):
                masked = _mask_email(entity.value)
                said = f"an e-mail address the customer did not give ({masked})"
                found.append(Leak("email", said))
        elif entity.type == "phone":
            key = phone_key(entity.value)
            if key not in own and not customer.contains(key):
                found.append(
                    Leak("phone", f"a phone number the customer did not give (ending {key[-2:]})")
                )
    return found
