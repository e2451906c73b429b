"""Team-store benchmark: review-queue first page and analytics summary latency on SQLite and
PostgreSQL over a seeded store, and message ingest rate. Prints ONE JSON line.

    python bench/bench_store.py --conversations 100000   # ~2M messages; seeding takes minutes

PostgreSQL: ``--pg-url`` or ``ASSIST_TEST_PG_URL``, else a throwaway local cluster (as in the
tests); without one the PostgreSQL figures are ``null`` with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assist.store import ConversationRecord, MessageRecord, QueueFilter, TeamStore  # noqa: E402
from bench.seed_store import seed  # noqa: E402

TARGETS = {"queue_first_page_ms": 50.0, "analytics_summary_ms": 50.0, "ingest_msgs_per_s": 2000}


def _ms(fn: Any, runs: int = 15) -> float:
    fn()  # warm up (plans, caches)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 2)


def _ingest(store: TeamStore, n_msgs: int, batch: int) -> float:
    convs = [ConversationRecord("bench-agent", "Bench") for _ in range(max(1, batch // 10))]
    for c in convs:
        store.record_conversation(c)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    msgs = [
        MessageRecord(convs[i % len(convs)].id, i, "customer" if i % 2 == 0 else "agent",
                      f"message {i}", ts=t0 + timedelta(seconds=i), intent="refund",
                      intent_confidence=0.9, sentiment="neutral", sentiment_score=0.0)
        for i in range(n_msgs)
    ]  # fmt: skip
    start = time.perf_counter()
    for i in range(0, n_msgs, batch):
        store.record_messages(msgs[i : i + batch])
    return round(n_msgs / (time.perf_counter() - start), 1)


def measure(url: str, conversations: int, reseed: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with TeamStore.open(url) as s:
        have = s.stats()["conversations"]
    if reseed or have < conversations:
        out["seed"] = seed(url, conversations)
    with TeamStore.open(url) as s:
        stats = s.stats()
        out["conversations"], out["messages"] = stats["conversations"], stats["messages"]
        end = date(2025, 1, 1)
        out["queue_first_page_ms"] = _ms(lambda: s.queue(limit=50))
        out["queue_filtered_ms"] = _ms(
            lambda: s.queue(QueueFilter(reasons=("abusive",), agent="agent-03"), limit=50)
        )
        out["queue_search_ms"] = _ms(lambda: s.queue(QueueFilter(text="manager"), limit=50), 3)
        out["analytics_summary_ms"] = _ms(lambda: s.analytics(end - timedelta(days=29), end))
        out["analytics_90d_ms"] = _ms(lambda: s.analytics(end - timedelta(days=89), end))
        out["ingest_msgs_per_s"] = _ingest(s, 5000, batch=100)
        out["ingest_single_msgs_per_s"] = _ingest(s, 300, batch=1)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--conversations", type=int, default=100_000)
    p.add_argument("--sqlite", default=None, help="SQLite file (default: a temp file)")
    p.add_argument("--pg-url", default=os.environ.get("ASSIST_TEST_PG_URL"))
    p.add_argument("--no-pg", action="store_true")
    p.add_argument("--reseed", action="store_true")
    args = p.parse_args()
    result: dict[str, Any] = {"size": {"conversations": args.conversations}, "targets": TARGETS}
    tmp = Path(tempfile.mkdtemp(prefix="assist-bench-"))
    sqlite_path = Path(args.sqlite) if args.sqlite else tmp / "team.db"
    result["sqlite"] = measure(f"sqlite:///{sqlite_path}", args.conversations, args.reseed)
    server = None
    if args.no_pg:
        result["postgresql"] = None
    else:
        try:
            url = args.pg_url
            if not url:
                from tests.pg import _start_cluster

                server = _start_cluster()
                url = server.url.render_as_string(hide_password=False)
            if server is None:  # a shared server: use a fresh schema
                import psycopg
                from sqlalchemy.engine import make_url

                u = make_url(url)
                schema = "bench_" + uuid.uuid4().hex[:8]
                with psycopg.connect(host=u.host, port=u.port or 5432, user=u.username,
                                     password=u.password, dbname=u.database,
                                     autocommit=True) as conn:  # fmt: skip
                    conn.execute(f"CREATE SCHEMA {schema}")
                url = u.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
                    hide_password=False
                )
            result["postgresql"] = measure(url, args.conversations, args.reseed)
        except Exception as exc:  # report, don't hide
            result["postgresql"] = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            if server is not None:
                server.stop()
    ok = all(
        isinstance(r, dict)
        and "error" not in r
        and r["queue_first_page_ms"] <= TARGETS["queue_first_page_ms"]
        and r["analytics_summary_ms"] <= TARGETS["analytics_summary_ms"]
        and r["ingest_msgs_per_s"] >= TARGETS["ingest_msgs_per_s"]
        for r in (result["sqlite"], result["postgresql"])
        if r is not None
    )
    result["meets_targets"] = ok
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
