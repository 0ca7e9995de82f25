"""Persistence: SQLite by default, PostgreSQL through the same SQLAlchemy Core interface.

:mod:`.store` (the one small interface), :mod:`.schema` (tables; Alembic migrations in ``migrations/``) and
:mod:`.pipeline` (the flow that fills it: source → model → engine → store).
"""

from intently.store.store import DEFAULT_DB, ImportStats, Store, database_url, decode_id, encode_id

__all__ = ["DEFAULT_DB", "ImportStats", "Store", "database_url", "decode_id", "encode_id"]
