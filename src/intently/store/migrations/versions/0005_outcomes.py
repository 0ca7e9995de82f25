"""Each ticket's outcome (solved, reopened, rated, first reply), written with its judgements.

The outcomes of tickets already stored are counted by judging them again: the upgrade marks the stored judgements
out of date (the judged version ``upgraded``), so the next command that reads them judges every ticket again,
in one transaction, and writes the outcomes with the judgements.

Revision ID: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from intently.store.rows import UPGRADED

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outcomes",
        sa.Column("ticket_id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("solved_at", sa.DateTime(timezone=True)),
        sa.Column("reopens", sa.Integer, nullable=False),
        sa.Column("satisfaction", sa.String(8)),
        sa.Column("first_reply_at", sa.DateTime(timezone=True)),
        sa.Column("customer_replies", sa.Integer, nullable=False),
        sa.Column("agent_replies", sa.Integer, nullable=False),
    )
    meta = sa.table("intently_meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "judged_version").values(value=UPGRADED))


def downgrade() -> None:
    op.drop_table("outcomes")
