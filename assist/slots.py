"""What the customer has told us so far in a conversation, one value per entity type.

Why a separate object: entities come message by message, but a reply written at turn 5 needs the
order id given at turn 1. ``Slots`` keeps the latest customer-provided value of each type (a
correction, "sorry, it's order 456", replaces the earlier one) together with the index of the
message it came from, so the UI can point at the source. Agent messages never fill slots:
an id the agent typed is not a fact the customer confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assist.entities import extract_entities
from assist.types import Entity, Message


@dataclass(frozen=True)
class SlotValue:
    value: str
    message_index: int  # index of the message (in the conversation) it was taken from
    entity: Entity


class Slots:
    """Latest value per entity type, from customer messages only."""

    def __init__(self) -> None:
        self._values: dict[str, SlotValue] = {}
        self._next_index = 0

    def add_entities(
        self, entities: Iterable[Entity], message_index: int, role: str = "customer"
    ) -> None:
        """Record the entities of one message; later messages win, within a message the last."""
        if role != "customer":
            return
        for ent in entities:
            current = self._values.get(ent.type)
            if current is None or message_index >= current.message_index:
                self._values[ent.type] = SlotValue(ent.value, message_index, ent)

    def update(self, entities: Iterable[Entity], message_index: int, role: str) -> None:
        """Same as ``add_entities`` (the name ``assist.conversation`` uses)."""
        self.add_entities(entities, message_index, role)

    def add_message(self, message: Message, entities: Iterable[Entity] | None = None) -> None:
        """Append the next message of the conversation; extracts entities if none are given."""
        index = self._next_index
        self._next_index += 1
        if message.role != "customer":
            return
        found = extract_entities(message.text) if entities is None else entities
        self.add_entities(found, index, message.role)

    @classmethod
    def from_messages(cls, messages: Iterable[Message]) -> Slots:
        slots = cls()
        for message in messages:
            slots.add_message(message)
        return slots

    def get(self, entity_type: str) -> SlotValue | None:
        return self._values.get(entity_type)

    def value(self, entity_type: str) -> str | None:
        slot = self._values.get(entity_type)
        return slot.value if slot else None

    def __contains__(self, entity_type: object) -> bool:
        return entity_type in self._values

    def __len__(self) -> int:
        return len(self._values)

    def items(self) -> list[tuple[str, SlotValue]]:
        return sorted(self._values.items())

    def as_placeholder_values(self) -> dict[str, str]:
        """Entity type -> value, the keys ``assist.placeholders`` resolves placeholders to."""
        return {etype: slot.value for etype, slot in sorted(self._values.items())}
