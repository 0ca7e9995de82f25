"""Scale (issue 12): figures kept per data version (``kept_figures``, empty until figures are computed), a search
index of ticket subjects (:mod:`intently.store.search`: SQLite FTS5 trigrams, PostgreSQL ``pg_trgm``), filled from
the stored tickets, and two indexes on ``tickets`` (the ticket as it is now beside its id; its assignee), all in the
upgrade's one transaction; on SQLite, the planner's statistics (:func:`intently.store.rows.refresh_statistics`).

Revision ID: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from intently.store import search
from intently.store.rows import refresh_statistics

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    # SQLite's driver opens the transaction at the first write, not at DDL: write first (the store's writer lock,
    # which changes nothing), so that every statement below commits with the new revision or not at all.
    bind.execute(sa.text("UPDATE intently_meta SET value = value WHERE key = 'data_version'"))
    op.create_table(
        "kept_figures",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("data_version", sa.String(32), nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    existing = {index["name"] for index in sa.inspect(bind).get_indexes("tickets")}
    for name, columns in (
        ("ix_tickets_now", ["id", "assignee_id", "group_id", "priority"]),
        ("ix_tickets_assignee", ["assignee_id"]),
    ):
        if name not in existing:  # a store whose tables were made from today's definitions has them already
            op.create_index(name, "tickets", columns)
    search.create(bind)
    if bind.execute(sa.text("SELECT 1 FROM tickets LIMIT 1")).first() is not None:  # a store with data: sampled
        refresh_statistics(bind)


def downgrade() -> None:
    search.drop(op.get_bind())
    op.drop_index("ix_tickets_assignee", "tickets")
    op.drop_index("ix_tickets_now", "tickets")
    op.drop_table("kept_figures")
