"""Entity extraction: order/invoice ids, names, places, money, account tiers, contact details.

``extract_entities`` runs every extractor, then keeps the strongest non-overlapping candidates
(see ``Candidate.priority``: an e-mail beats a URL inside it, a keyword-anchored order id beats a
phone-shaped reading of the same digits). Every returned entity satisfies
``text[e.start:e.end] == e.value``: values are never normalised here, so the UI can highlight
them and the slots copy exactly what the customer wrote.

Types: order_id, invoice_id, person_name, delivery_city, delivery_country, refund_amount (any
money amount), account_type, email, phone, url, card_number.
"""

from __future__ import annotations

from assist.entities.base import Candidate
from assist.entities.contacts import find_contacts, find_numbers
from assist.entities.evaluate import evaluate_entities
from assist.entities.ids import find_ids
from assist.entities.money import find_account_types, find_money
from assist.entities.names import find_names
from assist.entities.places import find_places
from assist.types import Entity

ENTITY_TYPES = (
    "order_id",
    "invoice_id",
    "person_name",
    "delivery_city",
    "delivery_country",
    "refund_amount",
    "account_type",
    "email",
    "phone",
    "url",
    "card_number",
)
_EXTRACTORS = (
    find_contacts,
    find_ids,
    find_numbers,
    find_money,
    find_names,
    find_places,
    find_account_types,
)


def _resolve(candidates: list[Candidate]) -> list[Candidate]:
    """Greedy by (priority, longest first); a taken character is never reused."""
    taken: list[tuple[int, int]] = []
    kept: list[Candidate] = []
    for cand in sorted(candidates, key=lambda c: (c.priority, c.start - c.end, c.start)):
        if cand.end <= cand.start:
            continue
        if any(cand.start < e and s < cand.end for s, e in taken):
            continue
        taken.append((cand.start, cand.end))
        kept.append(cand)
    return sorted(kept, key=lambda c: c.start)


def extract_entities(text: str) -> list[Entity]:
    """All entities in ``text``, in reading order, with exact character offsets."""
    if not text:
        return []
    candidates = [c for find in _EXTRACTORS for c in find(text)]
    return [Entity(c.type, text[c.start : c.end], c.start, c.end) for c in _resolve(candidates)]


__all__ = ["ENTITY_TYPES", "extract_entities", "evaluate_entities"]
