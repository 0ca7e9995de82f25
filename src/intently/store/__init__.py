"""Persistence: SQLite by default, PostgreSQL through the same SQLAlchemy Core interface.

:mod:`.store` (the one small interface), :mod:`.batch` (one transaction of writes, and the data and judged
versions that tell readers whether the stored judgements are current), :mod:`.rows` (the model as rows),
:mod:`.schema` (tables; Alembic migrations in ``migrations/``) and :mod:`.pipeline` (the flow that fills it:
source → model → engine → store, each import or re-judging in one transaction).
"""

from intently.store.store import DEFAULT_DB, ImportStats, Store, database_url, decode_id, encode_id, safe_url

__all__ = ["DEFAULT_DB", "ImportStats", "Store", "database_url", "decode_id", "encode_id", "safe_url"]
