"""Searching ticket subjects through an index instead of reading every ticket.

The Tickets page's search keeps tickets whose subject *contains* the words typed, ignoring case (SQLAlchemy's
``icontains``: ``lower(subject) LIKE '%text%'`` on SQLite, which folds ASCII letters, ``subject ILIKE '%text%'`` on
PostgreSQL), as before there was an index. The index only finds those tickets faster:

- **SQLite**: ``ticket_search`` (a narrow copy of each ticket's id and subject, with a stable integer key) and
  ``ticket_search_fts``, an FTS5 index of its subjects with the *trigram* tokenizer, which finds every subject
  containing a text of three characters or more. Triggers on ``tickets`` keep both in step with every write, in
  the writer's own transaction. The trigram match (case folded, any script) is a superset of the tickets wanted;
  the same ``LIKE`` as before is then applied to the few tickets it finds, so the result is exactly the same. A
  shorter text scans the narrow copy, not the tickets (whose rows carry each ticket's history).
- **PostgreSQL**: a GIN trigram index (``pg_trgm``) on ``subject``, which serves the ``ILIKE`` itself. Where
  the extension cannot be created (not installed, or the database user may not create it), there is no index and
  the search reads the ``tickets`` table as before: the same tickets, more slowly.

Neither is part of :data:`intently.store.schema.metadata` (they are not the same on both databases): they are
made by migration 0009 (:func:`create`), which also fills them from the stored tickets, in the upgrade's
transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Integer, Select, String, Text, column, select, table, text
from sqlalchemy.exc import DBAPIError

from intently.store import schema

SEARCH = "ticket_search"
FTS = "ticket_search_fts"
TRIGRAM_INDEX = "ix_tickets_subject_trgm"
OBJECTS = frozenset(
    {SEARCH, FTS, f"{FTS}_data", f"{FTS}_idx", f"{FTS}_docsize", f"{FTS}_config", f"{FTS}_content", TRIGRAM_INDEX}
)
"""Every table and index this module makes (FTS5 keeps its index in ``*_data``, ``*_idx`` ... tables): not in the
schema's metadata, which describes the tables both databases share."""

MIN_TRIGRAM = 3
"""A trigram index finds texts of at least this many characters; a shorter one is looked for by reading."""

ticket_search = table(SEARCH, column("doc", Integer), column("ticket_id", String), column("subject", Text))
"""The narrow copy of each ticket's subject (SQLite)."""

_SQLITE = (
    f"CREATE TABLE {SEARCH} (doc INTEGER PRIMARY KEY, ticket_id VARCHAR(64) NOT NULL UNIQUE, subject TEXT NOT NULL)",
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(subject, content='{SEARCH}', content_rowid='doc', tokenize='trigram')",
    f"CREATE TRIGGER {SEARCH}_added AFTER INSERT ON {SEARCH} BEGIN "
    f"INSERT INTO {FTS}(rowid, subject) VALUES (new.doc, new.subject); END",
    f"CREATE TRIGGER {SEARCH}_removed AFTER DELETE ON {SEARCH} BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, subject) VALUES ('delete', old.doc, old.subject); END",
    f"CREATE TRIGGER tickets_search_added AFTER INSERT ON tickets BEGIN "
    f"INSERT INTO {SEARCH}(ticket_id, subject) VALUES (new.id, coalesce(new.subject, '')); END",
    f"CREATE TRIGGER tickets_search_removed AFTER DELETE ON tickets BEGIN "
    f"DELETE FROM {SEARCH} WHERE ticket_id = old.id; END",
    f"CREATE TRIGGER tickets_search_changed AFTER UPDATE OF id, subject ON tickets BEGIN "
    f"DELETE FROM {SEARCH} WHERE ticket_id = old.id; "
    f"INSERT INTO {SEARCH}(ticket_id, subject) VALUES (new.id, coalesce(new.subject, '')); END",
)
_SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS tickets_search_changed",
    "DROP TRIGGER IF EXISTS tickets_search_removed",
    "DROP TRIGGER IF EXISTS tickets_search_added",
    f"DROP TABLE IF EXISTS {FTS}",
    f"DROP TABLE IF EXISTS {SEARCH}",
)


def create(conn: Connection) -> None:
    """Make the search index of this database and fill it from the stored tickets, in the caller's transaction
    (migration 0009)."""
    if conn.dialect.name == "sqlite":
        for statement in _SQLITE:
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql(
            f"INSERT INTO {SEARCH}(ticket_id, subject) SELECT id, coalesce(subject, '') FROM tickets ORDER BY id"
        )
    elif conn.dialect.name == "postgresql" and _trigrams(conn):
        conn.exec_driver_sql(f"CREATE INDEX {TRIGRAM_INDEX} ON tickets USING gin (subject gin_trgm_ops)")


def drop(conn: Connection) -> None:
    """Remove what :func:`create` made (the downgrade)."""
    if conn.dialect.name == "sqlite":
        for statement in _SQLITE_DROP:
            conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


def _trigrams(conn: Connection) -> bool:
    """Whether PostgreSQL's ``pg_trgm`` is there, creating it if it may (a trusted extension: the database's owner
    may); a refusal leaves the transaction as it was."""
    installed = conn.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    if installed.first() is not None:
        return True
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError:
        return False
    return True


def subject_matches(conn: Connection, text_: str) -> Select[Any]:
    """The ids (as stored) of the tickets whose subject contains ``text_``, ignoring case: exactly the tickets of
    ``tickets.subject.icontains(text_)``, found through the index where there is one."""
    if conn.dialect.name != "sqlite":
        return select(schema.tickets.c.id).where(schema.tickets.c.subject.icontains(text_, autoescape=True))
    wanted = select(ticket_search.c.ticket_id).where(ticket_search.c.subject.icontains(text_, autoescape=True))
    if len(text_) >= MIN_TRIGRAM:
        phrase = '"' + text_.replace('"', '""') + '"'
        matched = text(f"{FTS} MATCH :phrase").bindparams(phrase=phrase)
        found: Select[Any] = select(column("rowid")).select_from(table(FTS)).where(matched)
        wanted = wanted.where(ticket_search.c.doc.in_(found))
    return wanted
