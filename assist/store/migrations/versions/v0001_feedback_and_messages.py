"""Create the feedback and messages tables.

The values in the CHECK constraints are frozen here on purpose: adding an action, reason,
source or role later is a new revision, never an edit of this one.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# BIGINT on PostgreSQL; INTEGER on SQLite, where only INTEGER PRIMARY KEY is the rowid.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("message_index", sa.Integer(), nullable=False),
        sa.Column("suggestion_rank", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("macro_id", sa.String(255), nullable=True),
        sa.Column("suggestion_text", sa.Text(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("final_text", sa.Text(), nullable=True),
        sa.Column("edit_distance", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("agent", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.CheckConstraint(
            "source IN ('macro', 'generated', 'remote')", name=op.f("ck_feedback_source")
        ),
        sa.CheckConstraint(
            "action IN ('shown', 'accepted', 'edited', 'rejected', 'ignored')",
            name=op.f("ck_feedback_action"),
        ),
        sa.CheckConstraint(
            "reason IS NULL OR reason IN ('wrong_intent', 'wrong_facts', 'tone', 'other')",
            name=op.f("ck_feedback_reason"),
        ),
        sa.CheckConstraint(
            "edit_distance IS NULL OR edit_distance >= 0", name=op.f("ck_feedback_edit_distance")
        ),
    )
    op.create_index(
        op.f("ix_feedback_conversation_id_message_index"),
        "feedback",
        ["conversation_id", "message_index"],
    )
    op.create_table(
        "messages",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("message_index", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.CheckConstraint("role IN ('customer', 'agent')", name=op.f("ck_messages_role")),
    )
    op.create_index(
        op.f("ix_messages_conversation_id_message_index"),
        "messages",
        ["conversation_id", "message_index"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_messages_conversation_id_message_index"), table_name="messages")
    op.drop_table("messages")
    op.drop_index(op.f("ix_feedback_conversation_id_message_index"), table_name="feedback")
    op.drop_table("feedback")
