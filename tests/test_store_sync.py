"""The offline outbox under a real cut connection: a TCP proxy in front of PostgreSQL that we
close mid-sync, then a restarted writer; nothing lost, nothing stored twice."""

from __future__ import annotations

import contextlib
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from assist.store import (
    ConversationRecord,
    FeedbackEvent,
    FlagRecord,
    MessageRecord,
    SyncingWriter,
    TeamStore,
)
from assist.store.schema import conversations, feedback, flags, messages
from tests.pg import PgServer, pg_schema_url, pg_server  # noqa: F401


class Proxy:
    """127.0.0.1:port -> the server; ``cut()`` kills every connection and stops listening.

    ``cut_after`` bytes sent client -> server in total, it cuts by itself, mid-stream.
    """

    def __init__(self, target: tuple[str, int], port: int = 0, cut_after: int | None = None):
        self.target, self.cut_after, self.sent = target, cut_after, 0
        self._listener = socket.create_server(("127.0.0.1", port))
        self.port = self._listener.getsockname()[1]
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._socks += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, counted: bool) -> None:
        try:
            while data := src.recv(65536):
                if counted and self.cut_after is not None:
                    with self._lock:
                        self.sent += len(data)
                        over = self.sent > self.cut_after
                    if over:
                        self.cut()
                        return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.closed = True
        # shutdown first: a bare close() does not wake the thread blocked in accept()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            socks, self._socks = self._socks, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass


def via(url: str, port: int) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


def counts(url: str) -> dict[str, int]:
    with TeamStore.open(url) as team, team.engine.connect() as conn:
        out = {}
        for name, table, key in (
            ("conversations", conversations, conversations.c.id),
            ("messages", messages, messages.c.uid),
            ("feedback", feedback, feedback.c.uid),
            ("flags", flags, flags.c.id),
        ):
            rows, distinct = conn.execute(
                select(func.count(), func.count(func.distinct(key))).select_from(table)
            ).one()
            assert rows == distinct, f"duplicates in {name}"
            out[name] = int(rows)
        return out


def write_workload(writer: SyncingWriter, n_conv: int, per_conv: int) -> None:
    t0 = datetime(2024, 5, 1, 9, tzinfo=UTC)
    for c in range(n_conv):
        conv = ConversationRecord(f"agent-{c % 3}", f"Customer {c}", started_at=t0)
        writer.record_conversation(conv)
        for i in range(per_conv):
            role = "customer" if i % 2 == 0 else "agent"
            ts = t0 + timedelta(seconds=i)
            m = MessageRecord(conv.id, i, role, f"message {i} of {c}", ts=ts, intent="refund",
                              sentiment_score=-0.1 * (i % 5))  # fmt: skip
            writer.record_messages([m])
        writer.record_feedback(
            FeedbackEvent(conv.id, 0, "shown", "macro", "Sure!", agent=f"agent-{c % 3}")
        )
        writer.raise_flag(FlagRecord(conv.id, "negative_trend", 2, per_conv - 1))


def test_writes_queue_while_offline_and_survive_a_cut_mid_sync(
    pg_server: PgServer,  # noqa: F811
    pg_schema_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    TeamStore.open(pg_schema_url).close()  # the team database exists and is migrated
    target = (pg_server.url.host or "127.0.0.1", pg_server.url.port or 5432)
    outbox = tmp_path / "outbox.db"
    n_conv, per_conv = 12, 6
    expected = {"conversations": n_conv, "messages": n_conv * per_conv, "feedback": n_conv,
                "flags": n_conv}  # fmt: skip
    total_ops = n_conv * (3 + per_conv)

    # 1. the server is unreachable (nothing listens on the proxy's port): everything queues
    probe = Proxy(target)
    port = probe.port
    probe.cut()
    writer = SyncingWriter(via(pg_schema_url, port), outbox=outbox, retry_s=0)
    write_workload(writer, n_conv, per_conv)
    assert writer.outbox.pending() == total_ops
    assert writer.last_error is not None and "cannot reach" in writer.last_error
    assert counts(pg_schema_url) == dict.fromkeys(expected, 0)

    # 2. the server is back, but the connection is cut in the middle of the sync
    proxy = Proxy(target, port=port, cut_after=60_000)
    report = writer.sync(batch=5)
    assert proxy.closed, "the proxy should have cut the connection during the sync"
    assert report.error is not None and 0 < report.pushed < total_ops
    assert report.pending == total_ops - report.pushed == writer.outbox.pending()
    partial = counts(pg_schema_url)
    assert 0 < sum(partial.values()) < sum(expected.values())
    writer.close()  # the app is restarted

    # 3. a restarted writer pushes the rest when the connection is back: same rows, no doubles
    proxy = Proxy(target, port=port)
    try:
        again = SyncingWriter(via(pg_schema_url, port), outbox=outbox, retry_s=0)
        report = again.sync(batch=5)
        assert report.error is None and report.pending == 0
        assert counts(pg_schema_url) == expected
        # a batch applied twice (commit done, outbox delete lost) stores nothing new
        again.outbox.add([("messages", {"messages": []})])
        write_again = again.outbox.peek(1)
        assert write_again
        again.sync()
        assert counts(pg_schema_url) == expected
        # online again: a new write goes straight to the team database
        conv = ConversationRecord("agent-9", "Late")
        assert again.record_conversation(conv) is True
        assert again.outbox.pending() == 0
        again.close()
    finally:
        proxy.cut()
    with TeamStore.open(pg_schema_url) as team:
        summary = team.analytics(datetime(2024, 5, 1).date(), datetime(2024, 5, 1).date())
        assert summary.total.conversations == n_conv and summary.total.flags == n_conv


def test_replaying_the_same_batch_twice_stores_it_once(tmp_path: Path) -> None:
    """The crash window of a sync (team commit done, outbox delete lost), on SQLite."""
    url = f"sqlite:///{tmp_path / 'team.db'}"
    writer = SyncingWriter(url, outbox=tmp_path / "outbox.db")
    conv = ConversationRecord("ann", "Ann")
    msg = MessageRecord(conv.id, 0, "customer", "hi", sentiment_score=0.5)
    flag = FlagRecord(conv.id, "unsure", 1, 0)
    event = FeedbackEvent(conv.id, 0, "shown", "macro", "Hello", agent="ann", uid="fb-1")
    from assist.store.team import op_conversation, op_feedback, op_flag, op_messages

    ops = [op_conversation(conv), op_messages([msg]), op_flag(flag), op_feedback(event)]
    with TeamStore.open(url) as team:
        team.apply(ops)
        team.apply(ops)
        stats = team.stats()
        assert (stats["conversations"], stats["messages"], stats["flags"], stats["feedback"]) == (
            1, 1, 1, 1,
        )  # fmt: skip
        day = conv.started_at.date()
        total = team.analytics(day, day).total
        assert (total.conversations, total.flags, total.suggestions_shown) == (1, 1, 1)
        assert total.sentiment_start == pytest.approx(0.5)
    assert writer.record_messages([msg]) is True  # online: straight through, still once
    writer.close()
    with TeamStore.open(url) as team:
        assert team.stats()["messages"] == 1
