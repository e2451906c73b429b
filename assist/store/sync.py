"""Offline tolerance: when the team database can't be reached, agent writes wait in a local
SQLite outbox (``outbox.db`` in the profile) and ``sync`` pushes them when it is back.

Why nothing is lost or doubled:

* A write is either committed to the team database or committed to the outbox (WAL,
  ``synchronous=FULL``) before the call returns.
* While the outbox is not empty every new write goes behind it, so the team database sees the
  writes in the order they were made.
* ``sync`` applies the oldest batch in **one** team transaction, then deletes it from the
  outbox. If the connection dies before the team commit, nothing was applied; if it dies after
  the commit but before the delete, the batch is applied again on the next sync and stores
  nothing new, because every record carries its client-made id (messages/feedback ``uid``,
  conversation and flag ids) and every write is an insert-if-absent.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, delete, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from assist.paths import profile_dir
from assist.store.feedback import FeedbackEvent, StoreError, _cause, _create_engine
from assist.store.records import ConversationRecord, FlagRecord, MessageRecord
from assist.store.team import (
    Op,
    TeamStore,
    op_conversation,
    op_feedback,
    op_flag,
    op_messages,
)

log = logging.getLogger(__name__)

OUTBOX_FILE = "outbox.db"
_meta = MetaData()
outbox_ops = Table(
    "outbox",
    _meta,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("payload", Text, nullable=False),
    Column("queued_at", String(40), nullable=False),
)

_COUNT = select(func.count()).select_from(outbox_ops)  # built once: asked before every write


class Outbox:
    """An ordered, durable queue of serialised writes in a local SQLite file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or profile_dir() / OUTBOX_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._engine = _create_engine(make_url(f"sqlite:///{self.path}"))
        try:
            _meta.create_all(self._engine)
        except SQLAlchemyError as exc:
            self._engine.dispose()
            raise StoreError(f"Outbox {self.path}: cannot be opened ({_cause(exc)})") from exc

    def add(self, ops: Sequence[Op]) -> None:
        now = datetime.now(UTC).isoformat()
        rows = [{"kind": k, "payload": json.dumps(p), "queued_at": now} for k, p in ops]
        with self._engine.connect() as conn:
            conn.execution_options(assist_begin="IMMEDIATE")
            with conn.begin():
                conn.execute(insert(outbox_ops), rows)

    def peek(self, limit: int) -> list[tuple[int, Op]]:
        query = select(outbox_ops).order_by(outbox_ops.c.seq).limit(limit)
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [(r.seq, (r.kind, json.loads(r.payload))) for r in rows]

    def remove(self, seqs: Sequence[int]) -> None:
        with self._engine.connect() as conn:
            conn.execution_options(assist_begin="IMMEDIATE")
            with conn.begin():
                conn.execute(delete(outbox_ops).where(outbox_ops.c.seq.in_(list(seqs))))

    def pending(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(_COUNT).scalar_one())

    def close(self) -> None:
        self._engine.dispose()


@dataclass(frozen=True)
class SyncReport:
    pushed: int  # queued writes applied to the team database by this sync
    pending: int  # still queued
    error: str | None = None  # why it stopped early, if it did


class SyncingWriter:
    """The agent app's writer: the team database when reachable, the outbox when not.

    ``url`` as for ``TeamStore.open``. Validation errors (``ValueError``) are raised at once;
    database errors never are: the write is queued and ``last_error`` says why.
    """

    def __init__(
        self,
        url: str | None = None,
        outbox: Path | None = None,
        connect: Callable[[str | None], TeamStore] = TeamStore.open,
        retry_s: float = 15.0,
    ) -> None:
        self._url = url
        self._connect = connect
        self._team: TeamStore | None = None
        self._lock = threading.RLock()
        self.outbox = Outbox(outbox)
        self.last_error: str | None = None
        self.retry_s = retry_s
        self._retry_at = 0.0

    # the agent's writes
    def record_conversation(self, rec: ConversationRecord) -> bool:
        return self.submit([op_conversation(rec)])

    def record_messages(self, batch: Sequence[MessageRecord]) -> bool:
        return self.submit([op_messages(batch)])

    def record_feedback(self, event: FeedbackEvent) -> bool:
        return self.submit([op_feedback(event)])

    def raise_flag(self, rec: FlagRecord) -> bool:
        return self.submit([op_flag(rec)])

    def submit(self, ops: Sequence[Op]) -> bool:
        """Write ``ops``; True if they reached the team database, False if they were queued.

        After a failure the server is not tried again for ``retry_s`` (writes just queue), so
        an unreachable server costs one connect timeout, not one per write.
        """
        with self._lock:
            if self.outbox.pending() == 0 and self._may_try() and self._apply(ops):
                return True
            self.outbox.add(ops)
            if self._may_try():
                self.sync()
            return False

    def _may_try(self) -> bool:
        return time.monotonic() >= self._retry_at

    def sync(self, batch: int = 100) -> SyncReport:
        """Push the outbox, oldest first, ``batch`` writes per team transaction."""
        pushed = 0
        with self._lock:
            while True:
                items = self.outbox.peek(batch)
                if not items:
                    return SyncReport(pushed, 0)
                if not self._apply([op for _, op in items]):
                    return SyncReport(pushed, self.outbox.pending(), self.last_error)
                self.outbox.remove([seq for seq, _ in items])
                pushed += len(items)

    def _apply(self, ops: Sequence[Op]) -> bool:
        try:
            if self._team is None:
                self._team = self._connect(self._url)
            self._team.apply(ops)
        except StoreError as exc:
            self.last_error = str(exc)
            self._retry_at = time.monotonic() + self.retry_s
            log.warning("team store unavailable, writes are queued: %s", exc)
            if self._team is not None:
                self._team.close()
                self._team = None
            return False
        self.last_error = None
        return True

    @property
    def online(self) -> bool:
        return self._team is not None and self.last_error is None

    def close(self) -> None:
        with self._lock:
            if self._team is not None:
                self._team.close()
                self._team = None
            self.outbox.close()
