"""The store's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Ids are kept as their JSON text (``123`` or ``"abc"``) so that integer Zendesk ids and string ids of
other helpdesks both round-trip exactly.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

SCHEMA_VERSION = "1"

metadata = MetaData()

meta = Table(
    "intently_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", String(32), nullable=False),
    Column("email", Text),
    Column("time_zone", String(64)),
    Column("fields", Text, nullable=False, default="{}"),
)

groups = Table(
    "groups",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("members", Text, nullable=False, default="[]"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("subject", Text, nullable=False, default=""),
    Column("status", String(32)),
    Column("priority", String(32)),
    Column("assignee_id", String(64)),
    Column("group_id", String(64)),
    Column("requester_id", String(64)),
    Column("history", LargeBinary, nullable=False),
)

judgements = Table(
    "judgements",
    metadata,
    Column("ticket_id", String(64), primary_key=True),
    Column("comment_id", String(64), primary_key=True),
    Column("author_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("public", Boolean, nullable=False),
    Column("assignee_id", String(64)),
    Column("verdict", String(32), nullable=False),
    Column("rule", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("out_of_region", Boolean),
    Column("acknowledged", Boolean),
    Column("author_region", String(32)),
    Column("preferred_region", String(32)),
    Column("assignee_region", String(32)),
    Column("priority", String(32)),
    Column("pod", String(64)),
    Column("assignee_in_pod", Boolean),
    Column("policy", String(32), nullable=False),
    Index("ix_judgements_created_at", "created_at"),
    Index("ix_judgements_author", "author_id"),
    Index("ix_judgements_verdict", "verdict"),
)
