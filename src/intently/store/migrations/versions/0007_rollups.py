"""Rollups for the report and the dashboard (:mod:`intently.store.rollups`): judgements counted per day and the
dimensions the figures read, and one row per judged ticket; filled from the stored judgements on upgrade, in the
upgrade's transaction. Indexes for the dashboard's ticket lists and comment-level queries.

Revision ID: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from intently.store import rollups

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "judgement_rollups",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("verdict", sa.String(32), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("author_id", sa.String(64), nullable=False),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("contributor", sa.Boolean, nullable=False),
        sa.Column("acknowledged", sa.Boolean, nullable=False),
        sa.Column("relation", sa.String(8), nullable=False),
        sa.Column("author_region", sa.Text, nullable=False),
        sa.Column("preferred_region", sa.Text, nullable=False),
        sa.Column("priority", sa.Text, nullable=False),
        sa.Column("pod_outside", sa.Text, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
    )
    op.create_index("ix_judgement_rollups_day", "judgement_rollups", ["day"])
    op.create_table(
        "ticket_rollups",
        sa.Column("ticket_id", sa.String(64), primary_key=True),
        sa.Column("judged", sa.Integer, nullable=False),
        sa.Column("voices", sa.Integer, nullable=False),
        sa.Column("drive_bys", sa.Integer, nullable=False),
        sa.Column("intentional", sa.Integer, nullable=False),
        sa.Column("notes", sa.Integer, nullable=False),
        sa.Column("notes_acknowledged", sa.Integer, nullable=False),
        sa.Column("klass", sa.String(16)),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("preferred_region", sa.Text),
        sa.Column("assignee_region", sa.Text),
        sa.Column("priority", sa.Text),
        sa.Column("assignee_id", sa.String(64)),
    )
    op.create_index("ix_ticket_rollups_last_at", "ticket_rollups", ["last_at"])
    bind = op.get_bind()
    for table, name, columns in (
        ("judgements", "ix_judgements_verdict_created", ["verdict", "created_at"]),
        ("judgements", "ix_judgements_rule_created", ["rule", "created_at"]),
        ("judgements", "ix_judgements_pod", ["pod"]),
        ("tickets", "ix_tickets_group", ["group_id"]),
    ):  # a store whose tables were made from today's definitions (before migrations existed) has them already
        if name not in {index["name"] for index in sa.inspect(bind).get_indexes(table)}:
            op.create_index(name, table, columns)
    rollups.rebuild(bind)


def downgrade() -> None:
    op.drop_index("ix_tickets_group", "tickets")
    op.drop_index("ix_judgements_pod", "judgements")
    op.drop_index("ix_judgements_rule_created", "judgements")
    op.drop_index("ix_judgements_verdict_created", "judgements")
    op.drop_index("ix_ticket_rollups_last_at", "ticket_rollups")
    op.drop_table("ticket_rollups")
    op.drop_index("ix_judgement_rollups_day", "judgement_rollups")
    op.drop_table("judgement_rollups")
