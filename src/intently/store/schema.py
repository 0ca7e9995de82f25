"""The store's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Ids are kept as their JSON text (``123`` or ``"abc"``) so that integer Zendesk ids and string ids of
other helpdesks both round-trip exactly.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

SCHEMA_VERSION = "0009"
"""The Alembic revision the tables below describe."""

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
    Column("role", Text, nullable=False),
    Column("email", Text),
    Column("time_zone", Text),
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
    Column("status", Text),
    Column("priority", Text),
    Column("assignee_id", String(64)),
    Column("group_id", String(64)),
    Column("requester_id", String(64)),
    Column("history", LargeBinary, nullable=False),
    Index("ix_tickets_group", "group_id"),
    # the ticket as it is now, beside its id: what the pages join to a ticket without reading its history (on
    # SQLite a row holds the whole history, so a join through this index reads a small fraction of the pages)
    Index("ix_tickets_now", "id", "assignee_id", "group_id", "priority"),
    Index("ix_tickets_assignee", "assignee_id"),
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
    Column("author_region", Text),
    Column("preferred_region", Text),
    Column("assignee_region", Text),
    Column("priority", Text),
    Column("pod", Text),
    Column("assignee_in_pod", Boolean),
    Column("policy", String(32), nullable=False),
    Index("ix_judgements_created_at", "created_at"),
    Index("ix_judgements_author", "author_id"),
    Index("ix_judgements_verdict", "verdict"),
    # the dashboard's ticket lists and its few comment-level queries (latest drive-bys, coverage, pods)
    Index("ix_judgements_verdict_created", "verdict", "created_at"),
    Index("ix_judgements_rule_created", "rule", "created_at"),
    Index("ix_judgements_pod", "pod"),
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("ticket_id", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("solved_at", DateTime(timezone=True)),
    Column("reopens", Integer, nullable=False),
    Column("satisfaction", String(8)),
    Column("first_reply_at", DateTime(timezone=True)),
    Column("customer_replies", Integer, nullable=False),
    Column("agent_replies", Integer, nullable=False),
)
"""What happened to each judged ticket (:mod:`intently.engine.outcomes`), written with its judgements."""

# --- rollups: what the report and the dashboard count, kept with the judgements (:mod:`intently.store.rollups`) -

judgement_rollups = Table(
    "judgement_rollups",
    metadata,
    Column("key", String(32), primary_key=True),  # a digest of the other columns but n: one row per combination
    Column("day", Date, nullable=False),
    Column("verdict", String(32), nullable=False),
    Column("rule", String(32), nullable=False),
    Column("author_id", String(64), nullable=False),
    Column("public", Boolean, nullable=False),
    Column("contributor", Boolean, nullable=False),
    Column("acknowledged", Boolean, nullable=False),
    Column("relation", String(8), nullable=False),
    Column("author_region", Text, nullable=False),
    Column("preferred_region", Text, nullable=False),
    Column("priority", Text, nullable=False),
    Column("pod_outside", Text, nullable=False),
    Column("n", Integer, nullable=False),
    Index("ix_judgement_rollups_day", "day"),
)
"""Judgements counted per UTC day × verdict × rule × author × public × contributor (not the assignee at the
comment) × acknowledged × region relation × author's region × preferred region × priority × pod (the author's pod
on a pod-topic ticket assigned outside it); ``''`` stands for none. Updated in the transaction that writes the
judgements they count."""

ticket_rollups = Table(
    "ticket_rollups",
    metadata,
    Column("ticket_id", String(64), primary_key=True),
    Column("judged", Integer, nullable=False),
    Column("voices", Integer, nullable=False),  # distinct agents with a judged public reply
    Column("drive_bys", Integer, nullable=False),
    Column("intentional", Integer, nullable=False),
    Column("notes", Integer, nullable=False),  # internal notes by someone not the assignee at the note
    Column("notes_acknowledged", Integer, nullable=False),
    Column("klass", String(16)),  # the collaboration class (intently.engine.outcomes), if any
    Column("first_at", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
    Column("preferred_region", Text),  # the last preferred region the judgements name
    Column("assignee_region", Text),
    Column("priority", Text),
    # region, priority and assignee of the last judged comment (the ticket's own, now, are in tickets)
    Column("assignee_id", String(64)),
    Index("ix_ticket_rollups_last_at", "last_at"),
)
"""One row per ticket with judgements: what the ticket lists, the Outcomes page and the report read per ticket."""

kept_figures = Table(
    "kept_figures",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("key", String(64), primary_key=True),  # a digest of what the figures were computed from and how
    Column("data_version", String(32), nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
"""Figures computed from the stored data (the report's metrics, the outcome analysis), kept for the data version
they were computed from (:mod:`intently.store.kept`): a new process reads them instead of computing them again.
A row is only ever read under the data version in its key; rows of older versions are deleted as new ones come."""

# --- live Zendesk: sync checkpoints, API tokens, the webhook queue, write-backs ---------------------

sync_state = Table(
    "sync_state",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Text, nullable=False),
)

sync_done = Table(
    "sync_done",
    metadata,
    Column("ticket_id", String(64), primary_key=True),
    Column("stamp", String(64), nullable=False),
)
"""Tickets of the current incremental-export page already synced (cleared when the cursor moves on)."""

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("user_name", String(128)),
)
"""A token with a ``user_name`` belongs to that web account and carries its role (not ``role``)."""

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_key", String(128), nullable=False, unique=True),
    Column("ticket_id", String(64), nullable=False),
    Column("event_type", String(128), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    # The replica (``intently serve`` process) working the delivery now, NULL when none is; until when its claim
    # holds: after that (a replica killed mid-job) any replica may claim the delivery again.
    Column("claimed_by", String(128)),
    Column("lease_until", DateTime(timezone=True)),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_claimed", "claimed_by"),
)

write_backs = Table(
    "write_backs",
    metadata,
    Column("ticket_id", String(64), primary_key=True),
    Column("comment_id", String(64), primary_key=True),
    Column("written_at", DateTime(timezone=True), nullable=False),
    # While a note is being posted: the replica posting it and until when its claim holds (renewed with its
    # delivery claims). NULL once the note is written: then the row is the record that it was.
    Column("claimed_by", String(128)),
    Column("lease_until", DateTime(timezone=True)),
)

# --- the dashboard: local accounts and their sessions -----------------------------------------------

web_accounts = Table(
    "web_accounts",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
"""Dashboard logins (``intently user add``): argon2id password hashes, never the passwords."""

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("account", String(128), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_web_sessions_account", "account"),
)
"""Server-side sessions: the cookie holds a random id, the table only its SHA-256 and the CSRF token."""

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),
    Column("failed_at", DateTime(timezone=True), nullable=False),
    Index("ix_login_failures_key", "key", "failed_at"),
)
"""Failed dashboard logins (``name:...`` and ``addr:...`` keys), shared by the replicas of a PostgreSQL store."""
