"""The signatures of recent webhook deliveries, kept in the store so that a delivery replayed under another
invocation id is a duplicate on every replica and after a restart (they were kept in each process's memory).

Revision ID: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_signatures",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_webhook_signatures_seen", "webhook_signatures", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_signatures_seen", table_name="webhook_signatures")
    op.drop_table("webhook_signatures")
