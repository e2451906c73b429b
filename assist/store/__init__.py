"""The durable store: feedback, conversations, flags and supervisor data in one SQL database.

SQLite in the profile by default (``assist.db``: WAL, ``synchronous=FULL``); PostgreSQL for a
team (the ``store.url`` setting, password in the OS keyring as ``store.password``). SQLAlchemy
Core + Alembic migrations (``migrate``), portable types only (``schema``).

Public API
----------
``FeedbackStore`` (``feedback``)
    The app's original feedback/message store: ``open(url)``, ``record(event)``,
    ``record_message(...)``, ``events()``, ``messages(cid)``, ``counts()``, ``close()``.
``TeamStore`` (``team``) -- ``TeamStore.open(url=None)``; agent writes, idempotent on the
record's client-made id:
    ``record_conversation(ConversationRecord)``, ``record_messages([MessageRecord]) -> int``,
    ``record_message(MessageRecord) -> bool``, ``record_feedback(FeedbackEvent)``,
    ``raise_flag(FlagRecord) -> bool``, ``apply(ops)`` (serialised writes, one transaction).
  supervisor actions, each appending to the audit log in the same transaction:
    ``flag_manually(cid, actor, note, severity=2, message_index=None)``,
    ``set_flag_status(flag_id, status, actor)``, ``assign_flag(flag_id, assignee, actor)``,
    ``add_note(cid, author, text, flag_id=None)``, ``log_action(actor, action, type, id)``,
    ``set_supervisor_passphrase(new, actor, current=None)``,
    ``verify_supervisor_passphrase(candidate) -> bool``, ``has_supervisor_passphrase()``.
  reads:
    ``queue(QueueFilter(...), sort="severity"|"age"|"recent", limit=50, offset=0)``
    -> ``QueuePage`` (``queue``); ``review(cid)`` -> ``Review`` (``review``);
    ``analytics(start, end)`` -> ``Summary`` (``analytics``); ``export(stream, "csv"|"jsonl",
    QueueFilter(flagged=None))`` (``export``; ``read_csv``/``read_jsonl`` read it back);
    ``stats()``.
``SyncingWriter`` (``sync``)
    The agent app's writer: the team database when reachable, else the local outbox
    (``outbox.db`` in the profile); ``sync()`` pushes the outbox, ``outbox.pending()``.
Errors: ``StoreError`` with a message naming the database and what to do (unreachable server,
refused login, schema from a newer Assist, damaged file); ``ValueError`` for invalid input.
"""

from __future__ import annotations

from assist.store.analytics import Metrics, Summary
from assist.store.export import read_csv, read_jsonl
from assist.store.feedback import (
    REJECT_REASONS,
    Action,
    FeedbackEvent,
    FeedbackStore,
    RejectReason,
    StoreError,
    default_url,
    edit_distance,
)
from assist.store.migrate import current_revision, head_revision, upgrade
from assist.store.queue import QueueFilter, QueueItem, QueuePage
from assist.store.records import (
    ConversationRecord,
    FlagRecord,
    MessageRecord,
    new_id,
    rule_flag_id,
)
from assist.store.review import Review
from assist.store.schema import FLAG_REASONS, FLAG_STATUSES, SEVERITIES
from assist.store.sync import Outbox, SyncingWriter, SyncReport
from assist.store.team import PASSWORD_SECRET, TeamStore, resolve_url

__all__ = [
    "FLAG_REASONS",
    "FLAG_STATUSES",
    "PASSWORD_SECRET",
    "REJECT_REASONS",
    "SEVERITIES",
    "Action",
    "ConversationRecord",
    "FeedbackEvent",
    "FeedbackStore",
    "FlagRecord",
    "MessageRecord",
    "Metrics",
    "Outbox",
    "QueueFilter",
    "QueueItem",
    "QueuePage",
    "RejectReason",
    "Review",
    "StoreError",
    "Summary",
    "SyncReport",
    "SyncingWriter",
    "TeamStore",
    "current_revision",
    "default_url",
    "edit_distance",
    "head_revision",
    "new_id",
    "read_csv",
    "read_jsonl",
    "resolve_url",
    "rule_flag_id",
    "upgrade",
]
