"""A write-back note's claim held by a replica: who is posting it and until when (renewed with its delivery
claims), so that a note being posted by a live replica is never taken over, and one whose replica was killed is
taken over only after its lease. Notes written before this revision are written (no claim).

Revision ID: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("write_backs") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(128)))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("write_backs") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")
