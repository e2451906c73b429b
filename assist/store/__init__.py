"""The durable store: suggestion feedback and sent messages (SQLite in the profile by default).

Built on SQLAlchemy Core + Alembic so it can grow (conversations, flags, supervisors) and move to
PostgreSQL for teams without a rewrite. See ``feedback`` for the durability rules.
"""

from __future__ import annotations

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

__all__ = [
    "REJECT_REASONS",
    "Action",
    "FeedbackEvent",
    "FeedbackStore",
    "RejectReason",
    "StoreError",
    "current_revision",
    "default_url",
    "edit_distance",
    "head_revision",
    "upgrade",
]
