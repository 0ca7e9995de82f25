"""The first store: people, tickets with their histories, judgements.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intently_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("email", sa.Text),
        sa.Column("time_zone", sa.String(64)),
        sa.Column("fields", sa.Text, nullable=False),
    )
    op.create_table(
        "groups",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("members", sa.Text, nullable=False),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("status", sa.String(32)),
        sa.Column("priority", sa.String(32)),
        sa.Column("assignee_id", sa.String(64)),
        sa.Column("group_id", sa.String(64)),
        sa.Column("requester_id", sa.String(64)),
        sa.Column("history", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "judgements",
        sa.Column("ticket_id", sa.String(64), primary_key=True),
        sa.Column("comment_id", sa.String(64), primary_key=True),
        sa.Column("author_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("assignee_id", sa.String(64)),
        sa.Column("verdict", sa.String(32), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("out_of_region", sa.Boolean),
        sa.Column("acknowledged", sa.Boolean),
        sa.Column("author_region", sa.String(32)),
        sa.Column("preferred_region", sa.String(32)),
        sa.Column("assignee_region", sa.String(32)),
        sa.Column("priority", sa.String(32)),
        sa.Column("pod", sa.String(64)),
        sa.Column("assignee_in_pod", sa.Boolean),
        sa.Column("policy", sa.String(32), nullable=False),
    )
    op.create_index("ix_judgements_created_at", "judgements", ["created_at"])
    op.create_index("ix_judgements_author", "judgements", ["author_id"])
    op.create_index("ix_judgements_verdict", "judgements", ["verdict"])


def downgrade() -> None:
    for table in ("judgements", "tickets", "groups", "users", "intently_meta"):
        op.drop_table(table)
