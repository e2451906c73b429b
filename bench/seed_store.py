"""Seed a team store with realistic synthetic data, fast (bulk inserts; COPY on PostgreSQL).

    python bench/seed_store.py --url sqlite:////tmp/team.db --conversations 100000

~20 messages per conversation (gamma-distributed), 40 agents with uneven load, 28 intents with a
Zipf-like mix, 90 days, ~12% of conversations flagged (1-3 flags), ~6 feedback events per
conversation. The denormalised conversation columns and the daily rollups are computed exactly
as the store's own writes would (``assist.store.rollup``), so queries on a seeded store are
representative.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.engine import make_url  # noqa: E402

from assist.store import (
    TeamStore,  # noqa: E402
    rollup,  # noqa: E402
)
from assist.store.schema import ROLLUP_COUNTERS  # noqa: E402
from assist.types import FlagReason  # noqa: E402

INTENTS = [
    "track_order",
    "refund",
    "cancel_order",
    "change_address",
    "return_item",
    "payment_issue",
    "delivery_delay",
    "damaged_item",
    "wrong_item",
    "invoice",
    "change_order",
    "account",
    "password_reset",
    "shipping_cost",
    "product_info",
    "stock",
    "discount",
    "complaint",
    "speak_to_human",
    "warranty",
    "exchange",
    "subscription",
    "gift_card",
    "newsletter",
    "feedback",
    "store_hours",
    "greeting",
    "other",
]
REASONS = list(get_args(FlagReason))
REASON_W = [30, 20, 15, 5, 5, 20, 5]  # in REASONS' order
FIRST = ["Ann", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ida", "Jo", "Kim", "Lu", "Mo"]
LAST = ["Lee", "Brown", "Cole", "Dunn", "Evans", "Fox", "Gray", "Hill", "Ito", "Jones"]
CUSTOMER = [
    "where is my order {n}?",
    "I want a refund for order {n}",
    "this is taking forever",
    "the parcel arrived damaged",
    "can you change my address to {n} Main St?",
    "thanks, that helps",
    "why was I charged twice?",
    "let me speak to a manager",
]
AGENT = [
    "Let me check that for you.",
    "I'm sorry about that.",
    "Your order {n} ships today.",
    "I've issued the refund.",
    "Is there anything else?",
    "Thanks for waiting.",
]
MSG_COLS = (
    "created_at",
    "conversation_id",
    "message_index",
    "role",
    "text",
    "ts",
    "uid",
    "intent",
    "intent_confidence",
    "sentiment",
    "sentiment_score",
)
CONV_COLS = (
    "id",
    "external_id",
    "agent",
    "customer_name",
    "status",
    "intent",
    "started_at",
    "first_customer_at",
    "first_reply_at",
    "last_message_at",
    "message_count",
    "sentiment_first",
    "sentiment_last",
    "flag_count",
    "open_flag_count",
    "max_severity",
    "review_status",
    "flagged_at",
    "updated_at",
)
FLAG_COLS = (
    "id",
    "conversation_id",
    "reason",
    "message_index",
    "severity",
    "detail",
    "source",
    "note",
    "status",
    "assignee",
    "created_by",
    "created_at",
    "updated_at",
)
FB_COLS = (
    "created_at",
    "conversation_id",
    "message_index",
    "suggestion_rank",
    "source",
    "macro_id",
    "suggestion_text",
    "action",
    "final_text",
    "edit_distance",
    "reason",
    "note",
    "intent",
    "agent",
    "uid",
)
INTENT_W = [1 / (i + 1) ** 0.8 for i in range(len(INTENTS))]


def _label(score: float) -> str:
    return "negative" if score < -0.05 else "positive" if score > 0.05 else "neutral"


def generate(n: int, seed: int, end: datetime) -> Iterator[tuple[str, dict[str, Any]]]:
    """("conversation"|"message"|"flag"|"feedback", row) for ``n`` conversations."""
    rnd = random.Random(seed)
    agents = [f"agent-{i:02d}" for i in range(40)]
    agent_w = [rnd.uniform(0.3, 2.0) for _ in agents]
    now = end
    for c in range(n):
        cid = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        agent = rnd.choices(agents, agent_w)[0]
        start = end - timedelta(days=rnd.uniform(0, 90))
        intent = rnd.choices(INTENTS, INTENT_W)[0]
        n_msgs = max(2, int(rnd.gammavariate(4.0, 5.0)))
        mood = rnd.gauss(0.1, 0.4)
        drift = rnd.gauss(-0.02, 0.05)
        ts = start
        conv: dict[str, Any] = dict.fromkeys(CONV_COLS)
        conv.update(
            id=cid,
            external_id=f"chat-{c}",
            agent=agent,
            customer_name=f"{rnd.choice(FIRST)} {rnd.choice(LAST)}",
            status="closed",
            started_at=start,
            message_count=n_msgs,
            flag_count=0,
            open_flag_count=0,
            updated_at=now,
        )
        agent_msgs = []
        for i in range(n_msgs):
            role = "customer" if i == 0 or rnd.random() < 0.5 else "agent"
            ts = ts + timedelta(seconds=rnd.expovariate(1 / 40))
            num = rnd.randint(10000, 99999)
            row = dict(
                created_at=ts,
                conversation_id=cid,
                message_index=i,
                role=role,
                ts=ts,
                uid=str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                intent=None,
                intent_confidence=None,
                sentiment=None,
                sentiment_score=None,
            )
            if role == "customer":
                score = max(-1.0, min(1.0, mood + drift * i + rnd.gauss(0, 0.15)))
                row.update(
                    text=rnd.choice(CUSTOMER).format(n=num),
                    intent=intent if rnd.random() < 0.8 else "other",
                    intent_confidence=round(rnd.uniform(0.3, 0.99), 3),
                    sentiment=_label(score),
                    sentiment_score=round(score, 3),
                )
                if conv["first_customer_at"] is None:
                    conv["first_customer_at"] = ts
                if conv["sentiment_first"] is None:
                    conv["sentiment_first"] = row["sentiment_score"]
                conv["sentiment_last"] = row["sentiment_score"]
                if conv["intent"] in (None, "other"):
                    conv["intent"] = row["intent"]
            else:
                row["text"] = rnd.choice(AGENT).format(n=num)
                if conv["first_reply_at"] is None:
                    conv["first_reply_at"] = ts
                agent_msgs.append(i)
            yield "message", row
        conv["last_message_at"] = ts
        for i in agent_msgs[:3]:
            yield (
                "feedback",
                dict(
                    created_at=start,
                    conversation_id=cid,
                    message_index=i,
                    suggestion_rank=0,
                    source="macro",
                    macro_id="m1",
                    suggestion_text="Let me check that for you.",
                    action="shown",
                    final_text=None,
                    edit_distance=None,
                    reason=None,
                    note=None,
                    intent=conv["intent"],
                    agent=agent,
                    uid=str(uuid.uuid4()),
                ),
            )
            action = rnd.choices(["accepted", "edited", "rejected", "ignored"], [40, 25, 15, 20])[0]
            yield (
                "feedback",
                dict(
                    created_at=start,
                    conversation_id=cid,
                    message_index=i,
                    suggestion_rank=0,
                    source="macro",
                    macro_id="m1",
                    suggestion_text="Let me check that for you.",
                    action=action,
                    final_text="Let me look." if action == "edited" else None,
                    edit_distance=rnd.randint(1, 40) if action == "edited" else None,
                    reason=rnd.choice(["wrong_intent", "wrong_facts", "tone", None])
                    if action == "rejected"
                    else None,
                    note=None,
                    intent=conv["intent"],
                    agent=agent,
                    uid=str(uuid.uuid4()),
                ),
            )
        if rnd.random() < 0.12:
            statuses = []
            for _k in range(rnd.choice([1, 1, 1, 2, 2, 3])):
                status = rnd.choices(["open", "in_review", "resolved"], [60, 15, 25])[0]
                statuses.append(status)
                sev = rnd.choice([1, 2, 2, 3])
                at = start + timedelta(minutes=rnd.uniform(0, 20))
                yield (
                    "flag",
                    dict(
                        id=str(uuid.uuid4()),
                        conversation_id=cid,
                        reason=rnd.choices(REASONS, REASON_W)[0],
                        message_index=rnd.randrange(n_msgs),
                        severity=sev,
                        detail=None,
                        source="rule",
                        note=None,
                        status=status,
                        assignee=None,
                        created_by=None,
                        created_at=at,
                        updated_at=at,
                    ),
                )
                conv["flag_count"] += 1
                conv["max_severity"] = max(conv["max_severity"] or 0, sev)
                conv["flagged_at"] = min(conv["flagged_at"] or at, at)
            conv["open_flag_count"] = sum(s != "resolved" for s in statuses)
            conv["review_status"] = (
                "open"
                if "open" in statuses
                else "in_review"
                if "in_review" in statuses
                else "resolved"
            )
        yield "conversation", conv


def _sqlite_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


class Sink:
    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.pg = self.url.get_backend_name() == "postgresql"
        if self.pg:
            import psycopg

            u = self.url
            self.conn: Any = psycopg.connect(
                host=u.host,
                port=u.port or 5432,
                user=u.username,
                password=u.password,
                dbname=u.database,
                **({"options": u.query["options"]} if "options" in u.query else {}),
            )
        else:
            self.conn = sqlite3.connect(self.url.database or "")
            self.conn.execute("PRAGMA synchronous = OFF")

    def put(self, table: str, cols: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.pg:
            with (
                self.conn.cursor() as cur,
                cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy,
            ):
                for r in rows:
                    copy.write_row([r[c] for c in cols])
        else:
            marks = ", ".join("?" for _ in cols)
            self.conn.executemany(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})",
                ([_sqlite_value(r[c]) for c in cols] for r in rows),
            )

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


def seed(url: str, conversations: int, seed_value: int = 7, chunk: int = 2000) -> dict[str, Any]:
    TeamStore.open(url).close()  # migrate
    t0 = time.perf_counter()
    sink = Sink(url)
    deltas = rollup.new_deltas()
    buf: dict[str, list[dict[str, Any]]] = {
        "conversation": [],
        "message": [],
        "flag": [],
        "feedback": [],
    }
    counts = dict.fromkeys(buf, 0)
    end = datetime(2025, 1, 1, tzinfo=UTC)

    def flush() -> None:
        sink.put("conversations", CONV_COLS, buf["conversation"])
        sink.put("messages", MSG_COLS, buf["message"])
        sink.put("flags", FLAG_COLS, buf["flag"])
        sink.put("feedback", FB_COLS, buf["feedback"])
        sink.commit()
        for v in buf.values():
            v.clear()

    for kind, row in generate(conversations, seed_value, end):
        buf[kind].append(row)
        counts[kind] += 1
        if kind == "conversation":
            rollup.add_conversation(deltas, row)
            if len(buf["conversation"]) >= chunk:
                flush()
        elif kind == "feedback":
            rollup.add_feedback(deltas, row)
    flush()
    stats = [{"dim": d, "day": day, "key": k, **v} for (d, day, k), v in deltas.items()]
    sink.put("daily_stats", ("dim", "day", "key", *ROLLUP_COUNTERS), stats)
    sink.commit()
    sink.close()
    if sink.pg:
        import psycopg

        with psycopg.connect(
            host=sink.url.host,
            port=sink.url.port or 5432,
            user=sink.url.username,
            password=sink.url.password,
            dbname=sink.url.database,
            autocommit=True,
            **({"options": sink.url.query["options"]} if "options" in sink.url.query else {}),
        ) as conn:
            conn.execute("ANALYZE")
    else:
        with sqlite3.connect(sink.url.database or "") as conn:
            conn.execute("ANALYZE")
    return {"seconds": round(time.perf_counter() - t0, 1), **counts, "daily_stats": len(stats)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True, help="an empty (or new) team store")
    p.add_argument("--conversations", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    print(json.dumps(seed(args.url, args.conversations, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
