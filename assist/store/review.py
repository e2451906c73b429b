"""Everything a supervisor sees when reviewing one conversation, read in one transaction."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from assist.store.schema import audit_log, conversations, feedback, flags, messages, review_notes


@dataclass(frozen=True)
class Review:
    """A conversation for review: rows as dicts, oldest first.

    ``messages`` carry their analysis (intent, intent_confidence, sentiment, sentiment_score)
    and ``feedback``: the events on the suggestions shown for that message (shown / accepted /
    edited / rejected / ignored). ``audit`` holds the entries on the conversation and its flags.
    """

    conversation: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)


def load(conn: Connection, conversation_id: str) -> Review:
    """The review data of one conversation; ``KeyError`` if there is no such conversation."""
    query = select(conversations).where(conversations.c.id == conversation_id)
    conv = conn.execute(query).mappings().first()
    if conv is None:
        raise KeyError(f"no conversation with id {conversation_id!r}")
    msgs = [
        dict(r)
        for r in conn.execute(
            select(messages)
            .where(messages.c.conversation_id == conversation_id)
            .order_by(messages.c.message_index, messages.c.id)
        ).mappings()
    ]
    events: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in conn.execute(
        select(feedback)
        .where(feedback.c.conversation_id == conversation_id)
        .order_by(feedback.c.id)
    ).mappings():
        events[r["message_index"]].append(dict(r))
    for m in msgs:
        m["feedback"] = events.get(m["message_index"], [])
    flag_rows = [
        dict(r)
        for r in conn.execute(
            select(flags)
            .where(flags.c.conversation_id == conversation_id)
            .order_by(flags.c.created_at, flags.c.id)
        ).mappings()
    ]
    notes = [
        dict(r)
        for r in conn.execute(
            select(review_notes)
            .where(review_notes.c.conversation_id == conversation_id)
            .order_by(review_notes.c.created_at, review_notes.c.id)
        ).mappings()
    ]
    flag_ids = [f["id"] for f in flag_rows]
    on_conversation = and_(
        audit_log.c.target_type == "conversation", audit_log.c.target_id == conversation_id
    )
    on_flags = and_(audit_log.c.target_type == "flag", audit_log.c.target_id.in_(flag_ids))
    entries = []
    for r in conn.execute(
        select(audit_log).where(or_(on_conversation, on_flags)).order_by(audit_log.c.id)
    ).mappings():
        entry = dict(r)
        entry["detail"] = json.loads(entry["detail"])
        entries.append(entry)
    return Review(dict(conv), msgs, flag_rows, notes, entries)
