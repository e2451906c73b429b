"""The store's writes, as functions on a connection already inside a write transaction.

Each one keeps the denormalised conversation columns and the rollups (``rollup``) exact in the
same transaction, and is idempotent on the record's client-made id: writing a record that is
already stored changes nothing (and reports so), which is what makes outbox re-syncs safe.
Supervisor actions also append their audit entry here, in the same transaction.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from assist.store import rollup
from assist.store.records import ConversationRecord, FlagRecord, MessageRecord
from assist.store.schema import (
    FLAG_STATUSES,
    as_utc,
    audit_log,
    conversations,
    feedback,
    flags,
    messages,
    review_notes,
)

UNSET: Any = object()


def dialect_insert(conn: Connection, table: Any) -> Any:
    """``INSERT`` with ``ON CONFLICT`` support for the connection's backend."""
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def audit(
    conn: Connection,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    detail: Mapping[str, Any],
    at: datetime,
) -> None:
    """Append one entry to the audit log (append-only: nothing updates or deletes it)."""
    if not isinstance(actor, str) or not actor.strip():
        raise ValueError("a supervisor action needs the name of who did it (actor)")
    conn.execute(
        insert(audit_log).values(
            at=at,
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=json.dumps(dict(detail), sort_keys=True, default=str),
        )
    )


# -- conversations ----------------------------------------------------------------------------


def _lock(conn: Connection, conversation_id: str) -> dict[str, Any] | None:
    query = select(conversations).where(conversations.c.id == conversation_id)
    row = conn.execute(query.with_for_update()).mappings().first()
    return dict(row) if row is not None else None


def _blank(conversation_id: str, agent: str, started_at: datetime, now: datetime) -> dict[str, Any]:
    return {
        "id": conversation_id,
        "external_id": None,
        "agent": agent,
        "customer_name": None,
        "status": "open",
        "intent": None,
        "started_at": started_at,
        "first_customer_at": None,
        "first_reply_at": None,
        "last_message_at": None,
        "message_count": 0,
        "sentiment_first": None,
        "sentiment_last": None,
        "flag_count": 0,
        "open_flag_count": 0,
        "max_severity": None,
        "review_status": None,
        "flagged_at": None,
        "updated_at": now,
    }


def _save(
    conn: Connection,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    deltas: rollup.Deltas,
) -> None:
    """Write ``after`` (insert if ``before`` is None) and record the rollup difference."""
    if before is None:
        conn.execute(insert(conversations).values(after))
    else:
        changed = {k: v for k, v in after.items() if before.get(k) != v and k != "id"}
        if not changed:
            return
        conn.execute(update(conversations).where(conversations.c.id == after["id"]).values(changed))
    rollup.add_conversation(deltas, before, -1)
    rollup.add_conversation(deltas, after, +1)


def upsert_conversation(conn: Connection, rec: ConversationRecord, now: datetime) -> None:
    before = _lock(conn, rec.id)
    after = dict(before) if before else _blank(rec.id, rec.agent, rec.started_at, now)
    fields = {"agent": rec.agent, "status": rec.status, "started_at": rec.started_at}
    if rec.customer_name is not None:
        fields["customer_name"] = rec.customer_name
    if rec.external_id is not None:
        fields["external_id"] = rec.external_id
    after.update(fields)
    if before is not None and all(before[k] == v for k, v in fields.items()):
        return
    after["updated_at"] = now
    deltas = rollup.new_deltas()
    _save(conn, before, after, deltas)
    rollup.apply(conn, deltas)


def _fold(conv: dict[str, Any], batch: Iterable[MessageRecord]) -> None:
    for m in sorted(batch, key=lambda m: (m.message_index, m.ts)):
        conv["message_count"] += 1
        last = conv["last_message_at"]
        conv["last_message_at"] = m.ts if last is None else max(last, m.ts)
        if m.role == "customer":
            first = conv["first_customer_at"]
            if first is None or m.ts < first:
                conv["first_customer_at"] = m.ts
            if m.sentiment_score is not None:
                if conv["sentiment_first"] is None:
                    conv["sentiment_first"] = m.sentiment_score
                conv["sentiment_last"] = m.sentiment_score
            if m.intent and conv["intent"] in (None, "other"):
                conv["intent"] = m.intent
        elif conv["first_customer_at"] is not None and m.ts >= conv["first_customer_at"]:
            reply = conv["first_reply_at"]
            if reply is None or m.ts < reply:
                conv["first_reply_at"] = m.ts


def insert_messages(conn: Connection, batch: Sequence[MessageRecord], now: datetime) -> int:
    """Store the messages not stored yet (by ``uid``); returns how many were new."""
    if not batch:
        return 0
    rows = [
        {
            "created_at": now,
            "conversation_id": m.conversation_id,
            "message_index": m.message_index,
            "role": m.role,
            "text": m.text,
            "ts": m.ts,
            "uid": m.uid,
            "intent": m.intent,
            "intent_confidence": m.intent_confidence,
            "sentiment": m.sentiment,
            "sentiment_score": m.sentiment_score,
        }
        for m in batch
    ]
    stmt = dialect_insert(conn, messages).on_conflict_do_nothing(index_elements=["uid"])
    inserted = set(conn.execute(stmt.returning(messages.c.uid), rows).scalars())
    by_conversation: dict[str, list[MessageRecord]] = defaultdict(list)
    for m in batch:
        if m.uid in inserted:
            by_conversation[m.conversation_id].append(m)
    deltas = rollup.new_deltas()
    for conversation_id in sorted(by_conversation):
        new = by_conversation[conversation_id]
        before = _lock(conn, conversation_id)
        after = dict(before) if before else _blank(conversation_id, "", min(m.ts for m in new), now)
        _fold(after, new)
        after["updated_at"] = now
        _save(conn, before, after, deltas)
    rollup.apply(conn, deltas)
    return len(inserted)


