"""Export a filtered selection of conversations as CSV (one row per message) or JSONL (one
conversation per line, with its messages, flags and notes), and read both back.

Timestamps are ISO 8601 in UTC, empty CSV cells are ``None`` and numbers keep their type on the
way back (``read_csv``/``read_jsonl``), so an export round-trips to the same values.
Conversations are read in chunks, so an export of the whole team store stays in bounded memory.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from sqlalchemy import Connection, select

from assist.store.queue import QueueFilter, where_clauses
from assist.store.schema import conversations, flags, messages, review_notes

FORMATS = ("csv", "jsonl")
CHUNK = 500

CONVERSATION_FIELDS = (
    "id", "external_id", "agent", "customer_name", "status", "intent", "started_at",
    "first_customer_at", "first_reply_at", "last_message_at", "message_count",
    "sentiment_first", "sentiment_last", "flag_count", "max_severity", "review_status",
)  # fmt: skip
MESSAGE_FIELDS = (
    "uid", "message_index", "role", "text", "ts", "intent", "intent_confidence", "sentiment",
    "sentiment_score",
)  # fmt: skip
FLAG_FIELDS = (
    "id", "reason", "message_index", "severity", "detail", "source", "note", "status",
    "assignee", "created_by", "created_at", "updated_at",
)  # fmt: skip
NOTE_FIELDS = ("id", "flag_id", "author", "text", "created_at")
CSV_COLUMNS = (
    *(f"conversation_{f}" if f != "id" else "conversation_id" for f in CONVERSATION_FIELDS),
    "flag_reasons",
    *(f"message_{f}" for f in MESSAGE_FIELDS),
)
_INTS = {"message_count", "flag_count", "max_severity", "message_index", "severity"}
_FLOATS = {"sentiment_first", "sentiment_last", "intent_confidence", "sentiment_score"}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _pick(row: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: _plain(row[name]) for name in names}


def conversations_of(conn: Connection, filters: QueueFilter) -> Iterator[dict[str, Any]]:
    """The selected conversations, oldest first, each with messages, flags and notes."""
    query = (
        select(conversations)
        .where(*where_clauses(filters))
        .order_by(conversations.c.started_at, conversations.c.id)
    )
    rows = conn.execute(query).mappings().all()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        ids = [r["id"] for r in chunk]
        parts: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(
            lambda: {"messages": [], "flags": [], "notes": []}
        )
        for part, table, names, order in (
            ("messages", messages, MESSAGE_FIELDS, (messages.c.message_index, messages.c.id)),
            ("flags", flags, FLAG_FIELDS, (flags.c.created_at, flags.c.id)),
            ("notes", review_notes, NOTE_FIELDS, (review_notes.c.created_at, review_notes.c.id)),
        ):
            found = select(table).where(table.c.conversation_id.in_(ids)).order_by(*order)
            for r in conn.execute(found).mappings():
                parts[r["conversation_id"]][part].append(_pick(r, names))
        for r in chunk:
            yield {"conversation": _pick(r, CONVERSATION_FIELDS), **parts[r["id"]]}


def write(conn: Connection, out: IO[str], fmt: str, filters: QueueFilter) -> int:
    """Write the selection to ``out``; returns the rows written (messages for CSV)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of: csv, jsonl")
    n = 0
    if fmt == "jsonl":
        for item in conversations_of(conn, filters):
            out.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
        return n
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for item in conversations_of(conn, filters):
        conv = item["conversation"]
        base = {
            ("conversation_id" if k == "id" else f"conversation_{k}"): v for k, v in conv.items()
        }
        base["flag_reasons"] = ";".join(sorted({f["reason"] for f in item["flags"]}))
        for m in item["messages"]:
            writer.writerow({**base, **{f"message_{k}": v for k, v in m.items()}})
            n += 1
    return n


def read_jsonl(lines: Iterable[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines if line.strip()]


def _typed(name: str, cell: str) -> Any:
    if name == "text":  # message text is never NULL; "" stays ""
        return cell
    if cell == "":
        return None
    if name in _INTS:
        return int(cell)
    if name in _FLOATS:
        return float(cell)
    return cell


def read_csv(stream: IO[str]) -> list[dict[str, Any]]:
    """CSV rows back as dicts keyed like ``CSV_COLUMNS``, with numbers and ``None`` restored."""
    out = []
    for row in csv.DictReader(stream):
        typed = {}
        for column, cell in row.items():
            bare = (
                column.split("_", 1)[1]
                if column.startswith(("conversation_", "message_"))
                else column
            )
            typed[column] = cell if column == "flag_reasons" else _typed(bare, cell)
        out.append(typed)
    return out
