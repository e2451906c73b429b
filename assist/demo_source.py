"""The bundled demo conversations (resources/demo), replayed by `assist demo` and the app."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from assist.messages_io import parse_message
from assist.types import Message


@dataclass(frozen=True)
class DemoConversation:
    conversation_id: str
    customer_name: str
    messages: tuple[Message, ...]


def load_demo() -> list[DemoConversation]:
    """Conversations in file order; the first line of each may carry ``customer`` (a name)."""
    text = (resources.files("resources") / "demo" / "conversations.jsonl").read_text("utf-8")
    names: dict[str, str] = {}
    grouped: dict[str, list[Message]] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        obj = json.loads(line)
        message = parse_message(obj, lineno)
        grouped.setdefault(message.conversation_id, []).append(message)
        if "customer" in obj:
            names[message.conversation_id] = obj["customer"]
    return [
        DemoConversation(cid, names.get(cid, "Customer"), tuple(msgs))
        for cid, msgs in grouped.items()
    ]
