"""Questions asked and feedback given, masked, with no client address.

Revision ID: 0001
Revises:
Create Date: 2025-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "questions",
        # SQLite only autoincrements an INTEGER PRIMARY KEY, so the id is BIGINT elsewhere only.
        sa.Column("id", _ID, primary_key=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("question_key", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("doc_ids", sa.JSON(), nullable=False),
        sa.Column("no_answer", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("index_version", sa.String(64), nullable=False),
    )
    op.create_index("ix_questions_asked_at", "questions", ["asked_at"])
    op.create_table(
        "feedback",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vote", sa.String(4), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(8), nullable=True),
        sa.Column("doc_ids", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.CheckConstraint("vote IN ('up', 'down')", name="ck_feedback_vote"),
    )
    op.create_index("ix_feedback_given_at", "feedback", ["given_at"])


def downgrade() -> None:
    op.drop_index("ix_feedback_given_at", table_name="feedback")
    op.drop_table("feedback")
    op.drop_index("ix_questions_asked_at", table_name="questions")
    op.drop_table("questions")
