"""Persistence: SQLite by default, PostgreSQL through the same SQLAlchemy Core interface."""

from intently.store.store import DEFAULT_DB, ImportStats, Store, database_url, decode_id, encode_id

__all__ = ["DEFAULT_DB", "ImportStats", "Store", "database_url", "decode_id", "encode_id"]
