"""Reading customer messages and conversations from untrusted input, line by line.

Every problem becomes an :class:`InputError` that names the line, so the CLI can report it on
stderr and carry on with the other lines: bad input loses nothing but itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from assist.types import Message

ROLES = ("customer", "agent")
# A message longer than this is cut before analysis (models read ~128 tokens anyway);
# the full text is kept in the conversation.
MAX_LINE_BYTES = 4 * 1024 * 1024


class InputError(ValueError):
    """One input line could not be used; ``str()`` is the one-line message for the user."""

    def __init__(self, lineno: int, reason: str):
        super().__init__(f"line {lineno}: {reason}")
        self.lineno = lineno
        self.reason = reason


@dataclass(frozen=True)
class Line:
    lineno: int
    text: str


def decoded_lines(stream: BinaryIO) -> Iterator[Line | InputError]:
    """Yield each line of a byte stream decoded as UTF-8, or an InputError for that line."""
    for lineno, raw in enumerate(stream, start=1):
        if len(raw) > MAX_LINE_BYTES:
            yield InputError(lineno, f"line is {len(raw)} bytes, over the {MAX_LINE_BYTES} limit")
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield InputError(lineno, f"invalid UTF-8 at byte {e.start}")
            continue
        yield Line(lineno, text.rstrip("\r\n"))


def message_texts(stream: BinaryIO) -> Iterator[Line | InputError]:
    """Plain-text input (``assist classify``): one customer message per line."""
    for item in decoded_lines(stream):
        if isinstance(item, Line) and not item.text.strip():
            yield InputError(item.lineno, "empty message, skipped")
        else:
            yield item


def parse_timestamp(value: Any, lineno: int) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(lineno, f"'ts' must be an ISO-8601 string, got {type(value).__name__}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(lineno, f"'ts' is not ISO-8601: {value[:40]!r}") from None


def parse_message(obj: Any, lineno: int) -> Message:
    """Validate one decoded JSON object as a conversation message."""
    if not isinstance(obj, dict):
        raise InputError(lineno, f"expected a JSON object, got {type(obj).__name__}")
    role = obj.get("role")
    if role not in ROLES:
        raise InputError(lineno, f"unknown role {role!r} (expected 'customer' or 'agent')")
    text = obj.get("text")
    if not isinstance(text, str):
        raise InputError(lineno, "'text' is missing or not a string")
    if not text.strip():
        raise InputError(lineno, "'text' is empty")
    conv = obj.get("conversation_id", "default")
    if not isinstance(conv, str | int):
        raise InputError(lineno, "'conversation_id' must be a string")
    return Message(str(conv), role, text, parse_timestamp(obj.get("ts"), lineno))


def conversation_lines(stream: BinaryIO) -> Iterator[Message | InputError]:
    """JSONL input (``assist suggest``): one message object per line; blank lines ignored."""
    for item in decoded_lines(stream):
        if isinstance(item, InputError):
            yield item
            continue
        if not item.text.strip():
            continue
        try:
            obj = json.loads(item.text)
        except json.JSONDecodeError as e:
            yield InputError(item.lineno, f"malformed JSON ({e.msg} at column {e.colno})")
            continue
        try:
            yield parse_message(obj, item.lineno)
        except InputError as e:
            yield e


def load_jsonl_messages(lines: Iterable[str]) -> list[Message]:
    """Trusted bundled JSONL (the demo): any problem is a bug, so it raises."""
    out = []
    for lineno, line in enumerate(lines, start=1):
        if line.strip():
            out.append(parse_message(json.loads(line), lineno))
    return out
