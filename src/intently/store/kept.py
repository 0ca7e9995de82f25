"""Figures kept in the store for the data version they were computed from (the ``kept_figures`` table).

What is kept is opaque here (bytes, encoded and decoded by :mod:`intently.report.kept`): the report's metrics, the
outcome analysis. A figure is kept under a *key* that names everything it was computed from (the data version
among it) and is only ever read under that key, so a figure of older data is never read once the data changed; it
is deleted when a figure of a newer version is kept. Keeping is a small transaction of its own, made only while its
version is still the store's (a figure of data already changed is not kept), and never needed: a store that cannot
be written (read-only, busy with a long import) simply keeps nothing, and the figures are computed again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from intently.store import schema
from intently.store.rows import DATA_VERSION, meta_value

K = schema.kept_figures
MOST = 200
"""At most this many figures are kept (the newest); a dashboard's many filters are each kept until then."""
BUSY_MS = 200
"""How long keeping waits for SQLite's write lock (another writer's): not worth a page's time."""

SQLITE_WAIT_MS = 5000
"""The wait of Python's sqlite3 driver (its default ``timeout`` of 5 s), set back after keeping."""

log = logging.getLogger(__name__)


def read(conn: Connection, kind: str, key: str) -> bytes | None:
    """The figure kept under ``key``, or None."""
    found = conn.execute(select(K.c.value).where(K.c.kind == kind, K.c.key == key)).scalar_one_or_none()
    return None if found is None else bytes(found)


def keep(engine: Engine, kind: str, key: str, version: str, value: bytes) -> bool:
    """Keep ``value`` under ``key`` if ``version`` is still the store's data version, deleting figures of other
    versions (and the oldest beyond :data:`MOST`), in one transaction; False when nothing was kept (the data
    changed meanwhile, or the store cannot be written now)."""
    try:
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            try:
                with conn.begin():
                    if sqlite:  # wait briefly for another writer; then take the write lock, so that the version
                        # read below stays the store's until this commits
                        conn.exec_driver_sql(f"PRAGMA busy_timeout = {BUSY_MS}")
                        conn.execute(delete(K).where(K.c.kind == kind, K.c.key == key))
                    if meta_value(conn, DATA_VERSION) != version:
                        return False
                    conn.execute(delete(K).where(K.c.data_version != version))
                    conn.execute(delete(K).where(K.c.kind == kind, K.c.key == key))
                    conn.execute(
                        insert(K).values(
                            kind=kind, key=key, data_version=version, value=value, created_at=datetime.now(UTC)
                        )
                    )
                    surplus = select(K.c.kind, K.c.key).order_by(K.c.created_at.desc()).offset(MOST)
                    for old_kind, old_key in conn.execute(surplus).all():
                        conn.execute(delete(K).where(K.c.kind == old_kind, K.c.key == old_key))
            finally:
                if sqlite:  # the driver's own wait again, for the pooled connection's next user
                    conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_WAIT_MS}")
                    conn.commit()
    except (DBAPIError, SQLAlchemyError) as exc:  # read-only, locked, a concurrent keeper of the same figure
        log.debug("figure %s not kept: %s", kind, type(exc).__name__)
        return False
    return True
