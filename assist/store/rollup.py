"""Per-day rollups (``daily_stats``), kept exact in the transaction of every write.

Analytics over 100k conversations must answer in milliseconds, so nothing at read time scans
messages or feedback: each write adds its *contribution* to one row per dimension (the
conversation's or event's UTC day, by intent and by agent) and a read sums a few thousand rows.

A conversation's contribution is a pure function of its row (``conversation_contribution``); a
write that changes the row applies ``after - before``, wherever the row's buckets are (a
conversation whose intent becomes known moves from the ``""`` bucket to its intent). Feedback
events are append-only, so they only ever add. Rows are upserted in sorted key order, so two
writers on PostgreSQL lock them in the same order and cannot deadlock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from assist.store.schema import REJECT_REASONS, ROLLUP_COUNTERS, as_utc, daily_stats

Key = tuple[str, date, str]  # (dim, day, key)
Deltas = dict[Key, dict[str, float]]


def new_deltas() -> Deltas:
    return defaultdict(lambda: dict.fromkeys(ROLLUP_COUNTERS, 0))


def day_of(ts: datetime) -> date:
    return as_utc(ts).date()


def _keys(ts: datetime, intent: str | None, agent: str | None) -> tuple[Key, Key]:
    day = day_of(ts)
    return ("intent", day, intent or ""), ("agent", day, agent or "")


def conversation_contribution(row: Mapping[str, Any]) -> tuple[tuple[Key, Key], dict[str, float]]:
    """What one conversation row adds to the rollups: its bucket keys and counter values."""
    customer_at, reply_at = row.get("first_customer_at"), row.get("first_reply_at")
    replied = customer_at is not None and reply_at is not None
    seconds = (as_utc(reply_at) - as_utc(customer_at)).total_seconds() if replied else 0.0  # type: ignore[arg-type]
    first, last = row.get("sentiment_first"), row.get("sentiment_last")
    values = {
        "conversations": 1,
        "flags": int(row.get("flag_count") or 0),
        "replied": int(replied),
        "reply_seconds": seconds,
        "sentiment_n": int(first is not None),
        "sentiment_start": float(first) if first is not None else 0.0,
        "sentiment_end": float(last) if last is not None and first is not None else 0.0,
    }
    return _keys(row["started_at"], row.get("intent"), row.get("agent")), values


def add_conversation(deltas: Deltas, row: Mapping[str, Any] | None, sign: int = 1) -> None:
    if row is None:
        return
    keys, values = conversation_contribution(row)
    for key in keys:
        bucket = deltas[key]
        for name, value in values.items():
            bucket[name] += sign * value


def add_feedback(deltas: Deltas, row: Mapping[str, Any]) -> None:
    """One feedback event (append-only) into its day's intent and agent buckets."""
    action = row["action"]
    values: dict[str, float] = {action: 1}
    if action == "edited" and row.get("edit_distance") is not None:
        values["edit_distance_sum"] = int(row["edit_distance"])
    if action == "rejected" and row.get("reason") in REJECT_REASONS:
        values[f"rejected_{row['reason']}"] = 1
    for key in _keys(row["created_at"], row.get("intent"), row.get("agent")):
        bucket = deltas[key]
        for name, value in values.items():
            bucket[name] += value


def apply(conn: Connection, deltas: Deltas) -> None:
    """Upsert the non-zero deltas (one statement, rows in sorted key order)."""
    rows = []
    for (dim, day, key), values in sorted(deltas.items()):
        if any(values.values()):
            rows.append({"dim": dim, "day": day, "key": key, **values})
    if not rows:
        return
    stmt = _upsert(conn.dialect.name)
    conn.execute(stmt, rows)


_UPSERTS: dict[str, Any] = {}


def _upsert(dialect: str) -> Any:
    """The rollup upsert for ``dialect``, built once: constructing its ``SET c = c + excluded.c``
    for every counter took ~2.5 ms of Python per write, on the thread the app's UI shares."""
    stmt = _UPSERTS.get(dialect)
    if stmt is not None:
        return stmt
    if dialect == "postgresql":
        stmt = postgresql.insert(daily_stats)
    elif dialect == "sqlite":
        stmt = sqlite.insert(daily_stats)
    else:  # pragma: no cover - only the two supported backends
        raise NotImplementedError(f"rollups need an upsert for {dialect}")
    stmt = stmt.on_conflict_do_update(
        index_elements=["dim", "day", "key"],
        set_={c: daily_stats.c[c] + stmt.excluded[c] for c in ROLLUP_COUNTERS},
    )
    _UPSERTS[dialect] = stmt
    return stmt
