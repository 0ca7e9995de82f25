"""Values from the helpdesk are kept whole: roles, time zones, statuses, priorities, regions and pods as text of
any length (PostgreSQL refused one longer than the old column widths).

Revision ID: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

WIDENED = {
    "users": {"role": 32, "time_zone": 64},
    "tickets": {"status": 32, "priority": 32},
    "judgements": {"author_region": 32, "preferred_region": 32, "assignee_region": 32, "priority": 32, "pod": 64},
}


def upgrade() -> None:
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table) as batch:
            for column, width in columns.items():
                batch.alter_column(column, type_=sa.Text, existing_type=sa.String(width))


def downgrade() -> None:
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table) as batch:
            for column, width in columns.items():
                batch.alter_column(column, type_=sa.String(width), existing_type=sa.Text)