# -- feedback ---------------------------------------------------------------------------------


def insert_feedback(conn: Connection, row: Mapping[str, Any]) -> int | None:
    """Store one checked feedback row; ``None`` if its ``uid`` is stored already."""
    stmt = dialect_insert(conn, feedback).values(dict(row))
    if row.get("uid"):
        stmt = stmt.on_conflict_do_nothing(index_elements=["uid"])
    new_id = conn.execute(stmt.returning(feedback.c.id)).scalar()
    if new_id is None:
        return None
    deltas = rollup.new_deltas()
    rollup.add_feedback(deltas, row)
    rollup.apply(conn, deltas)
    return int(new_id)


# -- flags and notes --------------------------------------------------------------------------


def refresh_flags(conn: Connection, conversation_id: str, now: datetime) -> None:
    """Recompute the conversation's flag columns (count, open, max severity, status)."""
    before = _lock(conn, conversation_id)
    if before is None:
        return
    is_open = case((flags.c.status == "open", 1), else_=0)
    in_review = case((flags.c.status == "in_review", 1), else_=0)
    n, n_open, n_review, severity, first = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(is_open), 0),
            func.coalesce(func.sum(in_review), 0),
            func.max(flags.c.severity),
            func.min(flags.c.created_at),
        ).where(flags.c.conversation_id == conversation_id)
    ).one()
    status = "open" if n_open else "in_review" if n_review else "resolved" if n else None
    after = dict(before)
    after.update(
        flag_count=int(n),
        open_flag_count=int(n_open) + int(n_review),
        max_severity=severity,
        review_status=status,
        flagged_at=as_utc(first) if first is not None else None,
        updated_at=now,
    )
    deltas = rollup.new_deltas()
    _save(conn, before, after, deltas)
    rollup.apply(conn, deltas)


def insert_flag(conn: Connection, rec: FlagRecord, now: datetime) -> bool:
    """Store a flag (creating a bare conversation row if needed); False if already stored."""
    if _lock(conn, rec.conversation_id) is None:
        deltas = rollup.new_deltas()
        _save(conn, None, _blank(rec.conversation_id, "", rec.created_at, now), deltas)
        rollup.apply(conn, deltas)
    row = {
        "id": rec.id,
        "conversation_id": rec.conversation_id,
        "reason": rec.reason,
        "message_index": rec.message_index,
        "severity": rec.severity,
        "detail": rec.detail,
        "source": rec.source,
        "note": rec.note,
        "status": "open",
        "assignee": None,
        "created_by": rec.created_by,
        "created_at": rec.created_at,
        "updated_at": now,
    }
    stmt = dialect_insert(conn, flags).values(row).on_conflict_do_nothing(index_elements=["id"])
    if conn.execute(stmt.returning(flags.c.id)).scalar() is None:
        return False
    refresh_flags(conn, rec.conversation_id, now)
    if rec.source == "manual":
        audit(
            conn,
            rec.created_by or "",
            "flag.raise",
            "flag",
            rec.id,
            {"conversation_id": rec.conversation_id, "reason": rec.reason, "note": rec.note},
            now,
        )
    return True


def update_flag(
    conn: Connection,
    flag_id: str,
    actor: str,
    now: datetime,
    status: str | None = None,
    assignee: Any = UNSET,
) -> dict[str, Any]:
    """Change a flag's status and/or assignee, with one audit entry per change."""
    row = conn.execute(select(flags).where(flags.c.id == flag_id).with_for_update()).first()
    if row is None:
        raise ValueError(f"no flag with id {flag_id!r}")
    flag = dict(row._mapping)
    changes: dict[str, Any] = {}
    if status is not None:
        if status not in FLAG_STATUSES:
            raise ValueError(
                f"unknown flag status {status!r}; expected one of: open, in_review, resolved"
            )
        if status != flag["status"]:
            changes["status"] = status
    if assignee is not UNSET and assignee != flag["assignee"]:
        changes["assignee"] = assignee
    if not changes:
        return flag
    conn.execute(update(flags).where(flags.c.id == flag_id).values(updated_at=now, **changes))
    for name, action in (("status", "flag.status"), ("assignee", "flag.assign")):
        if name in changes:
            detail = {
                "conversation_id": flag["conversation_id"],
                "from": flag[name],
                "to": changes[name],
            }
            audit(conn, actor, action, "flag", flag_id, detail, now)
    refresh_flags(conn, flag["conversation_id"], now)
    return {**flag, **changes, "updated_at": now}


def insert_note(
    conn: Connection,
    note_id: str,
    conversation_id: str,
    author: str,
    text: str,
    now: datetime,
    flag_id: str | None = None,
) -> None:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a review note needs some text")
    if _lock(conn, conversation_id) is None:
        raise ValueError(f"no conversation with id {conversation_id!r}")
    conn.execute(
        insert(review_notes).values(
            id=note_id,
            conversation_id=conversation_id,
            flag_id=flag_id,
            author=author,
            text=text,
            created_at=now,
        )
    )
    detail = {"note_id": note_id, "flag_id": flag_id, "text": text}
    audit(conn, author, "note.add", "conversation", conversation_id, detail, now)
