"""The shared team store: conversations, flags, review notes, audit log, team settings, rollups.

Also gives messages their per-message analysis (intent, confidence, sentiment) and gives
messages and feedback a client-made unique ``uid``, so a re-sync from an agent's outbox inserts
nothing twice. Only nullable columns and new indexes are added to the existing tables, which
SQLite can do in place (no table rebuild). The CHECK vocabularies are frozen here, as in 0001.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
FLAG_STATUSES = "'open', 'in_review', 'resolved'"
ROLLUP_COUNTERS = (
    ("conversations", sa.Integer),
    ("replied", sa.Integer),
    ("reply_seconds", sa.Float),
    ("sentiment_n", sa.Integer),
    ("sentiment_start", sa.Float),
    ("sentiment_end", sa.Float),
    ("flags", sa.Integer),
    ("shown", sa.Integer),
    ("accepted", sa.Integer),
    ("edited", sa.Integer),
    ("rejected", sa.Integer),
    ("ignored", sa.Integer),
    ("edit_distance_sum", sa.Integer),
    ("rejected_wrong_intent", sa.Integer),
    ("rejected_wrong_facts", sa.Integer),
    ("rejected_tone", sa.Integer),
    ("rejected_other", sa.Integer),
)


def upgrade() -> None:
    op.add_column("feedback", sa.Column("uid", sa.String(64), nullable=True))
    op.create_index(op.f("ix_feedback_uid"), "feedback", ["uid"], unique=True)
    for name, type_ in (
        ("uid", sa.String(64)),
        ("intent", sa.String(64)),
        ("intent_confidence", sa.Float()),
        ("sentiment", sa.String(16)),
        ("sentiment_score", sa.Float()),
    ):
        op.add_column("messages", sa.Column(name, type_, nullable=True))
    op.create_index(op.f("ix_messages_uid"), "messages", ["uid"], unique=True)

    op.create_table(
        "conversations",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=True),
        sa.Column("agent", sa.String(255), nullable=False),
        sa.Column("customer_name", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("first_customer_at", TS, nullable=True),
        sa.Column("first_reply_at", TS, nullable=True),
        sa.Column("last_message_at", TS, nullable=True),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("sentiment_first", sa.Float(), nullable=True),
        sa.Column("sentiment_last", sa.Float(), nullable=True),
        sa.Column("flag_count", sa.Integer(), nullable=False),
        sa.Column("open_flag_count", sa.Integer(), nullable=False),
        sa.Column("max_severity", sa.Integer(), nullable=True),
        sa.Column("review_status", sa.String(16), nullable=True),
        sa.Column("flagged_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_conversations_status")),
        sa.CheckConstraint(
            f"review_status IS NULL OR review_status IN ({FLAG_STATUSES})",
            name=op.f("ck_conversations_review_status"),
        ),
    )
    for cols in (["agent", "started_at"], ["started_at"], ["flagged_at"]):
        op.create_index(op.f("ix_conversations_" + "_".join(cols)), "conversations", cols)
    op.create_index(
        op.f("ix_conversations_review_status_max_severity"),
        "conversations",
        ["review_status", "max_severity"],
    )

    op.create_table(
        "flags",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("message_index", sa.Integer(), nullable=True),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assignee", sa.String(255), nullable=True),
        sa.Column("created_by", sa.String(255), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flags")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_flags_conversation_id_conversations"),
        ),
        sa.CheckConstraint(
            "reason IN ('negative_trend', 'escalation_intent', 'unsure', 'abusive', "
            "'pii_in_reply', 'long_wait', 'manual')",
            name=op.f("ck_flags_reason"),
        ),
        sa.CheckConstraint("source IN ('rule', 'manual')", name=op.f("ck_flags_source")),
        sa.CheckConstraint(f"status IN ({FLAG_STATUSES})", name=op.f("ck_flags_status")),
        sa.CheckConstraint("severity BETWEEN 1 AND 3", name=op.f("ck_flags_severity")),
    )
    op.create_index(op.f("ix_flags_conversation_id"), "flags", ["conversation_id"])
    op.create_index(op.f("ix_flags_reason_conversation_id"), "flags", ["reason", "conversation_id"])

    op.create_table(
        "review_notes",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("flag_id", sa.String(64), nullable=True),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_notes")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_review_notes_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["flags.id"], name=op.f("fk_review_notes_flag_id_flags")
        ),
    )
    op.create_index(op.f("ix_review_notes_conversation_id"), "review_notes", ["conversation_id"])

    op.create_table(
        "audit_log",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(32), nullable=False),
        sa.Column("target_id", sa.String(255), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(
        op.f("ix_audit_log_target_type_target_id"), "audit_log", ["target_type", "target_id"]
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])

    op.create_table(
        "team_settings",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(255), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_team_settings")),
    )

    op.create_table(
        "daily_stats",
        sa.Column("dim", sa.String(8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        *(sa.Column(name, type_(), nullable=False) for name, type_ in ROLLUP_COUNTERS),
        sa.PrimaryKeyConstraint("dim", "day", "key", name=op.f("pk_daily_stats")),
        sa.CheckConstraint("dim IN ('intent', 'agent')", name=op.f("ck_daily_stats_dim")),
    )


def downgrade() -> None:
    for table in ("daily_stats", "team_settings", "audit_log", "review_notes", "flags"):
        op.drop_table(table)
    op.drop_table("conversations")
    op.drop_index(op.f("ix_messages_uid"), table_name="messages")
    with op.batch_alter_table("messages") as batch:
        for name in ("sentiment_score", "sentiment", "intent_confidence", "intent", "uid"):
            batch.drop_column(name)
    op.drop_index(op.f("ix_feedback_uid"), table_name="feedback")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("uid")
